// What the protocol layer needs from around it, as small interfaces, so that it runs
// without sockets: the net layer implements them over TLS connections, tests implement
// them over plain queues.
#ifndef TOCSIN_RELAY_PROTOCOL_SESSION_HOST_H_
#define TOCSIN_RELAY_PROTOCOL_SESSION_HOST_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/mailbox_store.h"

namespace tocsin::relay {

// Names a session across threads. The low 8 bits are the index of the thread that owns
// the session (net/server.h); 0 names no session. Never reused within a process.
using SessionId = std::uint64_t;

class ProtocolSession;

// The connection under one ProtocolSession. Called only on the session's own thread.
class SessionOutput {
 public:
  virtual ~SessionOutput() = default;
  // The outbound queue: the session appends whole encoded frames to it.
  virtual std::string& outbound() = 0;
  // The appended frames are ready: write them soon (several appends may share a write).
  // Over the outbound byte bound the connection is closed (a slow reader).
  virtual void Flush() = 0;
  // Writes what is queued, then closes. Nothing is read after this.
  virtual void Close() = 0;
  // Owner connections only: lets the client resume the TLS session later
  // (proto/SPEC.md section 2).
  virtual void IssueSessionTicket() = 0;
  // True when the TLS handshake resumed an earlier session (a ticket). A resumed
  // connection is linked to the one that got the ticket, so it may not become a send
  // connection (proto/SPEC.md section 2.4).
  virtual bool ResumedTlsSession() const = 0;
};

// One newly stored entry for one subscribed session.
struct PushTarget {
  SessionId session = 0;
  std::uint32_t index = 0;  // into the shared entries vector
};

// Routes work to the thread that owns a session, by id. Thread-safe: called from the
// store's writer thread and from every network thread. Work for a session that is gone
// is dropped, never run.
class SessionDirectory {
 public:
  virtual ~SessionDirectory() = default;
  // Runs fn(session) later on the session's thread.
  virtual void Post(SessionId id, std::function<void(ProtocolSession&)> fn) = 0;
  // Hands entries to ProtocolSession::OnStored on each target's thread, in the order of
  // `targets` per session, then lets each touched session flush once.
  virtual void Deliver(std::shared_ptr<const std::vector<QueuedEntry>> entries,
                       std::vector<PushTarget> targets) = 0;
};

struct MailboxIdHash {
  std::size_t operator()(const MailboxId& id) const {
    std::size_t h;  // ids are random bytes: any 8 of them hash well
    std::memcpy(&h, id.data(), sizeof(h));
    return h;
  }
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_PROTOCOL_SESSION_HOST_H_
