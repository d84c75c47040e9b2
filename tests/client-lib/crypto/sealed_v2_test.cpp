#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto/sealed_sender.h"
#include "sealed_test_util.h"

using namespace tocsin::crypto;
using namespace tocsin::testing;
using tocsin::Code;
using tocsin::Result;

namespace {

struct Group {
  explicit Group(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      members.push_back(X25519KeyPair::Generate(rng));
      publics.push_back(members.back().public_key());
    }
  }
  DeterministicRng rng{11};
  X25519KeyPair sender = X25519KeyPair::Generate(rng);
  X25519KeyPair mallory = X25519KeyPair::Generate(rng);
  std::vector<X25519KeyPair> members;
  std::vector<PublicKey> publics;
};

Result<OpenedEnvelope> OpenWith(const X25519KeyPair& key, const Bytes& blob, const V2View& view) {
  const X25519KeyPair* keys[] = {&key};
  return OpenV2(keys, blob, view);
}

std::array<std::uint8_t, 32> Dh(const X25519KeyPair& ours, const PublicKey& theirs) {
  std::array<std::uint8_t, 32> out;
  REQUIRE(X25519(ours.private_key(), theirs, out).ok());
  return out;
}

}  // namespace

TEST_CASE("v2: every recipient opens the one body with its own view", "[sealed][v2]") {
  Group g(5);
  auto sealed =
      SealV2(g.sender, g.publics, ToBytes("ICE at 5th and Main, observers needed"), g.rng);
  REQUIRE(sealed.ok());
  CHECK(sealed->rejected.empty());
  REQUIRE(sealed->views.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    auto opened = OpenWith(g.members[i], sealed->blob, sealed->views[i]);
    REQUIRE(opened.ok());
    CHECK(opened->sender == g.sender.public_key());
    CHECK(opened->content == ToBytes("ICE at 5th and Main, observers needed"));
  }
}

TEST_CASE("v2: a view for A cannot be opened by B", "[sealed][v2]") {
  Group g(2);
  auto sealed = SealV2(g.sender, g.publics, ToBytes("x"), g.rng).value();
  CHECK(OpenWith(g.members[1], sealed.blob, sealed.views[0]).status().code() ==
        Code::kCryptoFailure);
  CHECK(OpenWith(g.mallory, sealed.blob, sealed.views[0]).status().code() == Code::kCryptoFailure);
}

TEST_CASE("v2: changing any byte of a view or of the body is rejected", "[sealed][v2][tamper]") {
  Group g(2);
  const auto sealed = SealV2(g.sender, g.publics, ToBytes("all clear"), g.rng).value();
  for (std::size_t i = 0; i < kV2ViewSize; ++i) {
    V2View view = sealed.views[0];
    view[i] ^= 0x01;
    INFO("view byte " << i);
    CHECK(OpenWith(g.members[0], sealed.blob, view).status().code() == Code::kCryptoFailure);
  }
  for (std::size_t i = 0; i < sealed.blob.size(); ++i) {
    Bytes blob = sealed.blob;
    blob[i] ^= 0x80;
    INFO("blob byte " << i);
    CHECK(OpenWith(g.members[0], blob, sealed.views[0]).status().code() == Code::kCryptoFailure);
  }
}

TEST_CASE("v2: truncated views and bodies are rejected", "[sealed][v2]") {
  Group g(1);
  const auto sealed = SealV2(g.sender, g.publics, ToBytes("x"), g.rng).value();
  const X25519KeyPair* keys[] = {&g.members[0]};
  CHECK(OpenV2(keys, sealed.blob, std::span(sealed.views[0]).first(47)).status().code() ==
        Code::kCryptoFailure);
  for (std::size_t length :
       {std::size_t{0}, std::size_t{1}, kV2BlobHeaderSize, sealed.blob.size() - 1}) {
    Bytes cut(sealed.blob.begin(), sealed.blob.begin() + static_cast<std::ptrdiff_t>(length));
    CHECK(OpenV2(keys, cut, sealed.views[0]).status().code() == Code::kCryptoFailure);
  }
}

TEST_CASE("v2: a tag spliced from another message is rejected", "[sealed][v2][tamper]") {
  Group g(1);
  const auto first = SealV2(g.sender, g.publics, ToBytes("alert"), g.rng).value();
  const auto second = SealV2(g.sender, g.publics, ToBytes("cancel"), g.rng).value();
  V2View spliced = second.views[0];
  std::copy(first.views[0].begin() + 32, first.views[0].end(), spliced.begin() + 32);
  CHECK(OpenWith(g.members[0], second.blob, spliced).status().code() == Code::kCryptoFailure);
  CHECK(OpenWith(g.members[0], second.blob, second.views[0]).ok());
}

TEST_CASE("v2: a forged sender (wrong static key) is rejected", "[sealed][v2]") {
  Group g(1);
  const PublicKey& bob = g.publics[0];
  Bytes m(32, 0x42);
  const auto secrets = sealed_internal::DeriveV2(std::span<const std::uint8_t, 32>(m.data(), 32));
  // Mallory writes the real sender's key into the body but can only tag with DH(M, B).
  auto blob = sealed_internal::SealV2Body(secrets, g.sender.public_key(), ToBytes("stand down"));
  auto forged = sealed_internal::MakeV2View(secrets.e.span().first<32>(), secrets.e_public,
                                            secrets.m.span().first<32>(), g.sender.public_key(),
                                            Dh(g.mallory, bob), bob);
  REQUIRE(blob.ok());
  REQUIRE(forged.ok());
  CHECK(OpenWith(g.members[0], *blob, *forged).status().code() == Code::kCryptoFailure);
  // With the true static DH the same parts open: the rejection is the tag.
  auto honest = sealed_internal::MakeV2View(secrets.e.span().first<32>(), secrets.e_public,
                                            secrets.m.span().first<32>(), g.sender.public_key(),
                                            Dh(g.sender, bob), bob);
  CHECK(OpenWith(g.members[0], *blob, honest.value()).ok());
}

TEST_CASE("v2: a sender giving two recipients different M is caught by the E check",
          "[sealed][v2]") {
  Group g(2);
  Bytes m1(32, 1), m2(32, 2);
  const auto s1 = sealed_internal::DeriveV2(std::span<const std::uint8_t, 32>(m1.data(), 32));
  const auto s2 = sealed_internal::DeriveV2(std::span<const std::uint8_t, 32>(m2.data(), 32));
  auto blob = sealed_internal::SealV2Body(s1, g.sender.public_key(), ToBytes("go to 5th")).value();
  // Recipient 1 gets M2 under the blob's E, with a valid tag (the tag does not cover M).
  const auto& r1 = g.publics[1];
  auto view =
      sealed_internal::MakeV2View(s1.e.span().first<32>(), s1.e_public, s2.m.span().first<32>(),
                                  g.sender.public_key(), Dh(g.sender, r1), r1);
  REQUIRE(view.ok());
  CHECK(OpenWith(g.members[1], blob, *view).status().code() == Code::kCryptoFailure);
  const auto& r0 = g.publics[0];
  auto honest =
      sealed_internal::MakeV2View(s1.e.span().first<32>(), s1.e_public, s1.m.span().first<32>(),
                                  g.sender.public_key(), Dh(g.sender, r0), r0);
  CHECK(OpenWith(g.members[0], blob, honest.value()).ok());
}

TEST_CASE("v2: low-order recipients get no view and do not stop the others", "[sealed][v2]") {
  Group g(3);
  g.publics[1] = kLowOrder;
  auto sealed = SealV2(g.sender, g.publics, ToBytes("x"), g.rng).value();
  CHECK(sealed.rejected == std::vector<std::size_t>{1});
  CHECK(OpenWith(g.members[0], sealed.blob, sealed.views[0]).ok());
  CHECK(OpenWith(g.members[2], sealed.blob, sealed.views[2]).ok());
}

TEST_CASE("v2: several threads and a warm cache give the same views", "[sealed][v2][cache]") {
  Group g(37);
  StaticDhCache cache;
  const Bytes m(32, 5);
  ReplayRng one(m), two(m), three(m);
  auto serial = SealV2(g.sender, g.publics, ToBytes("x"), one).value();
  auto parallel = SealV2(g.sender, g.publics, ToBytes("x"), two, {.threads = 4, .cache = &cache});
  CHECK(cache.size() == 37);
  auto warm = SealV2(g.sender, g.publics, ToBytes("x"), three, {.threads = 2, .cache = &cache});
  CHECK(parallel.value().views == serial.views);
  CHECK(warm.value().views == serial.views);
  CHECK(warm->blob == serial.blob);
  // A receiver's opening never adds to its cache.
  StaticDhCache receiver_cache;
  const X25519KeyPair* keys[] = {&g.members[0]};
  auto opened = OpenV2(keys, serial.blob, serial.views[0], &receiver_cache);
  REQUIRE(opened.ok());
  CHECK(opened->content == ToBytes("x"));
  CHECK(receiver_cache.size() == 0);
}

TEST_CASE("v2: padding hides the content length within a bucket", "[sealed][v2][padding]") {
  Group g(1);
  auto ack = SealV2(g.sender, g.publics, Bytes(10, 'a'), g.rng).value();
  auto alert = SealV2(g.sender, g.publics, Bytes(950, 'b'), g.rng).value();
  CHECK(ack.blob.size() == alert.blob.size());
  CHECK(ack.blob.size() == kV2BlobHeaderSize + 1024 + kAeadTagSize);
}
