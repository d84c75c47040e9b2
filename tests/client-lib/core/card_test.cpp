// Contact cards, QR codes and safety numbers, without relays.

#include <catch2/catch.hpp>
#include <string>

#include "core/card.h"
#include "core/hex.h"
#include "core/safety_number.h"
#include "crypto/random.h"
#include "crypto/signal_keys.h"
#include "crypto/signal_xeddsa.h"
#include "quiet_protobuf.h"
#include "tocsin/contact_card.h"

namespace tocsin::core {
namespace {

using testing::QuietProtobuf;

constexpr std::string_view kRelay =
    "tocsin://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@relay.example.org:7443";

struct Device {
  explicit Device(std::uint8_t seed) : rng(seed) {
    context = std::move(crypto::SignalContext::Create(rng)).value();
    identity.emplace(std::move(crypto::GenerateIdentityKeyPair(*context)).value());
  }
  client::ContactCard Card(const std::string& name) {
    client::ContactCard card;
    card.set_identity_key(ToString(crypto::SerializePublicKey(identity->public_key())));
    card.set_registration_id(42);
    const auto envelope = crypto::X25519KeyPair::Generate(rng);
    auto* key = card.mutable_envelope_key();
    key->set_key_id(3);
    key->set_created_ms(1'700'000'000'000);
    key->set_public_key(ToString(envelope.public_key()));
    key->set_signature(
        ToString(std::move(crypto::SignEnvelopeKey(*context, *identity, 3, 1'700'000'000'000,
                                                   envelope.public_key()))
                     .value()));
    auto* address = card.add_addresses();
    address->set_relay(std::string(kRelay));
    address->set_mailbox_id(std::string(16, 'm'));
    address->set_token(std::string(16, 't'));
    card.set_suggested_name(name);
    card.set_created_ms(1'700'000'000'000);
    return card;
  }
  crypto::DeterministicRng rng;
  std::shared_ptr<crypto::SignalContext> context;
  std::optional<crypto::X25519KeyPair> identity;
};

TEST_CASE("a card round-trips through its text code", "[card]") {
  Device alice(1);
  const std::string text = EncodeCard(*alice.context, *alice.identity, alice.Card("Alice")).value();
  REQUIRE(text.rfind("TOCSIN1:", 0) == 0);
  for (char c : text.substr(8)) {
    INFO(c);
    REQUIRE(((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')));  // QR alphanumeric mode
  }
  auto parsed = DecodeCard(*alice.context, text);
  REQUIRE(parsed.ok());
  CHECK(parsed->identity == alice.identity->public_key());
  CHECK(parsed->card.suggested_name() == "Alice");
  REQUIRE(parsed->relays.size() == 1);
  CHECK(parsed->relays[0].host == "relay.example.org");

  std::string lower = "  " + text + "\n";
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return std::tolower(c); });
  CHECK(DecodeCard(*alice.context, lower).ok());

  auto info = InspectContactCard(text);
  REQUIRE(info.ok());
  CHECK(info->identity_key == ToHex(alice.identity->public_key()));
  CHECK(info->relays == std::vector<std::string>{std::string(kRelay)});
}

TEST_CASE("every mistyped character of a card is caught", "[card]") {
  QuietProtobuf quiet;
  Device alice(2);
  const std::string text = EncodeCard(*alice.context, *alice.identity, alice.Card("A")).value();
  for (std::size_t i = 8; i < text.size(); ++i) {
    std::string typo = text;
    typo[i] = typo[i] == 'Q' ? 'R' : 'Q';
    INFO(i);
    REQUIRE_FALSE(DecodeCard(*alice.context, typo).ok());
  }
  CHECK(DecodeCard(*alice.context, text.substr(0, text.size() - 4)).status().code() != Code::kOk);
  CHECK(DecodeCard(*alice.context, "hello").status().code() == Code::kInvalidArgument);
  CHECK(DecodeCard(*alice.context, "TOCSIN1:01").status().code() == Code::kInvalidArgument);
}

TEST_CASE("a card signed by another identity, or with a foreign envelope key, is refused",
          "[card]") {
  Device alice(3);
  Device mallory(4);
  // Mallory signs a card that names Alice's identity.
  client::ContactCard card = alice.Card("Alice");
  const std::string forged = EncodeCard(*mallory.context, *mallory.identity, card).value();
  CHECK(DecodeCard(*alice.context, forged).status().code() == Code::kCryptoFailure);
  // Alice's card with an envelope key that Mallory signed.
  client::ContactCard swapped = alice.Card("Alice");
  *swapped.mutable_envelope_key() = mallory.Card("M").envelope_key();
  const std::string text = EncodeCard(*alice.context, *alice.identity, swapped).value();
  CHECK(DecodeCard(*alice.context, text).status().code() == Code::kCryptoFailure);
}

TEST_CASE("a card without a mailbox or with a malformed address is refused", "[card]") {
  Device alice(5);
  client::ContactCard card = alice.Card("A");
  card.clear_addresses();
  CHECK(DecodeCard(*alice.context, EncodeCard(*alice.context, *alice.identity, card).value())
            .status()
            .code() == Code::kInvalidArgument);
  card = alice.Card("A");
  card.mutable_addresses(0)->set_relay("https://example.org");
  CHECK(DecodeCard(*alice.context, EncodeCard(*alice.context, *alice.identity, card).value())
            .status()
            .code() == Code::kInvalidArgument);
}

TEST_CASE("a card fits a QR code and draws on a terminal", "[card][qr]") {
  Device alice(6);
  const std::string text = EncodeCard(*alice.context, *alice.identity, alice.Card("A")).value();
  auto code = MakeQrCode(text);
  REQUIRE(code.ok());
  CHECK(code->size >= 21);
  CHECK(code->modules.size() == static_cast<std::size_t>(code->size * code->size));
  auto drawn = RenderQrForTerminal(text);
  REQUIRE(drawn.ok());
  const auto lines = std::count(drawn->begin(), drawn->end(), '\n');
  CHECK(lines == (code->size + 4 + 1) / 2);
  CHECK(MakeQrCode(std::string(8000, 'x')).status().code() == Code::kInvalidArgument);
}

TEST_CASE("safety numbers are the same on both sides and change with the keys", "[safety]") {
  Device alice(7);
  Device bob(8);
  Device carol(9);
  const auto ab =
      SafetyNumber(*alice.context, alice.identity->public_key(), bob.identity->public_key());
  const auto ba =
      SafetyNumber(*bob.context, bob.identity->public_key(), alice.identity->public_key());
  const auto ac =
      SafetyNumber(*alice.context, alice.identity->public_key(), carol.identity->public_key());
  REQUIRE(ab.ok());
  REQUIRE(ba.ok());
  REQUIRE(ac.ok());
  CHECK(*ab == *ba);
  CHECK(*ab != *ac);
  CHECK(ab->size() == 60 + 11);
  CHECK(std::count(ab->begin(), ab->end(), ' ') == 11);
}

TEST_CASE("hex round-trips and refuses what is not hex", "[hex]") {
  const std::string bytes("\x00\x01\xfe\xff", 4);
  CHECK(ToHex(bytes) == "0001feff");
  CHECK(FromHex("0001FEFF") == bytes);
  CHECK_FALSE(FromHex("0g"));
  CHECK_FALSE(FromHex("abc"));
  CHECK_FALSE(FromHex("0001", 16));
}

}  // namespace
}  // namespace tocsin::core
