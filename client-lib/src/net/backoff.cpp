#include "net/backoff.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace tocsin::net {

Backoff::Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, crypto::Rng& rng)
    : min_(std::max(min, std::chrono::milliseconds(1))), max_(std::max(max, min_)), rng_(rng) {}

std::chrono::milliseconds Backoff::Ceiling() const {
  // Doubling stops once past max (and long before the shift could overflow).
  std::int64_t ceiling = min_.count();
  for (std::uint32_t i = 0; i < failures_ && ceiling < max_.count(); ++i) ceiling *= 2;
  return std::chrono::milliseconds(std::min(ceiling, max_.count()));
}

std::chrono::milliseconds Backoff::Next() {
  const std::uint64_t ceiling = static_cast<std::uint64_t>(Ceiling().count());
  std::array<std::uint8_t, 8> bytes{};
  rng_.Fill(bytes);
  std::uint64_t draw = 0;
  std::memcpy(&draw, bytes.data(), bytes.size());
  if (failures_ < UINT32_MAX) ++failures_;
  // The modulo bias is below 2^-40 for any ceiling a client uses.
  return std::chrono::milliseconds(static_cast<std::int64_t>(draw % (ceiling + 1)));
}

}  // namespace tocsin::net
