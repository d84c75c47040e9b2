#include "crypto/secure_buffer.h"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <type_traits>

#include "crypto/random.h"

using tocsin::crypto::ConstantTimeEquals;
using tocsin::crypto::DeterministicRng;
using tocsin::crypto::IsAllZero;
using tocsin::crypto::SecretBytes;

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

TEST_CASE("a new secret is zero-filled and holds what is written", "[secure_buffer]") {
  SecretBytes secret(32);
  REQUIRE(secret.size() == 32);
  CHECK(IsAllZero(secret.span()));
  secret.data()[5] = 7;
  CHECK_FALSE(IsAllZero(secret.span()));
}

TEST_CASE("moving a secret leaves the source empty", "[secure_buffer]") {
  std::array<std::uint8_t, 4> bytes{1, 2, 3, 4};
  SecretBytes a = SecretBytes::CopyOf(bytes);
  SecretBytes b = std::move(a);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the point of the test
  CHECK(b.Equals(bytes));
  b.Reset();
  CHECK(b.empty());
}

TEST_CASE("constant-time equality tells equal from different and different lengths",
          "[secure_buffer]") {
  std::array<std::uint8_t, 3> a{1, 2, 3}, same{1, 2, 3}, other{1, 2, 4};
  std::array<std::uint8_t, 2> shorter{1, 2};
  CHECK(ConstantTimeEquals(a, same));
  CHECK_FALSE(ConstantTimeEquals(a, other));
  CHECK_FALSE(ConstantTimeEquals(a, shorter));
}

TEST_CASE("the deterministic rng repeats for a seed and differs across calls", "[random]") {
  DeterministicRng one(9), two(9), three(10);
  std::array<std::uint8_t, 16> a{}, b{}, c{}, a2{};
  one.Fill(a);
  two.Fill(b);
  three.Fill(c);
  one.Fill(a2);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a != a2);
}

using tocsin::crypto::WipedArray;
static_assert(!std::is_copy_constructible_v<WipedArray<32>>);
static_assert(!std::is_copy_assignable_v<WipedArray<32>>);

TEST_CASE("a wiped array starts zero and its move wipes the source", "[secure_buffer]") {
  WipedArray<32> a;
  CHECK(IsAllZero(a.span()));
  a.data()[0] = 9;
  a.data()[31] = 4;
  WipedArray<32> b = std::move(a);
  CHECK(b.data()[0] == 9);
  CHECK(b.data()[31] == 4);
  CHECK(IsAllZero(a.span()));  // NOLINT(bugprone-use-after-move): the point of the test
  WipedArray<32> c;
  c = std::move(b);
  CHECK(c.data()[0] == 9);
  CHECK(IsAllZero(b.span()));  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("Wipe zeroes exactly the bytes it is given", "[secure_buffer]") {
  std::array<std::uint8_t, 8> bytes{1, 2, 3, 4, 5, 6, 7, 8};
  tocsin::crypto::Wipe(bytes.data() + 2, 4);
  CHECK(bytes == std::array<std::uint8_t, 8>{1, 2, 0, 0, 0, 0, 7, 8});
}
