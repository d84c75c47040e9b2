// Reconnect delays: exponential backoff with full jitter. After the n-th failure in a
// row the delay is uniform in [0, min(max, min * 2^n)], so that many clients cut off by
// the same relay restart do not all come back in the same instant.
//
// Randomness is a parameter (tests pass a DeterministicRng).
// Thread-safety: one thread at a time.
#ifndef TOCSIN_NET_BACKOFF_H_
#define TOCSIN_NET_BACKOFF_H_

#include <chrono>
#include <cstdint>

#include "crypto/random.h"

namespace tocsin::net {

class Backoff {
 public:
  // REQUIRES: 0 < min <= max; `rng` outlives this.
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, crypto::Rng& rng);

  // The delay before the next attempt; counts one more failure.
  std::chrono::milliseconds Next();
  // After a success: the next failure starts again from `min`.
  void Reset() { failures_ = 0; }
  std::uint32_t failures() const { return failures_; }
  // The upper bound of the delay Next() would draw now.
  std::chrono::milliseconds Ceiling() const;

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  crypto::Rng& rng_;
  std::uint32_t failures_ = 0;
};

}  // namespace tocsin::net

#endif  // TOCSIN_NET_BACKOFF_H_
