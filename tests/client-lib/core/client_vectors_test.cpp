// SPEC.md's contact card (13.2) and safety number (13.7) vectors (proto/vectors/client.txt),
// made by an independent generator (tests/vectors/gen_client_vectors.py) and checked here
// against the client library byte for byte.

#include <catch2/catch.hpp>
#include <string>

#include "core/card.h"
#include "core/hex.h"
#include "core/safety_number.h"
#include "crypto/random.h"
#include "crypto/signal_keys.h"
#include "crypto/signal_xeddsa.h"
#include "quiet_protobuf.h"
#include "replay_rng.h"
#include "vector_file.h"

namespace tocsin::testing {
namespace {

const std::string kVectors = std::string(TOCSIN_VECTORS_DIR) + "/client.txt";

crypto::PublicKey KeyOf(const Bytes& bytes) {
  REQUIRE(bytes.size() == 32);
  crypto::PublicKey key{};
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

std::string Str(const Bytes& bytes) { return ToText(bytes); }

// The text form of SignedContactCard{card, signature} (SPEC.md 13.3).
std::string CardText(const std::string& card, const std::string& signature) {
  client::SignedContactCard signed_card;
  signed_card.set_card(card);
  signed_card.set_signature(signature);
  return std::string(core::kCardPrefix) +
         Base32Encode(core::Bytes(signed_card.SerializeAsString()));
}

TEST_CASE("a contact card signs and encodes as SPEC.md's vector byte for byte", "[card][vectors]") {
  const auto blocks = ReadVectorFile(kVectors, "card");
  REQUIRE(blocks.size() == 1);
  const VectorBlock& v = blocks[0];
  auto identity = crypto::X25519KeyPair::FromPrivate(v.Get("identity_private"));
  REQUIRE(identity.ok());
  CHECK(Bytes(identity->public_key().begin(), identity->public_key().end()) ==
        v.Get("identity_public"));

  // The card's bytes are what our serializer writes for the fields the vector names.
  client::ContactCard card;
  REQUIRE(card.ParseFromString(Str(v.Get("card"))));
  CHECK(card.SerializeAsString() == Str(v.Get("card")));
  CHECK(card.identity_key() == "\x05" + Str(v.Get("identity_public")));
  CHECK(card.envelope_key().public_key() == Str(v.Get("envelope_public")));
  CHECK(card.envelope_key().signature() == Str(v.Get("envelope_signature")));
  REQUIRE(card.addresses_size() == 1);
  CHECK(card.addresses(0).relay() == v.Text("relay_text"));
  CHECK(card.addresses(0).mailbox_id() == Str(v.Get("mailbox_id")));
  CHECK(card.addresses(0).token() == Str(v.Get("token")));

  // The envelope key's signature (10.4.2) and the card's (13.2), with the given random.
  ReplayRng envelope_random(v.Get("envelope_random"));
  auto envelope_context = crypto::SignalContext::Create(envelope_random);
  REQUIRE(envelope_context.ok());
  auto envelope_signature =
      crypto::SignEnvelopeKey(**envelope_context, *identity, card.envelope_key().key_id(),
                              card.envelope_key().created_ms(), KeyOf(v.Get("envelope_public")));
  REQUIRE(envelope_signature.ok());
  CHECK(Bytes(envelope_signature->begin(), envelope_signature->end()) ==
        v.Get("envelope_signature"));
  ReplayRng card_random(v.Get("random"));
  auto context = crypto::SignalContext::Create(card_random);
  REQUIRE(context.ok());
  auto text = core::EncodeCard(**context, *identity, card);
  REQUIRE(text.ok());
  CHECK(*text == v.Text("card_text"));
  auto decoded = Base32Decode(v.Text("card_text").substr(core::kCardPrefix.size()));
  REQUIRE(decoded.ok());
  client::SignedContactCard signed_card;
  REQUIRE(signed_card.ParseFromArray(decoded->data(), static_cast<int>(decoded->size())));
  CHECK(signed_card.card() == Str(v.Get("card")));
  CHECK(signed_card.signature() == Str(v.Get("signature")));

  Bytes signed_bytes = ToBytes(core::kCardLabel);
  signed_bytes.insert(signed_bytes.end(), v.Get("card").begin(), v.Get("card").end());
  CHECK(signed_bytes == v.Get("signed"));
  CHECK(crypto::XeddsaVerify(core::SharedSignalContext(), identity->public_key(), v.Get("signed"),
                             v.Get("signature"))
            .ok());
  auto parsed = core::DecodeCard(core::SharedSignalContext(), v.Text("card_text"));
  REQUIRE(parsed.ok());
  CHECK(parsed->identity == identity->public_key());
  CHECK(parsed->envelope_key == KeyOf(v.Get("envelope_public")));
}

TEST_CASE("changing any byte of the card vector's card or signature is refused",
          "[card][vectors][tamper]") {
  QuietProtobuf quiet;
  const VectorBlock v = ReadVectorFile(kVectors, "card").at(0);
  const std::string card = Str(v.Get("card"));
  const std::string signature = Str(v.Get("signature"));
  REQUIRE(core::DecodeCard(core::SharedSignalContext(), CardText(card, signature)).ok());
  for (std::size_t i = 0; i < card.size(); ++i) {
    std::string changed = card;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    INFO("card byte " << i);
    CHECK_FALSE(core::DecodeCard(core::SharedSignalContext(), CardText(changed, signature)).ok());
  }
  for (std::size_t i = 0; i < signature.size(); ++i) {
    std::string changed = signature;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    INFO("signature byte " << i);
    CHECK(core::DecodeCard(core::SharedSignalContext(), CardText(card, changed)).status().code() ==
          Code::kCryptoFailure);
  }
}

TEST_CASE("safety numbers are SPEC.md's vectors on both sides", "[safety][vectors]") {
  const auto blocks = ReadVectorFile(kVectors, "safety_number");
  REQUIRE(blocks.size() == 2);
  for (const auto& v : blocks) {
    const crypto::PublicKey local = KeyOf(v.Get("local_public"));
    const crypto::PublicKey remote = KeyOf(v.Get("remote_public"));
    const std::string expected = v.Text("safety_number_text");
    INFO(expected);
    auto ours = core::SafetyNumber(core::SharedSignalContext(), local, remote);
    auto theirs = core::SafetyNumber(core::SharedSignalContext(), remote, local);
    REQUIRE(ours.ok());
    REQUIRE(theirs.ok());
    CHECK(*ours == expected);
    CHECK(*theirs == expected);
    // The 60 digits are the two sides' 30, the smaller first.
    std::string digits = expected;
    std::erase(digits, ' ');
    const std::string a = v.Text("local_digits_text");
    const std::string b = v.Text("remote_digits_text");
    CHECK(digits == std::min(a, b) + std::max(a, b));
  }
}

}  // namespace
}  // namespace tocsin::testing
