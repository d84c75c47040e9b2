// Randomness as a parameter: protocol code takes an Rng so that tests can be
// deterministic (known-answer vectors) while production uses the system CSPRNG.
#ifndef TOCSIN_CRYPTO_RANDOM_H_
#define TOCSIN_CRYPTO_RANDOM_H_

#include <cstdint>
#include <span>

namespace tocsin::crypto {

class Rng {
 public:
  virtual ~Rng() = default;
  // Fills `out` with random bytes. Never fails.
  virtual void Fill(std::span<std::uint8_t> out) = 0;
};

// libsodium's randombytes_buf (getrandom(2)). Thread-safe.
class SystemRng final : public Rng {
 public:
  void Fill(std::span<std::uint8_t> out) override;
};

// The process-wide SystemRng.
Rng& DefaultRng();

// WARNING: for tests and test vectors only. A ChaCha20 stream
// (randombytes_buf_deterministic) from a 32-byte seed: the same seed gives the same bytes.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(std::span<const std::uint8_t, 32> seed);
  explicit DeterministicRng(std::uint8_t seed_byte);
  void Fill(std::span<std::uint8_t> out) override;

 private:
  std::uint8_t seed_[32];
  std::uint64_t counter_ = 0;
};

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_RANDOM_H_
