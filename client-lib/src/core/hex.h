// Hex text for identifiers (contact, group and message ids, identity keys in the API).
//
// Thread-safety: free functions.
#ifndef TOCSIN_CORE_HEX_H_
#define TOCSIN_CORE_HEX_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::core {

// Lower-case hex of `bytes`.
std::string ToHex(std::span<const std::uint8_t> bytes);
std::string ToHex(std::string_view bytes);

// The bytes of lower- or upper-case hex text; nullopt for anything else, or when
// `expected_size` is given and the result has another size.
std::optional<std::string> FromHex(std::string_view text,
                                   std::optional<std::size_t> expected_size = std::nullopt);

// std::string <-> bytes without copies of meaning.
inline std::span<const std::uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string ToString(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_HEX_H_
