// The subscriptions of one owner session and their window accounting
// (proto/SPEC.md section 8): queued entries first in seq order, then new ones as they
// are stored, never more than `window` delivered and unacked per subscription, nor
// more than `max_unacked_bytes` of entries over all of them (an entry is always
// delivered when nothing is unacked, however large). The byte bound keeps a reader that
// keeps up under the connection's outbound limit, which is meant for readers that do not:
// a window of 1,024 entries of 64 KiB would be 64 MiB.
//
// How the two sources meet without loss or duplicates: a subscription is either
// caught up (everything committed up to now with seq > last_delivered has been handed
// out) or has a backlog (the window filled up; the rest waits in the store). Newly
// stored entries arrive from the fan-out in commit order; when caught up and with room
// they are delivered straight from memory, otherwise they are dropped here and read
// back later from the store (ReadQueue after last_delivered) once acks free the window.
// An entry already read from the store arrives again from the fan-out with a seq not
// above last_delivered and is ignored.
//
// Thread-safety: confined to the session's thread.
#ifndef TOCSIN_RELAY_FANOUT_SUBSCRIPTION_SET_H_
#define TOCSIN_RELAY_FANOUT_SUBSCRIPTION_SET_H_

#include <span>
#include <vector>

#include "fanout/fanout.h"

namespace tocsin::relay {

class SubscriptionSet {
 public:
  // `store` and `fanout` must outlive the set.
  SubscriptionSet(SessionId session, const MailboxStore& store, Fanout& fanout,
                  std::uint64_t max_unacked_bytes);
  // Ends every subscription still held.
  ~SubscriptionSet();
  SubscriptionSet(const SubscriptionSet&) = delete;
  SubscriptionSet& operator=(const SubscriptionSet&) = delete;

  // (Re)starts delivery of `mailbox`: everything unacked is delivered again. Appends
  // the entries to deliver now to *out.
  Status Subscribe(const MailboxId& mailbox, std::uint32_t window, std::vector<QueuedEntry>* out);
  // A newly stored entry: true when it is to be delivered now (then it is in flight).
  bool OnStored(const QueuedEntry& entry);
  // Frees the window slots of `seqs` and appends backlog that now fits to *out (of
  // this mailbox first, then of the others, which share the byte bound).
  void OnAcked(const MailboxId& mailbox, std::span<const std::uint64_t> seqs,
               std::vector<QueuedEntry>* out);
  // Ends the subscription (a deleted mailbox).
  void Remove(const MailboxId& mailbox);
  // Another session took the subscription: forget it here without unregistering.
  void Moved(const MailboxId& mailbox);

  bool IsSubscribed(const MailboxId& mailbox) const;
  std::size_t InFlight(const MailboxId& mailbox) const;

 private:
  // What an entry counts against the byte bound: its content and its frame's fields.
  static std::uint64_t Weight(const QueuedEntry& entry);
  struct InFlightEntry {
    std::uint64_t seq = 0;
    std::uint64_t bytes = 0;
  };
  struct Sub {
    MailboxId mailbox{};
    std::uint32_t window = 0;
    std::uint64_t last_delivered = 0;
    std::vector<InFlightEntry> in_flight;  // sorted by seq
    bool backlog = true;
  };
  Sub* Find(const MailboxId& mailbox);
  Status Refill(Sub& sub, std::vector<QueuedEntry>* out);
  bool Fits(const Sub& sub, std::uint64_t bytes) const;
  void Take(Sub& sub, const QueuedEntry& entry);
  void Forget(Sub& sub);

  SessionId session_;
  const MailboxStore& store_;
  Fanout& fanout_;
  const std::uint64_t max_unacked_bytes_;
  std::uint64_t unacked_bytes_ = 0;
  std::vector<Sub> subs_;  // a handful per connection (max_mailboxes_per_connection)
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_FANOUT_SUBSCRIPTION_SET_H_
