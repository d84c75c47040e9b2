// Fanout: which session is subscribed to which mailbox, and the store's stored-listener
// that pushes every newly committed entry to its mailbox's subscriber.
//
// The registry maps mailbox -> session id (never a pointer: the session lives on a
// network thread and may be gone by the time a push arrives; SessionDirectory drops
// such pushes). One mailbox has at most one subscriber: a newer subscription moves it
// (proto/SPEC.md section 8) and the older session is told so.
//
// Thread-safety: every method may be called from any thread.
#ifndef TOCSIN_RELAY_FANOUT_FANOUT_H_
#define TOCSIN_RELAY_FANOUT_FANOUT_H_

#include <mutex>
#include <span>
#include <unordered_map>

#include "protocol/session_host.h"

namespace tocsin::relay {

class Fanout {
 public:
  // `directory` must outlive the Fanout.
  explicit Fanout(SessionDirectory& directory);

  // Makes `session` the subscriber of `mailbox`. A previous, different subscriber gets
  // ProtocolSession::OnSubscriptionMoved on its own thread.
  void Subscribe(const MailboxId& mailbox, SessionId session);
  // Ends the subscription if `session` still holds it.
  void Unsubscribe(const MailboxId& mailbox, SessionId session);

  // The store's stored-listener: one Deliver() for the whole commit. Runs on the store's
  // writer thread; does no I/O and takes the registry lock once.
  void OnStored(std::span<const QueuedEntry> entries);

  std::size_t subscriptions() const;

 private:
  SessionDirectory& directory_;
  mutable std::mutex mu_;
  std::unordered_map<MailboxId, SessionId, MailboxIdHash> subscribers_;  // GUARDED_BY(mu_)
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_FANOUT_FANOUT_H_
