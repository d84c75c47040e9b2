#include "net/link_env.h"

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
}

void LinkBoard::SetSkew(const RelayAddress& relay, std::int64_t skew_ms) {
  std::lock_guard lock(mu_);
  relays_[relay.ToString()].clock_skew_ms = skew_ms;
}

RelaySnapshot LinkBoard::Get(const RelayAddress& relay) const {
  std::lock_guard lock(mu_);
  auto it = relays_.find(relay.ToString());
  return it == relays_.end() ? RelaySnapshot{} : it->second;
}

}  // namespace tocsin::net
