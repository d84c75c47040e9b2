#include "protocol/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tocsin::relay {

TokenBucket::TokenBucket(double rate_per_second, double burst, std::uint64_t now_ms)
    : rate_per_ms_(rate_per_second / 1000.0), burst_(burst), tokens_(burst), last_ms_(now_ms) {}

void TokenBucket::Refill(std::uint64_t now_ms) {
  if (now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * rate_per_ms_);
    last_ms_ = now_ms;
  }
}

std::uint32_t TokenBucket::WaitFor(double n, std::uint64_t now_ms) {
  Refill(now_ms);
  if (tokens_ >= n) return 0;
  const double wait = std::ceil((n - tokens_) / rate_per_ms_);
  return static_cast<std::uint32_t>(std::clamp(wait, 1.0, 3600e3));
}

std::uint32_t TokenBucket::Take(double n, std::uint64_t now_ms) {
  const std::uint32_t wait = WaitFor(n, now_ms);
  if (wait == 0) tokens_ -= n;
  return wait;
}

void TokenBucket::Charge(double n, std::uint64_t now_ms) {
  Refill(now_ms);
  tokens_ = std::max(0.0, tokens_ - n);
}

bool TokenBucket::Full(std::uint64_t now_ms) {
  Refill(now_ms);
  return tokens_ >= burst_;
}

MailboxRateLimiter::MailboxRateLimiter(double rate_per_second, double burst)
    : rate_(rate_per_second), burst_(burst) {}

std::uint32_t MailboxRateLimiter::Check(const MailboxId& mailbox, std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(mailbox);
  return it == buckets_.end() ? 0 : it->second.WaitFor(1, now_ms);
}

void MailboxRateLimiter::Charge(const MailboxId& mailbox, double n, std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = buckets_.try_emplace(mailbox, rate_, burst_, now_ms).first;
  it->second.Charge(n, now_ms);
  PruneLocked(now_ms);
}

// A full bucket is the same as no bucket: dropping those keeps the map as small as the
// set of recently busy mailboxes.
void MailboxRateLimiter::PruneLocked(std::uint64_t now_ms) {
  if (now_ms < last_prune_ms_ + 10000) return;
  last_prune_ms_ = now_ms;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = it->second.Full(now_ms) ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace tocsin::relay
