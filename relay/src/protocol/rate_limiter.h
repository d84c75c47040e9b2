// Token buckets: one per connection (requests) and one per destination mailbox
// (envelopes), proto/SPEC.md section 11. Time is passed in, so tests control it.
#ifndef TOCSIN_RELAY_PROTOCOL_RATE_LIMITER_H_
#define TOCSIN_RELAY_PROTOCOL_RATE_LIMITER_H_

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "protocol/session_host.h"

namespace tocsin::relay {

// Thread-compatible (one owner at a time).
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst, std::uint64_t now_ms);
  // Takes `n` tokens if there are that many. Returns 0 on success, otherwise the number
  // of milliseconds until `n` tokens will be there (at least 1).
  std::uint32_t Take(double n, std::uint64_t now_ms);
  // As Take, without taking anything.
  std::uint32_t WaitFor(double n, std::uint64_t now_ms);
  // Takes up to `n` tokens without failing (the bucket may go empty).
  void Charge(double n, std::uint64_t now_ms);
  bool Full(std::uint64_t now_ms);

 private:
  void Refill(std::uint64_t now_ms);
  double rate_per_ms_;
  double burst_;
  double tokens_;
  std::uint64_t last_ms_;
};

// Per destination mailbox envelope rate. Only envelopes that were stored are charged, so
// a sender without a valid token cannot use up a mailbox's budget. Thread-safe.
class MailboxRateLimiter {
 public:
  MailboxRateLimiter(double rate_per_second, double burst);
  // 0 when `mailbox` may take an envelope now, otherwise ms to wait.
  std::uint32_t Check(const MailboxId& mailbox, std::uint64_t now_ms);
  // Counts `n` stored envelopes against the mailbox.
  void Charge(const MailboxId& mailbox, double n, std::uint64_t now_ms);

 private:
  void PruneLocked(std::uint64_t now_ms);
  double rate_;
  double burst_;
  std::mutex mu_;
  std::unordered_map<MailboxId, TokenBucket, MailboxIdHash> buckets_;  // GUARDED_BY(mu_)
  std::uint64_t last_prune_ms_ = 0;                                    // GUARDED_BY(mu_)
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_PROTOCOL_RATE_LIMITER_H_
