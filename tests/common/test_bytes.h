// Byte helpers the tests share: text to bytes and back, hex to bytes.
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

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_COMMON_TEST_BYTES_H_
