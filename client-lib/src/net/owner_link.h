// OwnerLink: a device's one OWNER connection to one relay (proto/SPEC.md sections 4-8).
//
// It connects on demand, authenticates every mailbox it knows (added with AddMailbox or
// created here), subscribes the added ones with the pool's window, hands deliveries to
// the pool's handler and sends acks in batches: at most one quiet Ack per mailbox per
// ack interval (the relay limits requests per connection, and an Ack it refuses frees no
// window slot); one refused with RATE_LIMITED is queued again; pending acks go out after
// Authenticate and before Subscribe on a new connection, so acked entries are not
// delivered again. A lost connection is re-established with exponential backoff and full
// jitter, and everything is authenticated and subscribed again.
//
// Hard failures are not retried by themselves: a pin mismatch or an unsupported version
// stops the link (kFailing) until the next call asks for the relay again; a mailbox the
// relay refuses (UNAUTHORIZED, NOT_FOUND, ...) is dropped. Transient answers (RATE_LIMITED,
// INTERNAL, UNAVAILABLE, timeouts) close the connection and go through the backoff.
//
// Thread-safety: confined to the io_context's thread.
#ifndef TOCSIN_NET_OWNER_LINK_H_
#define TOCSIN_NET_OWNER_LINK_H_

#include <map>
#include <memory>
#include <vector>

#include "net/backoff.h"
#include "net/link_env.h"
#include "net/relay_connection.h"

namespace tocsin::net {

class OwnerLink : public std::enable_shared_from_this<OwnerLink> {
 public:
  using ResponseCallback = RelayConnection::ResponseCallback;

  OwnerLink(std::shared_ptr<LinkEnv> env, RelayAddress relay);
  ~OwnerLink();

  void AddMailbox(const MailboxId& mailbox, AuthKeyPair key, StatusCallback done);
  void RemoveMailbox(const MailboxId& mailbox);
  void Ack(const MailboxId& mailbox, std::uint64_t seq);
  void CreateMailbox(std::string invite, AuthKeyPair key, Callback<MailboxId> done);
  // A request naming `mailbox` (SetTokens, RotateToken, PutPrekeys, DeleteMailbox).
  void MailboxRequest(const MailboxId& mailbox, wire::Request request, ResponseCallback done);
  // Ends everything: the connection closes, every callback still owed gets `reason`.
  void Shutdown(const Status& reason);
  // True when the current connection resumed the TLS session of an earlier one.
  bool resumed() const { return conn_ && conn_->resumed(); }

 private:
  enum class Phase { kIdle, kAuthenticating, kAuthenticated, kSubscribing, kSubscribed };
  struct Queued {
    wire::Request request;
    ResponseCallback done;
  };
  struct Mailbox {
    AuthKeyPair key;
    bool subscribe = false;  // added with AddMailbox (else only created here)
    Phase phase = Phase::kIdle;
    StatusCallback done;  // until the first Subscribed or a hard failure
    std::vector<std::uint64_t> acks;
    std::vector<Queued> waiting;  // requests until authenticated
  };
  using ConnPtr = std::shared_ptr<RelayConnection>;

  // Connection life (owner_link.cpp).
  void EnsureConnection();
  void Connect();
  void OnOpened(const RelayConnection* conn, Result<wire::HelloOk> hello);
  void OnClosed(const RelayConnection* conn, const Status& reason);
  void OnConnectionLost(const Status& reason);
  void ScheduleRetry();
  void OnRetry();
  void SetState(LinkState state, const Status& status);
  void CheckConnected();
  bool HasWork() const;
  void ArmPing();
  void OnPing();

  // Mailboxes (owner_link_mailboxes.cpp).
  void Authenticate(const MailboxId& id);
  void OnAuthenticated(const RelayConnection* conn, const MailboxId& id,
                       Result<wire::Response> answer);
  void Subscribe(const MailboxId& id);
  void OnSubscribed(const RelayConnection* conn, const MailboxId& id,
                    Result<wire::Response> answer);
  void DropMailbox(const MailboxId& id, const Status& reason, bool report);
  void OnPush(const RelayConnection* conn, wire::Push push);
  void ArmAckFlush(RelayConnection::Clock::time_point due);
  void FlushAcks();
  void SendAcks(const MailboxId& id, Mailbox& mailbox);
  void SendAck(const MailboxId& id, std::vector<std::uint64_t> seqs);
  void OnAckRefused(const RelayConnection* conn, const MailboxId& id,
                    std::vector<std::uint64_t> seqs, const Status& status,
                    std::uint32_t retry_after_ms);
  void SendCreate(const std::string& invite, const std::shared_ptr<AuthKeyPair>& key,
                  Callback<MailboxId> done);
  void Remember(const RelayConnection* conn, const MailboxId& id, const AuthKeyPair& key);
  void FailWaiting(const Status& reason);
  // Sends now when the connection is open, else once it is (or fails with it).
  void WhenOpen(std::function<void()> send, std::function<void(const Status&)> fail);
  bool Unreachable(const std::function<void(const Status&)>& fail);

  bool Usable() const { return conn_ && conn_->is_open(); }

  std::shared_ptr<LinkEnv> env_;
  const RelayAddress relay_;
  std::map<MailboxId, Mailbox> mailboxes_;
  struct OnOpen {
    std::function<void()> send;
    std::function<void(const Status&)> fail;
  };
  std::vector<OnOpen> on_open_;  // requests waiting for HelloOk
  ConnPtr conn_;
  SslSessionPtr ticket_;
  Backoff backoff_;
  asio::steady_timer retry_timer_;
  bool retry_scheduled_ = false;
  bool stopped_ = false;  // after a hard failure: no retries until asked again
  asio::steady_timer ping_timer_;
  asio::steady_timer ack_timer_;
  bool ack_flush_armed_ = false;
  RelayConnection::Clock::time_point last_ack_flush_;
  // Set from a RATE_LIMITED answer to an Ack: no ack flush before then.
  RelayConnection::Clock::time_point acks_not_before_;
  LinkState state_ = LinkState::kConnecting;
  Status last_status_;
  bool state_reported_ = false;
};

}  // namespace tocsin::net

#endif  // TOCSIN_NET_OWNER_LINK_H_
