// Contact cards (SPEC.md section 13): made by this device, read from others.
//
// Text form: "TOCSIN1:" + base32 (RFC 4648, upper case, unpadded) of a
// SignedContactCard; parsing accepts any case and ignores surrounding white space. The
// signature is XEdDSA by the identity key over "tocsin/card/v1" || the card's bytes, so
// any changed character fails to verify (kCryptoFailure).
//
// Thread-safety: free functions; they take the SignalContext lock.
#ifndef TOCSIN_CORE_CARD_H_
#define TOCSIN_CORE_CARD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/signal_context.h"
#include "crypto/x25519.h"
#include "tocsin/client.pb.h"
#include "tocsin/relay_address.h"
#include "tocsin/status.h"

namespace tocsin::core {

inline constexpr std::string_view kCardPrefix = "TOCSIN1:";
inline constexpr std::string_view kCardLabel = "tocsin/card/v1";

// A card that parsed and verified.
struct ParsedCard {
  client::ContactCard card;
  crypto::PublicKey identity{};      // the 32-byte identity key
  crypto::PublicKey envelope_key{};  // verified against the identity
  std::vector<RelayAddress> relays;  // one per address, in order
};

// Signs `card` with `identity` and returns its text form.
Result<std::string> EncodeCard(const crypto::SignalContext& context,
                               const crypto::X25519KeyPair& identity,
                               const client::ContactCard& card);

// Reads and checks a card: kInvalidArgument when the text is not a card or a field is
// malformed; kCryptoFailure when a signature (card or envelope key) fails.
Result<ParsedCard> DecodeCard(const crypto::SignalContext& context, std::string_view text);

// A process-wide SignalContext for checking signatures outside a client.
const crypto::SignalContext& SharedSignalContext();

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_CARD_H_
