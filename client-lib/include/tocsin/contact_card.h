// Contact cards (SPEC.md section 13): how two people become contacts without a
// directory. A card is a short text code, "TOCSIN1:" followed by base32 in upper case,
// that also fits a QR code in alphanumeric mode. It holds the identity key, the signed
// envelope key, each mailbox's relay (with its pinned key) and an intro token, and a
// suggested name, all signed by the identity key. Client::MyCard makes one and
// Client::AddContact imports one; the functions here only read and draw cards.
//
// A card is not secret, but whoever holds it can write to its owner a few times (its
// intro token is short-lived and tightly limited by the relays): show it to the people
// you mean to be reached by.
//
// Thread-safety: free functions, thread-safe.
#ifndef TOCSIN_CONTACT_CARD_H_
#define TOCSIN_CONTACT_CARD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tocsin/status.h"

namespace tocsin {

struct ContactCardInfo {
  std::string identity_key;  // hex of the 32-byte identity key
  std::string suggested_name;
  std::vector<std::string> relays;  // tocsin://<pin>@host:port, one per mailbox
  std::uint64_t created_ms = 0;
};

// Reads a card's text code (any case; surrounding white space ignored) and checks its
// signature. kInvalidArgument for text that is not a card; kCryptoFailure when the
// signature does not verify (a mistyped code is caught here).
Result<ContactCardInfo> InspectContactCard(std::string_view text);

// A QR code: `size` x `size` modules, row by row, true for dark.
struct QrCode {
  int size = 0;
  std::vector<bool> modules;
};

// The QR code of `text` (libqrencode, error correction level M, alphanumeric mode for a
// card). kInvalidArgument when the text does not fit a QR code.
Result<QrCode> MakeQrCode(std::string_view text);

// The QR code of `text` drawn for a terminal with UTF-8 half blocks (two module rows per
// line), dark modules on a light background, with a quiet zone of 2 modules.
Result<std::string> RenderQrForTerminal(std::string_view text);

}  // namespace tocsin

#endif  // TOCSIN_CONTACT_CARD_H_
