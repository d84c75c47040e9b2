// The clock and randomness of one client, as its protocol code takes them (clock
// and randomness are parameters, so tests are deterministic).
//
// Thread-safety: SystemClock and RandomRng are thread-safe when the Random they wrap is.
#ifndef TOCSIN_CORE_ENVIRONMENT_H_
#define TOCSIN_CORE_ENVIRONMENT_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "crypto/random.h"
#include "tocsin/types.h"

namespace tocsin::core {

class SystemClock final : public Clock {
 public:
  std::uint64_t NowMs() override;
};

// A public tocsin::Random as the crypto layer's Rng; null wraps the system CSPRNG.
class RandomRng final : public crypto::Rng {
 public:
  explicit RandomRng(std::shared_ptr<Random> random) : random_(std::move(random)) {}
  void Fill(std::span<std::uint8_t> out) override;

 private:
  std::shared_ptr<Random> random_;
};

// What protocol code reads time and draws randomness from.
struct Env {
  Clock* clock = nullptr;
  crypto::Rng* rng = nullptr;
  std::uint64_t NowMs() const { return clock->NowMs(); }
  // `n` random bytes as a string (ids, tokens).
  std::string RandomString(std::size_t n) const;
  template <std::size_t N>
  std::array<std::uint8_t, N> RandomArray() const {
    std::array<std::uint8_t, N> out{};
    rng->Fill(out);
    return out;
  }
};

inline constexpr std::uint64_t kMsPerDay = 24ull * 3600 * 1000;

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_ENVIRONMENT_H_
