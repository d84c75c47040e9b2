#include "protocol/rate_limiter.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>

namespace tocsin::relay {
namespace {

// A full bucket is the same as no bucket: dropping those keeps the maps as small as the
// set of recently busy tokens and mailboxes.
template <typename Map>
void EraseFull(Map& buckets, std::uint64_t now_ms) {
  for (auto it = buckets.begin(); it != buckets.end();) {
    it = it->second.Full(now_ms) ? buckets.erase(it) : std::next(it);
  }
}

}  // namespace

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

void TokenBucket::Refund(double n, std::uint64_t now_ms) {
  Refill(now_ms);
  tokens_ = std::min(burst_, tokens_ + n);
}

bool TokenBucket::Full(std::uint64_t now_ms) {
  Refill(now_ms);
  return tokens_ >= burst_;
}

DeliveryRates DeliveryRatesOf(const Config& config) {
  DeliveryRates r;
  r.token_per_second = static_cast<double>(config.token_envelopes_per_second);
  r.token_burst = static_cast<double>(config.token_burst);
  r.mailbox_per_second = static_cast<double>(config.mailbox_total_envelopes_per_second);
  r.mailbox_burst = static_cast<double>(config.mailbox_total_burst);
  return r;
}

DeliveryRateLimiter::DeliveryRateLimiter(const DeliveryRates& rates) : rates_(rates) {
  randombytes_buf(hash_key_.data(), hash_key_.size());
}

std::size_t DeliveryRateLimiter::DigestHash::operator()(
    const std::array<std::uint8_t, 16>& d) const {
  std::size_t h;  // a keyed hash's output: any 8 bytes of it hash well
  std::memcpy(&h, d.data(), sizeof(h));
  return h;
}

DeliveryRateKey DeliveryRateLimiter::KeyFor(const MailboxId& mailbox, const Token& token) const {
  static_assert(crypto_shorthash_siphashx24_BYTES == sizeof(DeliveryRateKey::token_digest));
  static_assert(crypto_shorthash_siphashx24_KEYBYTES == std::tuple_size_v<decltype(hash_key_)>);
  std::array<std::uint8_t, kMailboxIdSize + kTokenSize> input;
  std::memcpy(input.data(), mailbox.data(), kMailboxIdSize);
  std::memcpy(input.data() + kMailboxIdSize, token.data(), kTokenSize);
  DeliveryRateKey key;
  key.mailbox = mailbox;
  crypto_shorthash_siphashx24(key.token_digest.data(), input.data(), input.size(),
                              hash_key_.data());
  sodium_memzero(input.data(), input.size());
  return key;
}

std::uint32_t DeliveryRateLimiter::Check(const DeliveryRateKey& key, std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  return CheckLocked(key, now_ms);
}

std::uint32_t DeliveryRateLimiter::Admit(const DeliveryRateKey& key, std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  const std::uint32_t wait = CheckLocked(key, now_ms);
  if (wait == 0) ChargeLocked(key, 1, now_ms);
  return wait;
}

// A bucket pruned since (full again) has nothing to give back.
void DeliveryRateLimiter::Refund(const DeliveryRateKey& key, std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  if (auto it = token_buckets_.find(key.token_digest); it != token_buckets_.end()) {
    it->second.Refund(1, now_ms);
  }
  if (auto it = mailbox_buckets_.find(key.mailbox); it != mailbox_buckets_.end()) {
    it->second.Refund(1, now_ms);
  }
}

std::uint32_t DeliveryRateLimiter::CheckLocked(const DeliveryRateKey& key, std::uint64_t now_ms) {
  std::uint32_t wait = 0;
  if (auto it = token_buckets_.find(key.token_digest); it != token_buckets_.end()) {
    wait = it->second.WaitFor(1, now_ms);
  }
  if (auto it = mailbox_buckets_.find(key.mailbox); it != mailbox_buckets_.end()) {
    wait = std::max(wait, it->second.WaitFor(1, now_ms));
  }
  return wait;
}

void DeliveryRateLimiter::Charge(const DeliveryRateKey& key, double n, std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  ChargeLocked(key, n, now_ms);
}

void DeliveryRateLimiter::ChargeLocked(const DeliveryRateKey& key, double n, std::uint64_t now_ms) {
  token_buckets_.try_emplace(key.token_digest, rates_.token_per_second, rates_.token_burst, now_ms)
      .first->second.Charge(n, now_ms);
  mailbox_buckets_.try_emplace(key.mailbox, rates_.mailbox_per_second, rates_.mailbox_burst, now_ms)
      .first->second.Charge(n, now_ms);
  PruneLocked(now_ms);
}

std::size_t DeliveryRateLimiter::BucketCount() {
  std::lock_guard lock(mu_);
  return token_buckets_.size() + mailbox_buckets_.size();
}

void DeliveryRateLimiter::PruneLocked(std::uint64_t now_ms) {
  if (now_ms < last_prune_ms_ + 10000) return;
  last_prune_ms_ = now_ms;
  EraseFull(token_buckets_, now_ms);
  EraseFull(mailbox_buckets_, now_ms);
}

}  // namespace tocsin::relay
