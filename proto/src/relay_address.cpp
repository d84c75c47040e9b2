#include "tocsin/relay_address.h"

#include <algorithm>
#include <charconv>

namespace tocsin {
namespace {

constexpr std::string_view kScheme = "tocsin://";
constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

int Base32Value(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

Result<std::uint16_t> ParsePort(std::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return Status::InvalidArgument("relay address: port must be 1-65535");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string Base32Encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<std::vector<std::uint8_t>> Base32Decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = Base32Value(c);
    if (value < 0) return Status::InvalidArgument("base32: unexpected character");
    buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) {
    return Status::InvalidArgument("base32: bad length or trailing bits");
  }
  return out;
}

std::string RelayAddress::ToString() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return std::string(kScheme) + Base32Encode(pin) + "@" + (ipv6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

Result<RelayAddress> ParseRelayAddress(std::string_view text) {
  if (!text.starts_with(kScheme)) {
    return Status::InvalidArgument("relay address must start with tocsin://");
  }
  text.remove_prefix(kScheme.size());
  const auto at = text.find('@');
  if (at == std::string_view::npos) return Status::InvalidArgument("relay address: no pin@");
  auto pin = Base32Decode(text.substr(0, at));
  if (!pin.ok() || pin->size() != kPinSize || at != 52) {
    return Status::InvalidArgument("relay address: the pin must be 52 base32 characters");
  }
  std::string_view host_port = text.substr(at + 1);
  std::string_view host;
  std::string_view port;
  if (host_port.starts_with('[')) {
    const auto close = host_port.find("]:");
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("relay address: bad [IPv6]:port");
    }
    host = host_port.substr(1, close - 1);
    port = host_port.substr(close + 2);
  } else {
    const auto colon = host_port.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("relay address: no :port");
    }
    host = host_port.substr(0, colon);
    port = host_port.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Status::InvalidArgument("relay address: IPv6 hosts go in brackets");
    }
  }
  // A DNS name or IPv4 address outside brackets, an IPv6 address (hex digits, colons,
  // and dots for an embedded IPv4) inside: anything else would not print back as the
  // same address, or would reach the resolver as something else.
  const bool bracketed = host_port.starts_with('[');
  const std::string_view allowed =
      bracketed ? "0123456789abcdefABCDEF:."
                : "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-";
  if (host.empty() || host.size() > 253 ||
      host.find_first_not_of(allowed) != std::string_view::npos ||
      (bracketed && host.find(':') == std::string_view::npos)) {
    return Status::InvalidArgument("relay address: bad host");
  }
  auto port_number = ParsePort(port);
  if (!port_number.ok()) return port_number.status();
  RelayAddress address;
  std::copy(pin->begin(), pin->end(), address.pin.begin());
  address.host = std::string(host);
  address.port = *port_number;
  return address;
}

}  // namespace tocsin
