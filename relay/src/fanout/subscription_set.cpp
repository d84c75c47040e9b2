#include "fanout/subscription_set.h"

#include <algorithm>

namespace tocsin::relay {

SubscriptionSet::SubscriptionSet(SessionId session, const MailboxStore& store, Fanout& fanout)
    : session_(session), store_(store), fanout_(fanout) {}

SubscriptionSet::~SubscriptionSet() {
  for (const Sub& sub : subs_) fanout_.Unsubscribe(sub.mailbox, session_);
}

SubscriptionSet::Sub* SubscriptionSet::Find(const MailboxId& mailbox) {
  for (Sub& sub : subs_) {
    if (sub.mailbox == mailbox) return &sub;
  }
  return nullptr;
}

Status SubscriptionSet::Subscribe(const MailboxId& mailbox, std::uint32_t window,
                                  std::vector<QueuedEntry>* out) {
  Sub* sub = Find(mailbox);
  if (sub == nullptr) {
    subs_.push_back(Sub{});
    sub = &subs_.back();
    sub->mailbox = mailbox;
  }
  sub->window = window;
  sub->last_delivered = 0;
  sub->in_flight.clear();
  sub->backlog = true;
  // Register before reading the queue: an entry committed in between then arrives
  // from the fan-out after this read and is delivered or ignored by its seq.
  fanout_.Subscribe(mailbox, session_);
  return Refill(*sub, out);
}

Status SubscriptionSet::Refill(Sub& sub, std::vector<QueuedEntry>* out) {
  if (!sub.backlog || sub.in_flight.size() >= sub.window) return Status::Ok();
  const std::size_t room = sub.window - sub.in_flight.size();
  std::vector<QueuedEntry> batch;
  TOCSIN_RETURN_IF_ERROR(store_.ReadQueue(sub.mailbox, sub.last_delivered, room, &batch));
  for (QueuedEntry& entry : batch) {
    if (entry.seq <= sub.last_delivered) continue;
    sub.in_flight.push_back(entry.seq);
    sub.last_delivered = entry.seq;
    out->push_back(std::move(entry));
  }
  sub.backlog = batch.size() >= room;
  return Status::Ok();
}

bool SubscriptionSet::OnStored(const QueuedEntry& entry) {
  Sub* sub = Find(entry.mailbox);
  if (sub == nullptr || entry.seq <= sub->last_delivered) return false;
  if (sub->backlog || sub->in_flight.size() >= sub->window) {
    sub->backlog = true;
    return false;
  }
  sub->in_flight.push_back(entry.seq);
  sub->last_delivered = entry.seq;
  return true;
}

void SubscriptionSet::OnAcked(const MailboxId& mailbox, std::span<const std::uint64_t> seqs,
                              std::vector<QueuedEntry>* out) {
  Sub* sub = Find(mailbox);
  if (sub == nullptr) return;
  for (std::uint64_t seq : seqs) {
    auto it = std::lower_bound(sub->in_flight.begin(), sub->in_flight.end(), seq);
    if (it != sub->in_flight.end() && *it == seq) sub->in_flight.erase(it);
  }
  // A failed read leaves the backlog flag set; the next ack tries again.
  (void)Refill(*sub, out);
}

void SubscriptionSet::Remove(const MailboxId& mailbox) {
  fanout_.Unsubscribe(mailbox, session_);
  Moved(mailbox);
}

void SubscriptionSet::Moved(const MailboxId& mailbox) {
  std::erase_if(subs_, [&](const Sub& s) { return s.mailbox == mailbox; });
}

bool SubscriptionSet::IsSubscribed(const MailboxId& mailbox) const {
  return std::any_of(subs_.begin(), subs_.end(),
                     [&](const Sub& s) { return s.mailbox == mailbox; });
}

std::size_t SubscriptionSet::InFlight(const MailboxId& mailbox) const {
  for (const Sub& s : subs_) {
    if (s.mailbox == mailbox) return s.in_flight.size();
  }
  return 0;
}

}  // namespace tocsin::relay
