#include "net/link_env.h"

#include <algorithm>
#include <vector>

namespace tocsin::net {

void LinkBoard::SetState(const RelayAddress& relay, LinkState state) {
  std::lock_guard lock(mu_);
  relays_[relay.ToString()].state = state;
}

namespace {

void Measured(RelaySnapshot& s, std::int64_t skew_ms, bool own_relay) {
  s.clock_skew_ms = skew_ms;
  if (own_relay) s.owner_clock_skew_ms = skew_ms;
}

}  // namespace

void LinkBoard::SetHello(const RelayAddress& relay, const wire::Limits& limits,
                         std::int64_t skew_ms, bool own_relay) {
  std::lock_guard lock(mu_);
  RelaySnapshot& s = relays_[relay.ToString()];
  s.limits = limits;
  Measured(s, skew_ms, own_relay);
}

void LinkBoard::SetSkew(const RelayAddress& relay, std::int64_t skew_ms, bool own_relay) {
  std::lock_guard lock(mu_);
  Measured(relays_[relay.ToString()], skew_ms, own_relay);
}

RelaySnapshot LinkBoard::Get(const RelayAddress& relay) const {
  std::lock_guard lock(mu_);
  auto it = relays_.find(relay.ToString());
  return it == relays_.end() ? RelaySnapshot{} : it->second;
}

std::optional<std::int64_t> LinkBoard::MedianSkew() const {
  std::vector<std::int64_t> skews;
  {
    std::lock_guard lock(mu_);
    for (const auto& [address, s] : relays_) {
      if (s.owner_clock_skew_ms) skews.push_back(*s.owner_clock_skew_ms);
    }
  }
  if (skews.empty()) return std::nullopt;
  const auto middle = skews.begin() + static_cast<std::ptrdiff_t>((skews.size() - 1) / 2);
  std::nth_element(skews.begin(), middle, skews.end());
  return *middle;
}

}  // namespace tocsin::net
