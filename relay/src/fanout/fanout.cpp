#include "fanout/fanout.h"

#include "protocol/session.h"

namespace tocsin::relay {

Fanout::Fanout(SessionDirectory& directory) : directory_(directory) {}

void Fanout::Subscribe(const MailboxId& mailbox, SessionId session) {
  SessionId previous = 0;
  {
    std::lock_guard lock(mu_);
    SessionId& slot = subscribers_[mailbox];
    previous = slot;
    slot = session;
  }
  if (previous != 0 && previous != session) {
    directory_.Post(previous, [mailbox](ProtocolSession& s) { s.OnSubscriptionMoved(mailbox); });
  }
}

void Fanout::Unsubscribe(const MailboxId& mailbox, SessionId session) {
  std::lock_guard lock(mu_);
  auto it = subscribers_.find(mailbox);
  if (it != subscribers_.end() && it->second == session) subscribers_.erase(it);
}

void Fanout::OnStored(std::span<const QueuedEntry> entries) {
  std::vector<PushTarget> targets;
  targets.reserve(entries.size());
  {
    std::lock_guard lock(mu_);
    if (subscribers_.empty()) return;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      auto it = subscribers_.find(entries[i].mailbox);
      if (it != subscribers_.end()) {
        targets.push_back({it->second, static_cast<std::uint32_t>(i)});
      }
    }
  }
  if (targets.empty()) return;
  auto shared = std::make_shared<const std::vector<QueuedEntry>>(entries.begin(), entries.end());
  directory_.Deliver(std::move(shared), std::move(targets));
}

std::size_t Fanout::subscriptions() const {
  std::lock_guard lock(mu_);
  return subscribers_.size();
}

}  // namespace tocsin::relay
