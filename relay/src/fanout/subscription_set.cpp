#include "fanout/subscription_set.h"

#include <algorithm>

namespace tocsin::relay {
namespace {

// A Push's fields around the content (ids, seq, expiry, tags): a generous bound.
constexpr std::uint64_t kFrameOverhead = 64;

}  // namespace

SubscriptionSet::SubscriptionSet(SessionId session, const MailboxStore& store, Fanout& fanout,
                                 std::uint64_t max_unacked_bytes)
    : session_(session), store_(store), fanout_(fanout), max_unacked_bytes_(max_unacked_bytes) {}

SubscriptionSet::~SubscriptionSet() {
  for (const Sub& sub : subs_) fanout_.Unsubscribe(sub.mailbox, session_);
}

std::uint64_t SubscriptionSet::Weight(const QueuedEntry& entry) {
  std::uint64_t bytes = kFrameOverhead + entry.view.size();
  if (entry.envelope) bytes += entry.envelope->size();
  if (entry.blob) bytes += entry.blob->size();
  return bytes;
}

SubscriptionSet::Sub* SubscriptionSet::Find(const MailboxId& mailbox) {
  for (Sub& sub : subs_) {
    if (sub.mailbox == mailbox) return &sub;
  }
  return nullptr;
}

bool SubscriptionSet::Fits(const Sub& sub, std::uint64_t bytes) const {
  if (sub.in_flight.size() >= sub.window) return false;
  return unacked_bytes_ == 0 || unacked_bytes_ + bytes <= max_unacked_bytes_;
}

void SubscriptionSet::Take(Sub& sub, const QueuedEntry& entry) {
  const std::uint64_t bytes = Weight(entry);
  sub.in_flight.push_back({entry.seq, bytes});
  sub.last_delivered = entry.seq;
  unacked_bytes_ += bytes;
}

void SubscriptionSet::Forget(Sub& sub) {
  for (const InFlightEntry& e : sub.in_flight) unacked_bytes_ -= e.bytes;
  sub.in_flight.clear();
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
  Forget(*sub);
  sub->backlog = true;
  // Register before reading the queue: an entry committed in between then arrives
  // from the fan-out after this read and is delivered or ignored by its seq.
  fanout_.Subscribe(mailbox, session_);
  return Refill(*sub, out);
}

Status SubscriptionSet::Refill(Sub& sub, std::vector<QueuedEntry>* out) {
  // In reads of at most kReadChunk entries, so that an entry the byte bound stops costs
  // at most that many reads of entries that wait (they may be 64 KiB each).
  constexpr std::size_t kReadChunk = 64;
  std::vector<QueuedEntry> batch;
  while (sub.backlog && sub.in_flight.size() < sub.window) {
    const std::size_t want = std::min(kReadChunk, sub.window - sub.in_flight.size());
    batch.clear();
    TOCSIN_RETURN_IF_ERROR(store_.ReadQueue(sub.mailbox, sub.last_delivered, want, &batch));
    for (QueuedEntry& entry : batch) {
      if (entry.seq <= sub.last_delivered) continue;
      if (!Fits(sub, Weight(entry))) return Status::Ok();  // read again once acks free bytes
      Take(sub, entry);
      out->push_back(std::move(entry));
    }
    sub.backlog = batch.size() >= want;
  }
  return Status::Ok();
}

bool SubscriptionSet::OnStored(const QueuedEntry& entry) {
  Sub* sub = Find(entry.mailbox);
  if (sub == nullptr || entry.seq <= sub->last_delivered) return false;
  if (sub->backlog || !Fits(*sub, Weight(entry))) {
    sub->backlog = true;
    return false;
  }
  Take(*sub, entry);
  return true;
}

void SubscriptionSet::OnAcked(const MailboxId& mailbox, std::span<const std::uint64_t> seqs,
                              std::vector<QueuedEntry>* out) {
  Sub* sub = Find(mailbox);
  if (sub == nullptr) return;
  std::uint64_t freed = 0;
  for (std::uint64_t seq : seqs) {
    auto it = std::lower_bound(sub->in_flight.begin(), sub->in_flight.end(), seq,
                               [](const InFlightEntry& e, std::uint64_t s) { return e.seq < s; });
    if (it != sub->in_flight.end() && it->seq == seq) {
      freed += it->bytes;
      sub->in_flight.erase(it);
    }
  }
  unacked_bytes_ -= freed;
  // A failed read leaves the backlog flag set; the next ack tries again.
  (void)Refill(*sub, out);
  if (freed == 0) return;
  for (Sub& other : subs_) {
    if (&other != sub && other.backlog) (void)Refill(other, out);
  }
}

void SubscriptionSet::Remove(const MailboxId& mailbox) {
  fanout_.Unsubscribe(mailbox, session_);
  Moved(mailbox);
}

void SubscriptionSet::Moved(const MailboxId& mailbox) {
  for (Sub& sub : subs_) {
    if (sub.mailbox == mailbox) Forget(sub);
  }
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
