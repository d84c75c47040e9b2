// Relay addresses: tocsin://<pin>@<host>:<port> (SPEC.md section 1).
//
// The pin is the SHA-256 of the relay certificate's DER SubjectPublicKeyInfo, written
// in RFC 4648 base32, lower case, unpadded (52 characters). Parsing does no I/O and no
// name resolution. Thread-safety: values and free functions.
#ifndef TOCSIN_RELAY_ADDRESS_H_
#define TOCSIN_RELAY_ADDRESS_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tocsin/status.h"

namespace tocsin {

inline constexpr std::size_t kPinSize = 32;
using Pin = std::array<std::uint8_t, kPinSize>;

struct RelayAddress {
  Pin pin{};
  std::string host;  // a DNS name, an IPv4 address or a bracketed IPv6 address's inside
  std::uint16_t port = 0;

  // "tocsin://<pin>@host:port" (IPv6 hosts in brackets).
  std::string ToString() const;
  friend bool operator==(const RelayAddress&, const RelayAddress&) = default;
};

// Parses an address. kInvalidArgument, with the reason, for: another scheme, a pin that
// is not 52 base32 characters, a missing or empty host, a port outside 1..65535.
Result<RelayAddress> ParseRelayAddress(std::string_view text);

// RFC 4648 base32, lower case, no padding.
std::string Base32Encode(std::span<const std::uint8_t> bytes);
// Accepts upper or lower case, no padding; kInvalidArgument on any other character or
// on trailing bits that are not zero (one text, one value).
Result<std::vector<std::uint8_t>> Base32Decode(std::string_view text);

}  // namespace tocsin

#endif  // TOCSIN_RELAY_ADDRESS_H_
