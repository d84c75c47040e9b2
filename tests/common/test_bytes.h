// Byte helpers the tests share: text to bytes and back, hex to bytes and back.
#ifndef TOCSIN_TESTS_COMMON_TEST_BYTES_H_
#define TOCSIN_TESTS_COMMON_TEST_BYTES_H_

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::testing {

using Bytes = std::vector<std::uint8_t>;

inline Bytes ToBytes(std::string_view text) { return {text.begin(), text.end()}; }

inline std::string ToText(std::span<const std::uint8_t> bytes) {
  return {bytes.begin(), bytes.end()};
}

inline Bytes FromHex(const std::string& hex) {
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd hex: " + hex);
  Bytes out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Lower-case hex of bytes, or of the bytes of a string (protobuf's bytes fields).
inline std::string ToHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

inline std::string ToHex(std::string_view bytes) {
  return ToHex(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_COMMON_TEST_BYTES_H_
