#include "net/link_env.h"

#include <algorithm>
#include <vector>

namespace tocsin::net {

void LinkBoard::SetState(const RelayAddress& relay, LinkState state) {
  std::lock_guard lock(mu_);
  relays_[relay.ToString()].state = state;
}

void LinkBoard::SetHello(const RelayAddress& relay, const wire::Limits& limits,
                         std::int64_t skew_ms) {
  std::lock_guard lock(mu_);
  RelaySnapshot& s = relays_[relay.ToString()];
  s.limits = limits;
  s.clock_skew_ms = skew_ms;
  s.clock_measured = true;
}

void LinkBoard::SetSkew(const RelayAddress& relay, std::int64_t skew_ms) {
  std::lock_guard lock(mu_);
  RelaySnapshot& s = relays_[relay.ToString()];
  s.clock_skew_ms = skew_ms;
  s.clock_measured = true;
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
      if (s.clock_measured) skews.push_back(s.clock_skew_ms);
    }
  }
  if (skews.empty()) return std::nullopt;
  const auto middle = skews.begin() + static_cast<std::ptrdiff_t>((skews.size() - 1) / 2);
  std::nth_element(skews.begin(), middle, skews.end());
  return *middle;
}

}  // namespace tocsin::net
