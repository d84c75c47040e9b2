#include "core/hex.h"

#include <sodium.h>

namespace tocsin::core {

std::string ToHex(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  return out;
}

std::string ToHex(std::string_view bytes) { return ToHex(Bytes(bytes)); }

std::optional<std::string> FromHex(std::string_view text,
                                   std::optional<std::size_t> expected_size) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out(text.size() / 2, '\0');
  std::size_t written = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                     text.size(), nullptr, &written, &end) != 0 ||
      written != out.size() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  if (expected_size && out.size() != *expected_size) return std::nullopt;
  return out;
}

}  // namespace tocsin::core
