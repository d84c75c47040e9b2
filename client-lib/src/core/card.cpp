#include "core/card.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/hex.h"
#include "crypto/signal_keys.h"
#include "crypto/signal_xeddsa.h"

namespace tocsin::core {
namespace {

std::vector<std::uint8_t> SignedBytes(std::string_view card) {
  std::vector<std::uint8_t> out(kCardLabel.size() + card.size());
  std::copy(kCardLabel.begin(), kCardLabel.end(), out.begin());
  std::copy(card.begin(), card.end(), out.begin() + static_cast<std::ptrdiff_t>(kCardLabel.size()));
  return out;
}

std::string_view Trim(std::string_view text) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool HasPrefix(std::string_view text) {
  if (text.size() < kCardPrefix.size()) return false;
  for (std::size_t i = 0; i < kCardPrefix.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != kCardPrefix[i]) return false;
  }
  return true;
}

Result<client::SignedContactCard> ReadEnvelope(std::string_view text) {
  text = Trim(text);
  if (!HasPrefix(text)) return Status::InvalidArgument("not a contact card (no TOCSIN1: prefix)");
  auto bytes = Base32Decode(text.substr(kCardPrefix.size()));
  if (!bytes.ok()) return Status::InvalidArgument("contact card: not base32");
  client::SignedContactCard signed_card;
  if (!signed_card.ParseFromArray(bytes->data(), static_cast<int>(bytes->size()))) {
    return Status::InvalidArgument("contact card: malformed");
  }
  return signed_card;
}

Status CheckAddresses(const client::ContactCard& card, std::vector<RelayAddress>* relays) {
  if (card.addresses().empty()) return Status::InvalidArgument("contact card: no mailbox");
  for (const auto& address : card.addresses()) {
    auto relay = ParseRelayAddress(address.relay());
    if (!relay.ok()) return Status::InvalidArgument("contact card: bad relay address");
    if (address.mailbox_id().size() != 16 || address.token().size() != 16) {
      return Status::InvalidArgument("contact card: bad mailbox address");
    }
    relays->push_back(*relay);
  }
  return Status::Ok();
}

}  // namespace

const crypto::SignalContext& SharedSignalContext() {
  static const std::shared_ptr<crypto::SignalContext> context = [] {
    if (sodium_init() < 0) std::abort();
    auto created = crypto::SignalContext::Create();
    if (!created.ok()) std::abort();
    return std::move(created).value();
  }();
  return *context;
}

Result<std::string> EncodeCard(const crypto::SignalContext& context,
                               const crypto::X25519KeyPair& identity,
                               const client::ContactCard& card) {
  client::SignedContactCard signed_card;
  signed_card.set_card(card.SerializeAsString());
  auto signature = crypto::XeddsaSign(context, identity, SignedBytes(signed_card.card()));
  if (!signature.ok()) return signature.status();
  signed_card.set_signature(ToString(*signature));
  std::string text = Base32Encode(Bytes(signed_card.SerializeAsString()));
  std::transform(text.begin(), text.end(), text.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return std::string(kCardPrefix) + text;
}

Result<ParsedCard> DecodeCard(const crypto::SignalContext& context, std::string_view text) {
  auto signed_card = ReadEnvelope(text);
  if (!signed_card.ok()) return signed_card.status();
  ParsedCard parsed;
  if (!parsed.card.ParseFromString(signed_card->card())) {
    return Status::InvalidArgument("contact card: malformed");
  }
  auto identity = crypto::ParsePublicKey(Bytes(parsed.card.identity_key()));
  if (!identity.ok()) return Status::InvalidArgument("contact card: bad identity key");
  parsed.identity = *identity;
  TOCSIN_RETURN_IF_ERROR(crypto::XeddsaVerify(
      context, parsed.identity, SignedBytes(signed_card->card()), Bytes(signed_card->signature())));
  const auto& key = parsed.card.envelope_key();
  if (key.public_key().size() != crypto::kX25519Size) {
    return Status::InvalidArgument("contact card: bad envelope key");
  }
  std::copy_n(key.public_key().begin(), crypto::kX25519Size, parsed.envelope_key.begin());
  TOCSIN_RETURN_IF_ERROR(crypto::VerifyEnvelopeKey(context, parsed.identity, key.key_id(),
                                                   key.created_ms(), parsed.envelope_key,
                                                   Bytes(key.signature())));
  if (parsed.card.registration_id() == 0) {
    return Status::InvalidArgument("contact card: no registration id");
  }
  TOCSIN_RETURN_IF_ERROR(CheckAddresses(parsed.card, &parsed.relays));
  return parsed;
}

}  // namespace tocsin::core
