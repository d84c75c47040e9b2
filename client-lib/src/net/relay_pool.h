// RelayPool: a device's links to its relays and to its contacts' relays
// (proto/SPEC.md sections 2-9).
//
// For each relay the pool keeps at most one OWNER connection (authenticates this
// device's mailboxes on that relay, subscribes them with a window, receives deliveries,
// acks) and opens short-lived SEND connections on demand (never authenticated, never
// resumed, closed when idle) for Send, PutBlob + SendViews and GetPrekeyBundle. The two
// kinds are never mixed: a relay must not be able to link a send to its sender's
// mailboxes.
//
// Every connection is TLS 1.3 with the relay's pinned key (RelayAddress.pin); a wrong
// pin is a hard failure (kUnauthorized "relay pin mismatch") and is never retried
// silently. Lost owner connections are re-established with exponential backoff and
// jitter; on reconnect every mailbox is authenticated and subscribed again, and
// everything unacked is delivered again (the caller drops duplicates).
//
// Thread-safety: every method may be called from any thread. Callbacks and handlers run
// on the pool's io_context thread; they must not block (post longer work elsewhere).
#ifndef TOCSIN_NET_RELAY_POOL_H_
#define TOCSIN_NET_RELAY_POOL_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "crypto/secure_buffer.h"
#include "tocsin/relay.pb.h"
#include "tocsin/relay_address.h"
#include "tocsin/status.h"

namespace asio {
class io_context;
}

namespace tocsin::net {

using MailboxId = std::array<std::uint8_t, 16>;
using Token = std::array<std::uint8_t, 16>;

// An Ed25519 mailbox auth key: public key and libsodium's 64-byte secret key.
struct AuthKeyPair {
  std::array<std::uint8_t, 32> public_key{};
  crypto::SecretBytes secret_key;  // 64 bytes
  static AuthKeyPair Generate();
};

// One delivery from a subscribed mailbox. Exactly one of `envelope` or `blob` + `view`.
struct IncomingDelivery {
  RelayAddress relay;
  MailboxId mailbox{};
  std::uint64_t seq = 0;
  std::uint64_t expires_at_ms = 0;
  std::string envelope;
  std::shared_ptr<const std::string> blob;
  std::string view;
};

struct OutgoingView {
  MailboxId mailbox{};
  Token token{};
  std::string view;  // 48 bytes
};

enum class LinkState { kConnecting, kConnected, kFailing };

struct RelayPoolOptions {
  asio::io_context* io = nullptr;  // REQUIRES: non-null, run by the caller's thread
  std::uint32_t window = 64;       // Subscribe window
  std::chrono::milliseconds backoff_min{250};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds request_timeout{15000};
  std::chrono::milliseconds send_idle_close{5000};  // a send connection closes when idle
  std::chrono::milliseconds ping_interval{60000};   // on owner connections
  std::chrono::milliseconds connect_timeout{10000};
  // Acks are paced: a link flushes its acks (one quiet Ack per mailbox, for everything
  // acked since the last flush) at most once per ack_interval. An ack after a quiet
  // interval goes out at once; those that follow within the interval wait for its end.
  // A relay limits the requests of one connection (by default 500 a second, bursts of
  // 1000) and refuses the rest, Acks included, and a refused Ack frees no window slot.
  // At 25 ms a link sends at most 40 Acks a second per mailbox, and a device keeps one
  // mailbox per relay (a few at most), so acking stays far under that limit however fast
  // the application acks. It does not hold deliveries back: a window of 64 freed every
  // 25 ms lets a mailbox drain over 2,000 deliveries a second. An Ack the relay refuses
  // with RATE_LIMITED anyway (a relay configured with a low limit) is sent again after
  // its retry_after_ms. 0: no pacing (a flush per io turn).
  std::chrono::milliseconds ack_interval{25};
  // Draws the reconnect jitter; null means crypto::DefaultRng(). Must outlive the pool.
  crypto::Rng* rng = nullptr;
  // The device's wall clock, against which the relays' clocks are measured. Null: the
  // system clock. REQUIRES: thread-safe.
  std::function<std::int64_t()> wall_clock;
};

template <typename T>
using Callback = std::function<void(Result<T>)>;
using StatusCallback = std::function<void(Status)>;

class RelayPool {
 public:
  explicit RelayPool(RelayPoolOptions options);
  // Closes every connection; pending callbacks get kUnavailable.
  // REQUIRES: called on the io thread or after it stopped.
  ~RelayPool();
  RelayPool(const RelayPool&) = delete;
  RelayPool& operator=(const RelayPool&) = delete;

  // ---- owner side

  // Called for each delivery of each subscribed mailbox. The handler acks when (and
  // only when) the delivery's effects are committed. Set before AddMailbox.
  void SetDeliveryHandler(std::function<void(IncomingDelivery)> handler);
  // Told whenever a relay's owner link changes state (with the last error if failing).
  // A mailbox the relay stops accepting on a reconnect (UNAUTHORIZED, NOT_FOUND, ...) is
  // dropped from the link and reported here as kFailing with that error.
  void SetStateHandler(std::function<void(const RelayAddress&, LinkState, Status)> handler);
  // Told each time a mailbox is authenticated on an owner connection (first time and
  // after every reconnect): how many entries are queued and how many one-time pre-keys
  // are left (top up when low). Set before AddMailbox.
  void SetAuthenticatedHandler(
      std::function<void(const RelayAddress&, const wire::Authenticated&)> handler);

  // Authenticates and subscribes `mailbox` on `relay` now and after every reconnect.
  // `done` runs after the first Subscribed (or the first hard failure, such as a pin
  // mismatch or UNAUTHORIZED); later failures only change the link state.
  void AddMailbox(const RelayAddress& relay, const MailboxId& mailbox, const AuthKeyPair& key,
                  StatusCallback done);
  void RemoveMailbox(const RelayAddress& relay, const MailboxId& mailbox);

  // Acks delivered seqs: batched per mailbox and sent quiet (proto/SPEC.md 5.5) at most
  // once per options.ack_interval. An Ack refused with RATE_LIMITED is sent again. Lost
  // if the connection drops first or the relay refuses the Ack otherwise (the mailbox is
  // gone or no longer owned); the relay then delivers them again, which the caller's
  // duplicate check absorbs.
  void Ack(const RelayAddress& relay, const MailboxId& mailbox, std::uint64_t seq);

  // Owner requests (on the owner connection of `relay`, opened if needed).
  // CreateMailbox: the new mailbox is owned by the owner connection at once; call
  // AddMailbox to subscribe it. `invite` is the 26-character text printed by
  // `tocsin-relay invite create` (either case) or its 16 bytes. The link remembers the
  // key and authenticates the new mailbox again after a reconnect (not subscribed until
  // AddMailbox), so the requests below keep working on it.
  // The requests naming a mailbox wait until it is authenticated on the current
  // connection; they REQUIRE a mailbox added or created on this pool (else the relay
  // answers UNAUTHORIZED). A request fails with the connection's error when the
  // connection attempt carrying it fails, and at once (kUnavailable) while the link is
  // waiting out a backoff.
  void CreateMailbox(const RelayAddress& relay, const std::string& invite, const AuthKeyPair& key,
                     Callback<MailboxId> done);
  void SetTokens(const RelayAddress& relay, const MailboxId& mailbox,
                 std::vector<wire::TokenEntry> tokens, Callback<std::uint32_t> done);
  void RotateToken(const RelayAddress& relay, const MailboxId& mailbox, wire::RotateToken request,
                   Callback<std::uint64_t> done);
  void PutPrekeys(const RelayAddress& relay, const MailboxId& mailbox, wire::PutPrekeys request,
                  Callback<std::uint32_t> done);
  void DeleteMailbox(const RelayAddress& relay, const MailboxId& mailbox, StatusCallback done);

  // ---- send side (send connections only)

  // OK only once the relay answered Stored.
  void Send(const RelayAddress& relay, const MailboxId& mailbox, const Token& token,
            std::string envelope, std::uint32_t ttl_seconds, StatusCallback done);
  // PutBlob once, then SendViews in frames of at most the relay's max_views_per_frame.
  // One code per view, in order. A frame that fails as a whole (the connection lost,
  // TOO_LARGE, ...) gives each of its views that code; when nothing could be queued at
  // all (PutBlob failed, or every frame failed as a whole) `done` gets that Status.
  void SendToMany(const RelayAddress& relay, std::string blob, std::uint32_t ttl_seconds,
                  std::vector<OutgoingView> views, Callback<std::vector<Code>> done);
  void GetPrekeyBundle(const RelayAddress& relay, const MailboxId& mailbox, const Token& token,
                       Callback<wire::PrekeyBundle> done);

  // Requests (owner and send) fail with kUnavailable when the relay does not answer
  // within request_timeout of the call; that also closes the connection, so every other
  // request on it fails the same way (the relay is treated as gone).

  // A relay with no owner link (never used, or every mailbox removed) is kConnecting.
  LinkState State(const RelayAddress& relay) const;
  // The relay's limits from its last HelloOk, if connected once.
  std::optional<wire::Limits> Limits(const RelayAddress& relay) const;
  // Relay clock minus ours (RelayPoolOptions::wall_clock), from the last HelloOk/Pong
  // (ms); 0 before the first.
  std::int64_t ClockSkewMs(const RelayAddress& relay) const;
  // Our offset to the relays' clock: the median of the skews measured on our owner links
  // (the relays holding our own mailboxes; the lower middle value of an even count), or
  // nothing before the first owner HelloOk. A send link's measurement (a relay a
  // contact's card names, run by someone else) never counts: a relay answering with a
  // false time would otherwise move every alert time we read and write. Relays are
  // servers that keep good time, so our own relays' median is the network's reference
  // clock (proto/SPEC.md 14.10).
  std::optional<std::int64_t> ClockOffsetMs() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tocsin::net

#endif  // TOCSIN_NET_RELAY_POOL_H_
