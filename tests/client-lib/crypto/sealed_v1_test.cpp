#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto/padding.h"
#include "crypto/sealed_sender.h"
#include "sealed_test_util.h"

using namespace tocsin::crypto;
using namespace tocsin::testing;
using tocsin::Code;
using tocsin::Result;

namespace {

struct Parties {
  DeterministicRng rng{7};
  X25519KeyPair alice = X25519KeyPair::Generate(rng);
  X25519KeyPair bob = X25519KeyPair::Generate(rng);
  X25519KeyPair mallory = X25519KeyPair::Generate(rng);
};

Result<OpenedEnvelope> OpenWith(const X25519KeyPair& key, const Bytes& sealed) {
  const X25519KeyPair* keys[] = {&key};
  return OpenV1(keys, sealed);
}

}  // namespace

TEST_CASE("v1 opens to the sender's key and the exact content", "[sealed][v1]") {
  Parties p;
  auto sealed = SealV1(p.alice, p.bob.public_key(), ToBytes("on my way, 10 min"), p.rng);
  REQUIRE(sealed.ok());
  CHECK((*sealed)[0] == kSealedV1);
  auto opened = OpenWith(p.bob, *sealed);
  REQUIRE(opened.ok());
  CHECK(opened->sender == p.alice.public_key());
  CHECK(opened->content == ToBytes("on my way, 10 min"));
}

TEST_CASE("v1: changing any byte makes the envelope unopenable", "[sealed][v1][tamper]") {
  Parties p;
  const auto sealed = SealV1(p.alice, p.bob.public_key(), ToBytes("raid at 5th"), p.rng).value();
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes tampered = sealed;
    tampered[i] ^= 0x01;
    auto opened = OpenWith(p.bob, tampered);
    INFO("byte " << i);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == Code::kCryptoFailure);
  }
}

TEST_CASE("v1: truncated or extended envelopes are rejected", "[sealed][v1]") {
  Parties p;
  const auto sealed = SealV1(p.alice, p.bob.public_key(), ToBytes("x"), p.rng).value();
  for (std::size_t length :
       {std::size_t{0}, std::size_t{1}, kV1HeaderSize, kV1HeaderSize + 16, sealed.size() - 1}) {
    Bytes cut(sealed.begin(), sealed.begin() + static_cast<std::ptrdiff_t>(length));
    CHECK(OpenWith(p.bob, cut).status().code() == Code::kCryptoFailure);
  }
  Bytes longer = sealed;
  longer.push_back(0);
  CHECK(OpenWith(p.bob, longer).status().code() == Code::kCryptoFailure);
}

TEST_CASE("v1: only the recipient can open it", "[sealed][v1]") {
  Parties p;
  const auto sealed = SealV1(p.alice, p.bob.public_key(), ToBytes("x"), p.rng).value();
  CHECK(OpenWith(p.mallory, sealed).status().code() == Code::kCryptoFailure);
  CHECK(OpenWith(p.alice, sealed).status().code() == Code::kCryptoFailure);
}

TEST_CASE("v1: a sender claiming someone else's static key is rejected", "[sealed][v1]") {
  Parties p;
  // Mallory encrypts Alice's public key as the sender but can only compute DH(M, B).
  std::array<std::uint8_t, 32> mallory_dh, ephemeral;
  p.rng.Fill(ephemeral);
  REQUIRE(X25519(p.mallory.private_key(), p.bob.public_key(), mallory_dh).ok());
  auto forged = sealed_internal::SealV1Raw(ephemeral, p.alice.public_key(), mallory_dh,
                                           p.bob.public_key(), ToBytes("false alarm, stand down"));
  REQUIRE(forged.ok());
  CHECK(OpenWith(p.bob, *forged).status().code() == Code::kCryptoFailure);
  // The same construction with the honest static DH opens: the rejection is the DH.
  std::array<std::uint8_t, 32> honest_dh;
  REQUIRE(X25519(p.alice.private_key(), p.bob.public_key(), honest_dh).ok());
  auto honest = sealed_internal::SealV1Raw(ephemeral, p.alice.public_key(), honest_dh,
                                           p.bob.public_key(), ToBytes("x"));
  CHECK(OpenWith(p.bob, honest.value()).ok());
}

TEST_CASE("v1: trial decryption finds an older envelope key", "[sealed][v1]") {
  Parties p;
  auto previous = X25519KeyPair::Generate(p.rng);
  auto current = X25519KeyPair::Generate(p.rng);
  const auto sealed = SealV1(p.alice, previous.public_key(), ToBytes("old"), p.rng).value();
  const X25519KeyPair* keys[] = {&current, &previous};
  auto opened = OpenV1(keys, sealed);
  REQUIRE(opened.ok());
  CHECK(opened->content == ToBytes("old"));
  const X25519KeyPair* only_current[] = {&current};
  CHECK_FALSE(OpenV1(only_current, sealed).ok());
}

TEST_CASE("v1: low-order keys are refused on both sides", "[sealed][v1]") {
  Parties p;
  CHECK(SealV1(p.alice, kLowOrder, ToBytes("x"), p.rng).status().code() == Code::kCryptoFailure);
  auto sealed = SealV1(p.alice, p.bob.public_key(), ToBytes("x"), p.rng).value();
  std::copy(kLowOrder.begin(), kLowOrder.end(), sealed.begin() + 1);  // e.pub
  CHECK(OpenWith(p.bob, sealed).status().code() == Code::kCryptoFailure);
}

TEST_CASE("v1: padding hides the length within a bucket", "[sealed][v1][padding]") {
  Parties p;
  const auto ack = SealV1(p.alice, p.bob.public_key(), Bytes(20, 'a'), p.rng).value();
  const auto alert = SealV1(p.alice, p.bob.public_key(), Bytes(900, 'b'), p.rng).value();
  const auto longer = SealV1(p.alice, p.bob.public_key(), Bytes(1500, 'c'), p.rng).value();
  CHECK(ack.size() == alert.size());
  CHECK(ack.size() == kV1HeaderSize + 1024 + kAeadTagSize);
  CHECK(longer.size() == kV1HeaderSize + 4096 + kAeadTagSize);
  CHECK(SealV1(p.alice, p.bob.public_key(), Bytes(65536), p.rng).status().code() ==
        Code::kTooLarge);
}

TEST_CASE("v1: the static DH cache changes nothing but the cost", "[sealed][v1][cache]") {
  Parties p;
  StaticDhCache cache;
  const Bytes ephemeral(32, 9);
  ReplayRng rng_a(ephemeral), rng_b(ephemeral);
  auto cached = SealV1(p.alice, p.bob.public_key(), ToBytes("x"), rng_a, &cache);
  auto plain = SealV1(p.alice, p.bob.public_key(), ToBytes("x"), rng_b);
  CHECK(cached.value() == plain.value());
  CHECK(cache.size() == 1);
  CHECK(cache.Contains(p.alice.public_key()));
  CHECK(cache.Contains(p.bob.public_key()));
  const X25519KeyPair* keys[] = {&p.bob};
  StaticDhCache bob_cache;
  // Opening never adds: anyone with Bob's envelope key can seal from fresh keys.
  auto opened = OpenV1(keys, *cached, &bob_cache);
  REQUIRE(opened.ok());
  CHECK(opened->content == ToBytes("x"));
  CHECK(bob_cache.size() == 0);
  // Once Bob sealed to Alice, opening from her uses the entry, with the same result.
  ReplayRng rng_c(ephemeral);
  REQUIRE(SealV1(p.bob, p.alice.public_key(), ToBytes("y"), rng_c, &bob_cache).ok());
  CHECK(bob_cache.size() == 1);
  auto again = OpenV1(keys, *cached, &bob_cache);
  REQUIRE(again.ok());
  CHECK(again->content == ToBytes("x"));
  CHECK(bob_cache.size() == 1);
  cache.Forget(p.bob.public_key());
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.Contains(p.alice.public_key()));
  CHECK_FALSE(cache.Contains(p.bob.public_key()));
  std::array<std::uint8_t, 32> out;
  CHECK_FALSE(cache.Get(p.alice, kLowOrder, out).ok());
  CHECK(cache.size() == 0);
}
