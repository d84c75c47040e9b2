// ProtocolSession: one connection's side of the relay protocol, with no I/O
// (proto/SPEC.md sections 4-9). It is fed decoded frames, answers through a
// SessionOutput, and calls the MailboxStore asynchronously; the store's answers come
// back to it through the SessionDirectory, by session id, on the session's own thread.
//
// What it enforces: Hello first, the connection kind's request set, mailbox auth
// (signatures over this connection's nonce), the per-connection request rate, the
// envelope rates per destination (mailbox, token) and per destination mailbox, every
// size and count limit of the Config, and
// typed errors. Whether a request closes the connection follows proto/SPEC.md: broken
// framing and protocol order close, everything else is answered and the connection stays.
//
// Thread-safety: confined to the thread that owns the session; the ProtocolEnv's
// members are thread-safe.
#ifndef TOCSIN_RELAY_PROTOCOL_SESSION_H_
#define TOCSIN_RELAY_PROTOCOL_SESSION_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "config/config.h"
#include "fanout/fanout.h"
#include "fanout/subscription_set.h"
#include "metrics/metrics.h"
#include "protocol/auth.h"
#include "protocol/rate_limiter.h"
#include "protocol/session_host.h"
#include "tocsin/relay.pb.h"

namespace tocsin::relay {

// retry_after_ms of an UNAVAILABLE answer (proto/SPEC.md section 5): long enough for a
// full disk or a restart not to be hammered, short enough for an alert to get through.
inline constexpr std::uint32_t kUnavailableRetryMs = 2000;

// Shared services of every session. All must outlive the sessions.
struct ProtocolEnv {
  const Config* config = nullptr;
  MailboxStore* store = nullptr;
  Fanout* fanout = nullptr;
  DeliveryRateLimiter* delivery_limiter = nullptr;
  SessionDirectory* directory = nullptr;
  RelayMetrics* metrics = nullptr;                      // may be null
  std::function<std::uint64_t()> now_ms;                // Unix ms
  std::function<void(std::span<std::uint8_t>)> random;  // server nonces
};

class ProtocolSession {
 public:
  ProtocolSession(SessionId id, const ProtocolEnv& env, SessionOutput& output);
  ~ProtocolSession();
  ProtocolSession(const ProtocolSession&) = delete;
  ProtocolSession& operator=(const ProtocolSession&) = delete;

  // One decoded frame from the client.
  void OnFrame(const wire::Frame& frame);
  // The decoder refused the stream (TOO_LARGE or BAD_FRAME): answers with id 0, closes.
  void OnDecodeError(const Status& error);
  // A newly stored entry of a subscribed mailbox (from the fan-out).
  void OnStored(const QueuedEntry& entry);
  // A newer connection subscribed to `mailbox`: its subscription here ends silently.
  void OnSubscriptionMoved(const MailboxId& mailbox);

  SessionId id() const { return id_; }
  wire::ConnectionKind kind() const { return kind_; }
  bool closed() const { return closed_; }
  // Requests waiting for the store; the connection pauses reading above a bound.
  std::size_t inflight() const { return inflight_; }

 private:
  using Request = wire::Request;
  friend class SessionTestPeer;

  // session.cpp: dispatch, Hello, answers.
  void HandleRequest(const Request& request);
  void HandleHello(const Request& request);
  bool Allowed(Request::BodyCase body) const;
  void Respond(std::uint64_t id, std::size_t type, wire::Response& response);
  // A success the client asked not to hear about (a quiet Ack): counted in the request
  // metrics as answered OK, nothing is sent.
  void SucceedQuietly(std::size_t type);
  void Fail(std::uint64_t id, std::size_t type, Code code, std::string_view message,
            std::uint32_t retry_after_ms = 0);
  void FailAndClose(std::uint64_t id, std::size_t type, Code code, std::string_view message);
  // Answers a failed store call. Domain refusals (NOT_FOUND, QUOTA_EXCEEDED, ...) keep
  // their message; a failed commit or read gets a fixed message, never the database's
  // own text (it names server files): that goes to the debug log.
  // A refusal or failure from the store. A RATE_LIMITED one (the store's delivery gate)
  // tells when to retry from `rate`'s buckets.
  void FailFromStore(std::uint64_t id, std::size_t type, const Status& status,
                     const DeliveryRateKey* rate = nullptr);
  void Deliver(const std::vector<QueuedEntry>& entries);
  // Runs `finish(session, result)` on this session's thread when the store answers.
  template <typename T, typename Finish>
  std::function<void(Result<T>)> Later(Finish finish);

  // owner_requests.cpp
  void HandleCreateMailbox(const Request& request);
  void HandleAuthenticate(const Request& request);
  void HandleSubscribe(const Request& request);
  void HandleAck(const Request& request);
  void HandleSetTokens(const Request& request);
  void HandleRotateToken(const Request& request);
  void HandlePutPrekeys(const Request& request);
  void HandleDeleteMailbox(const Request& request);
  bool IsAuthenticated(const MailboxId& mailbox) const;
  // A 16-byte mailbox id; answers BAD_FRAME and returns nullopt otherwise.
  std::optional<MailboxId> ParseMailboxId(const Request& request, std::size_t type,
                                          const std::string& bytes);
  // True when this connection owns `mailbox`; answers UNAUTHORIZED otherwise.
  bool CheckOwned(const Request& request, std::size_t type, const MailboxId& mailbox);
  // Both of the above, for requests with no other field to check first.
  std::optional<MailboxId> OwnedMailbox(const Request& request, std::size_t type,
                                        const std::string& bytes);

  // send_requests.cpp
  void HandleSend(const Request& request);
  void HandlePutBlob(const Request& request);
  void HandleSendViews(const Request& request);
  void HandleGetPrekeyBundle(const Request& request);
  // TTL 0 becomes the cap; over the cap answers TOO_LARGE and returns nullopt.
  std::optional<std::uint32_t> CheckTtl(const Request& request, std::size_t type,
                                        std::uint32_t ttl);
  // Answers RATE_LIMITED and returns false when `key` may not deliver an envelope now.
  bool CheckDeliveryRate(const Request& request, std::size_t type, const DeliveryRateKey& key);

  const SessionId id_;
  const ProtocolEnv& env_;
  SessionOutput& output_;
  wire::ConnectionKind kind_ = wire::CONNECTION_KIND_UNSPECIFIED;
  bool hello_done_ = false;
  bool closed_ = false;
  std::array<std::uint8_t, kServerNonceSize> nonce_{};
  TokenBucket request_bucket_;
  std::vector<MailboxId> authenticated_;          // at most max_mailboxes_per_connection
  std::size_t pending_mailboxes_ = 0;             // CreateMailbox in flight: slots reserved
  std::optional<SubscriptionSet> subscriptions_;  // owner connections only
  std::size_t inflight_ = 0;
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_PROTOCOL_SESSION_H_
