// Key generation, the two public-key forms, the identity key as sealed sender's static
// key, pre-key id ranges, and XEdDSA signatures of envelope keys.
#include "crypto/signal_keys.h"

#include <signal/curve.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>
#include <string>

#include "crypto/sealed_sender.h"
#include "crypto/signal_xeddsa.h"
#include "sealed_test_util.h"
#include "signal_test_util.h"

namespace {

using tocsin::Code;
using tocsin::crypto::DeterministicRng;
using tocsin::crypto::GenerateIdentityKeyPair;
using tocsin::crypto::kX25519Size;
using tocsin::crypto::PublicKey;
using tocsin::crypto::SignalContext;
using tocsin::crypto::X25519KeyPair;
using tocsin::testing::Bytes;
using tocsin::testing::Take;
using tocsin::testing::ToBytes;
using tocsin::testing::ToHex;

std::shared_ptr<SignalContext> NewContext(DeterministicRng& rng) {
  return Take(SignalContext::Create(rng));
}

TEST_CASE("public keys serialise as libsignal does: 0x05 || 32 bytes", "[signal][keys]") {
  PublicKey key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  const auto serialized = tocsin::crypto::SerializePublicKey(key);
  CHECK(serialized[0] == 0x05);
  CHECK(Take(tocsin::crypto::ParsePublicKey(serialized)) == key);
  Bytes wrong_type(serialized.begin(), serialized.end());
  wrong_type[0] = 0x06;
  CHECK(tocsin::crypto::ParsePublicKey(wrong_type).status().code() == Code::kInvalidArgument);
  CHECK(tocsin::crypto::ParsePublicKey(Bytes(serialized.begin(), serialized.end() - 1))
            .status()
            .code() == Code::kInvalidArgument);
  CHECK(tocsin::crypto::ParsePublicKey(key).status().code() == Code::kInvalidArgument);
}

TEST_CASE("libsignal's identity key is sealed sender's X25519 static key", "[signal][keys]") {
  DeterministicRng rng(40);
  auto context = NewContext(rng);
  const X25519KeyPair alice = Take(GenerateIdentityKeyPair(*context));
  const X25519KeyPair bob = Take(GenerateIdentityKeyPair(*context));
  // libsignal's agreement and libsodium's X25519 give the same secret.
  auto alice_private = Take(tocsin::crypto::ToSignalPrivateKey(*context, alice));
  auto bob_public = Take(tocsin::crypto::ToSignalPublicKey(*context, bob.public_key()));
  std::uint8_t* shared = nullptr;
  REQUIRE(curve_calculate_agreement(&shared, bob_public.get(), alice_private.get()) == 32);
  std::uint8_t expected[kX25519Size];
  REQUIRE(tocsin::crypto::X25519(alice.private_key(), bob.public_key(), expected).ok());
  CHECK(ToHex({shared, kX25519Size}) == ToHex(expected));
  std::free(shared);
  // An envelope sealed by one identity opens with the other and names the sender.
  const X25519KeyPair* keys[] = {&bob};
  auto sealed = Take(tocsin::crypto::SealV1(alice, bob.public_key(), ToBytes("hi"), rng));
  auto opened = Take(tocsin::crypto::OpenV1(keys, sealed));
  CHECK(opened.sender == alice.public_key());
}

TEST_CASE("identity keys come from the context's Rng", "[signal][keys]") {
  DeterministicRng rng_a(7), rng_b(7), rng_c(8);
  auto a = NewContext(rng_a), b = NewContext(rng_b), c = NewContext(rng_c);
  const PublicKey key_a = Take(GenerateIdentityKeyPair(*a)).public_key();
  CHECK(key_a == Take(GenerateIdentityKeyPair(*b)).public_key());
  CHECK(key_a != Take(GenerateIdentityKeyPair(*c)).public_key());
}

TEST_CASE("registration ids fall in libsignal's range", "[signal][keys]") {
  DeterministicRng rng(3);
  auto context = NewContext(rng);
  for (int i = 0; i < 50; ++i) {
    const std::uint32_t id = Take(tocsin::crypto::GenerateRegistrationId(*context));
    CHECK(id >= 1);
    CHECK(id <= 16380);
  }
}

TEST_CASE("a signed pre-key is signed by the identity over its serialised form", "[signal][keys]") {
  DeterministicRng rng(5);
  auto context = NewContext(rng);
  const X25519KeyPair identity = Take(GenerateIdentityKeyPair(*context));
  const auto key = Take(tocsin::crypto::GenerateSignedPreKey(*context, identity, 42, 1234));
  CHECK(key.id == 42);
  CHECK(key.timestamp_ms == 1234);
  CHECK_FALSE(key.record.empty());
  const auto serialized = tocsin::crypto::SerializePublicKey(key.public_key);
  CHECK(tocsin::crypto::XeddsaVerify(*context, identity.public_key(), serialized, key.signature)
            .ok());
  const X25519KeyPair other = Take(GenerateIdentityKeyPair(*context));
  CHECK(tocsin::crypto::XeddsaVerify(*context, other.public_key(), serialized, key.signature)
            .code() == Code::kCryptoFailure);
}

TEST_CASE("pre-key id slots are disjoint and avoid libsignal's reserved ids", "[signal][keys]") {
  using tocsin::crypto::kPreKeyIdSlots;
  using tocsin::crypto::PreKeyIdRangeForSlot;
  std::uint32_t previous_last = 0;
  for (std::uint32_t slot = 0; slot < kPreKeyIdSlots; ++slot) {
    const auto range = Take(PreKeyIdRangeForSlot(slot));
    CHECK(range.first > previous_last);
    CHECK(range.size == tocsin::crypto::kPreKeyIdSlotSize);
    previous_last = range.first + range.size - 1;
  }
  CHECK(Take(PreKeyIdRangeForSlot(0)).first == 1);
  CHECK(previous_last == 0xFFFFFE);  // 0xFFFFFF means "no pre-key" to libsignal
  CHECK(PreKeyIdRangeForSlot(kPreKeyIdSlots).status().code() == Code::kInvalidArgument);
}

TEST_CASE("pre-keys are generated in a circle within their slot", "[signal][keys]") {
  DeterministicRng rng(6);
  auto context = NewContext(rng);
  const auto range = Take(tocsin::crypto::PreKeyIdRangeForSlot(3));
  const std::uint32_t last = range.first + range.size - 1;
  const auto keys = Take(tocsin::crypto::GeneratePreKeys(*context, range, last - 1, 4));
  REQUIRE(keys.size() == 4);
  CHECK(keys[0].id == last - 1);
  CHECK(keys[1].id == last);
  CHECK(keys[2].id == range.first);
  CHECK(keys[3].id == range.first + 1);
  std::set<PublicKey> distinct;
  for (const auto& key : keys) distinct.insert(key.public_key);
  CHECK(distinct.size() == 4);
  CHECK(tocsin::crypto::GeneratePreKeys(*context, range, range.first - 1, 1).status().code() ==
        Code::kInvalidArgument);
  CHECK(tocsin::crypto::GeneratePreKeys(*context, range, range.first, 0).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("the envelope key signature covers label, id, time and key", "[signal][xeddsa]") {
  PublicKey key;
  key.fill(0xab);
  const Bytes expected = tocsin::testing::FromHex(
      "746f6373696e2f656e76656c6f70652d6b65792f7631"  // "tocsin/envelope-key/v1"
      "01020304"                                      // key_id, big-endian
      "0000018bcfe56800"                              // created_ms, big-endian
      "abababababababababababababababababababababababababababababababab");
  CHECK(tocsin::crypto::EnvelopeKeySignedBytes(0x01020304, 1'700'000'000'000, key) == expected);
}

TEST_CASE("an envelope key signature verifies and fails when any signed field changes",
          "[signal][xeddsa]") {
  DeterministicRng rng(9);
  auto context = NewContext(rng);
  const X25519KeyPair identity = Take(GenerateIdentityKeyPair(*context));
  const X25519KeyPair envelope = X25519KeyPair::Generate(rng);
  const std::uint32_t id = 17;
  const std::uint64_t created = 1'700'000'000'000;
  const auto signature =
      Take(tocsin::crypto::SignEnvelopeKey(*context, identity, id, created, envelope.public_key()));
  auto verify = [&](PublicKey signer, std::uint32_t key_id, std::uint64_t created_ms, PublicKey key,
                    std::span<const std::uint8_t> sig) {
    return tocsin::crypto::VerifyEnvelopeKey(*context, signer, key_id, created_ms, key, sig).code();
  };
  const PublicKey signer = identity.public_key();
  CHECK(verify(signer, id, created, envelope.public_key(), signature) == Code::kOk);
  CHECK(verify(signer, id + 1, created, envelope.public_key(), signature) == Code::kCryptoFailure);
  CHECK(verify(signer, id, created + 1, envelope.public_key(), signature) == Code::kCryptoFailure);
  PublicKey other_key = envelope.public_key();
  other_key[31] ^= 0x01;
  CHECK(verify(signer, id, created, other_key, signature) == Code::kCryptoFailure);
  CHECK(verify(X25519KeyPair::Generate(rng).public_key(), id, created, envelope.public_key(),
               signature) == Code::kCryptoFailure);
  for (std::size_t i = 0; i < signature.size(); ++i) {
    auto bad = signature;
    bad[i] ^= 0x01;
    CHECK(verify(signer, id, created, envelope.public_key(), bad) == Code::kCryptoFailure);
  }
  CHECK(verify(signer, id, created, envelope.public_key(),
               std::span<const std::uint8_t>(signature).first(63)) == Code::kCryptoFailure);
}

// The [envelope_key] cases of proto/vectors/relay.txt (SPEC.md 10.4.2).
std::vector<tocsin::testing::VectorBlock> EnvelopeKeyVectors() {
  return tocsin::testing::ReadVectorFile(TOCSIN_VECTORS_DIR "/relay.txt", "envelope_key");
}

std::uint64_t BigEndian(const Bytes& bytes) {
  std::uint64_t value = 0;
  for (std::uint8_t b : bytes) value = value << 8 | b;
  return value;
}

TEST_CASE("envelope key signatures reproduce SPEC.md's vectors byte for byte", "[signal][xeddsa]") {
  const auto cases = EnvelopeKeyVectors();
  REQUIRE(cases.size() >= 2);
  for (const auto& v : cases) {
    const X25519KeyPair identity = tocsin::testing::KeyPairOf(v.Get("identity_private"));
    REQUIRE(Bytes(identity.public_key().begin(), identity.public_key().end()) ==
            v.Get("identity_public"));
    const auto key_id = static_cast<std::uint32_t>(BigEndian(v.Get("key_id")));
    const std::uint64_t created_ms = BigEndian(v.Get("created_ms"));
    const PublicKey public_key = tocsin::testing::ToKey(v.Get("public_key"));
    CHECK(tocsin::crypto::EnvelopeKeySignedBytes(key_id, created_ms, public_key) ==
          v.Get("signed"));
    // libsignal draws the signature's 64 random bytes from the context's Rng.
    tocsin::testing::ReplayRng z(v.Get("random"));
    auto context = Take(SignalContext::Create(z));
    const auto signature =
        Take(tocsin::crypto::SignEnvelopeKey(*context, identity, key_id, created_ms, public_key));
    CHECK(Bytes(signature.begin(), signature.end()) == v.Get("signature"));
    CHECK(tocsin::crypto::VerifyEnvelopeKey(*context, identity.public_key(), key_id, created_ms,
                                            public_key, v.Get("signature"))
              .ok());
  }
}

}  // namespace
