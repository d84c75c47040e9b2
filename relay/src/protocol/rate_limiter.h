// Token buckets: one per connection (requests), and for envelopes one per destination
// mailbox and delivery token plus one per mailbox for all its tokens together
// (proto/SPEC.md section 11). Time is passed in, so tests control it.
#ifndef TOCSIN_RELAY_PROTOCOL_RATE_LIMITER_H_
#define TOCSIN_RELAY_PROTOCOL_RATE_LIMITER_H_

#include <array>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "config/config.h"
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
  // Puts `n` tokens back, up to the burst.
  void Refund(double n, std::uint64_t now_ms);
  bool Full(std::uint64_t now_ms);

 private:
  void Refill(std::uint64_t now_ms);
  double rate_per_ms_;
  double burst_;
  double tokens_;
  std::uint64_t last_ms_;
};

// Envelopes per second and burst of the two buckets of DeliveryRateLimiter.
struct DeliveryRates {
  double token_per_second = 0;
  double token_burst = 0;
  double mailbox_per_second = 0;
  double mailbox_burst = 0;
};
// The rates of [rate_limits] in `config`.
DeliveryRates DeliveryRatesOf(const Config& config);

// Envelope rates into mailboxes. Each (mailbox, token) pair has its own bucket, so one
// sender flooding a mailbox over its token does not slow the other senders to it; each
// mailbox also has a bucket for all its tokens together, so many tokens cannot flood it
// either. Senders that share a token (a contact card's INTRO token, the roster's ALERT
// token) share its bucket. A network thread checks a request before it goes to the
// store (Check: a refusal costs the store nothing); the store's writer admits and
// counts each envelope that passed the token check (Admit, the DeliveryGate), so a
// sender without a valid token cannot use up a mailbox's budget and requests in flight
// together cannot overtake the count. A full bucket is dropped (it is the same as
// none), so memory follows the recently busy pairs. Thread-safe.
class DeliveryRateLimiter final : public DeliveryGate {
 public:
  explicit DeliveryRateLimiter(const DeliveryRates& rates);
  DeliveryRateLimiter(const DeliveryRateLimiter&) = delete;
  DeliveryRateLimiter& operator=(const DeliveryRateLimiter&) = delete;

  // The key of (mailbox, token); the same pair gives the same key for this limiter.
  DeliveryRateKey KeyFor(const MailboxId& mailbox, const Token& token) const;
  // 0 when the pair may deliver one envelope now, otherwise ms to wait: the longer of
  // the token's and the mailbox's waits. Takes nothing.
  std::uint32_t Check(const DeliveryRateKey& key, std::uint64_t now_ms);
  // Check, and when it passes, Charge one, under one lock.
  std::uint32_t Admit(const DeliveryRateKey& key, std::uint64_t now_ms) override;
  // Gives one admitted envelope back to the pair's token bucket and its mailbox's.
  void Refund(const DeliveryRateKey& key, std::uint64_t now_ms) override;
  // Counts `n` stored envelopes against the pair's token bucket and its mailbox's.
  void Charge(const DeliveryRateKey& key, double n, std::uint64_t now_ms);
  // Buckets held (token buckets + mailbox buckets), for tests of the pruning.
  std::size_t BucketCount();

 private:
  struct DigestHash {
    std::size_t operator()(const std::array<std::uint8_t, 16>& d) const;
  };
  std::uint32_t CheckLocked(const DeliveryRateKey& key, std::uint64_t now_ms);
  void ChargeLocked(const DeliveryRateKey& key, double n, std::uint64_t now_ms);
  void PruneLocked(std::uint64_t now_ms);

  const DeliveryRates rates_;
  std::array<std::uint8_t, 16> hash_key_{};  // random, for the lifetime of the limiter
  std::mutex mu_;
  std::unordered_map<std::array<std::uint8_t, 16>, TokenBucket, DigestHash>
      token_buckets_;                                                          // GUARDED_BY(mu_)
  std::unordered_map<MailboxId, TokenBucket, MailboxIdHash> mailbox_buckets_;  // GUARDED_BY(mu_)
  std::uint64_t last_prune_ms_ = 0;                                            // GUARDED_BY(mu_)
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_PROTOCOL_RATE_LIMITER_H_
