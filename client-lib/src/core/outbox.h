// Outbox: every message on its way to the relays, stored before anything leaves.
//
// One row (client::OutboxRecord, sequence column) per destination relay of a message:
// the final sealed bytes (a v1 envelope for one mailbox, or a v2 blob and the views of
// the mailboxes on that relay), written in the same synced batch as the libsignal state
// change that produced them. The outbox sends each row and retries it with exponential
// backoff and full jitter, resending exactly the stored bytes, until:
//  - the relay stores it (Stored, or every view answered): the row is deleted;
//  - the relay refuses it for good (UNAUTHORIZED, EXPIRED, NOT_FOUND, TOO_LARGE,
//    BAD_FRAME: the token or mailbox no longer works): the row is dropped;
//  - its expiry passes: the row is dropped.
// A fan-out row whose views are answered one by one keeps only the views to retry.
//
// Delivery is counted per recipient: the contact of a pairwise message, or each member
// of a group message, whose views may lie in several rows (one per relay of its
// mailboxes). A recipient is delivered once a relay stored a copy for it (any of its
// mailboxes); its destinations in the other rows are then marked delivered (the row of
// a pairwise message, the views of a fan-out row), and are still retried. When the last
// destination of a recipient goes and none was ever stored, and the message asked for
// it, the application gets a kUndelivered event naming that recipient (staged in the
// same batch): at the expiry, or at once when the relay refused it for good.
//
// Pairwise rows to one mailbox go out in the order they were committed: a row waits
// while an older row to the same mailbox waits for its retry, and at most
// kMaxInFlightPerMailbox are on the wire at once. A Signal session keeps the keys of
// only a few recent ratchet chains, so messages that overtake each other by many round
// trips (a burst retried after RATE_LIMITED, say) could not all be decrypted; in order,
// every one can. What a failure still reorders, the recipient asks for again (resend.cpp).
//
// Thread-safety: the client's worker thread only (transport callbacks are posted there).
#ifndef TOCSIN_CORE_OUTBOX_H_
#define TOCSIN_CORE_OUTBOX_H_

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/environment.h"
#include "core/transport.h"
#include "store/device_store.h"
#include "tocsin/client.pb.h"
#include "tocsin/status.h"
#include "tocsin/types.h"

namespace tocsin::core {

struct OutboxOptions {
  std::chrono::milliseconds retry_min{500};
  std::chrono::milliseconds retry_max{60000};
  std::chrono::milliseconds idle_check{1000};  // expiry checks when nothing is due
  std::size_t max_in_flight = 64;
};

inline constexpr int kMaxInFlightPerMailbox = 8;

class Outbox {
 public:
  struct Hooks {
    // Stages what a stored row with `announces` set means (our addresses reached the
    // contact's relay).
    std::function<Status(Batch&, const client::OutboxRecord&)> on_announced;
    // Stages the kUndelivered event of a message that `contact_id` (the row's contact,
    // or a member of a group message) got no stored copy of.
    std::function<Status(Batch&, const client::OutboxRecord&, const std::string& contact_id)>
        on_undelivered;
    // The token to use now for (contact, relay, mailbox): a contact's tokens can change
    // while its message waits (the card's intro token replaced by a contact token, a
    // rotation). Empty: keep the stored one. The sealed bytes never change.
    std::function<std::string(const std::string& contact_id, const std::string& relay,
                              const std::string& mailbox_id)>
        current_token;
  };

  static Result<std::unique_ptr<Outbox>> Load(store::DeviceStore& store, Env env,
                                              Transport& transport, asio::io_context& worker,
                                              OutboxOptions options, Hooks hooks);
  ~Outbox();

  // Stages the rows of one message; they are sent once the batch commits.
  Status Stage(Batch& batch, std::vector<client::OutboxRecord> records);

  // Starts (or resumes) sending; Stop cancels the timer (rows stay stored).
  void Start();
  void Stop();
  // Retries every row now (a relay came back).
  void RetryNow();

  std::size_t size() const { return entries_.size(); }
  // Rows of messages to `relay` (tests, diagnostics).
  std::size_t CountFor(const std::string& message_id) const;
  // What of `message_id` is still to be stored (Client::Delivery).
  DeliveryState StateOf(const std::string& message_id) const;

 private:
  struct Entry {
    client::OutboxRecord record;
    std::chrono::steady_clock::time_point next_attempt{};
    int attempts = 0;
    bool in_flight = false;
  };
  // What one answer (or the expiry) of a row settled, by recipient contact id.
  struct Outcome {
    std::set<std::string> stored;              // a relay stored a copy for them
    std::set<std::string> given_up;            // destinations dropped, none known delivered
    std::optional<client::OutboxRecord> rest;  // the views still to retry; none: the row goes
  };
  Outbox(store::DeviceStore& store, Env env, Transport& transport, asio::io_context& worker,
         OutboxOptions options, Hooks hooks);

  void Pump();
  void Schedule();
  void Attempt(std::uint64_t seq, Entry& entry);
  void AttemptPairwise(std::uint64_t seq, const client::OutboxRecord& record,
                       const RelayAddress& relay, std::uint32_t ttl);
  void AttemptFanout(std::uint64_t seq, const client::OutboxRecord& record,
                     const RelayAddress& relay, std::uint32_t ttl);
  void OnPairwiseResult(std::uint64_t seq, const Status& status);
  void OnFanoutResult(std::uint64_t seq, Result<std::vector<Code>> codes);
  void Backoff(std::uint64_t seq, Entry& entry);
  // The row is done: stored for all its recipients (`stored`) or given up.
  void Finish(std::uint64_t seq, bool stored);
  // Stages the row's rewrite (or delete), the delivered marks of the message's other
  // rows and the events of recipients left with no copy; commits.
  void Settle(std::uint64_t seq, Outcome outcome);
  std::uint32_t TtlSeconds(const client::OutboxRecord& record, const RelayAddress& relay) const;
  net::Token TokenFor(const std::string& contact_id, const std::string& relay,
                      const std::string& mailbox_id, const std::string& stored) const;

  store::DeviceStore& store_;
  Env env_;
  Transport& transport_;
  asio::io_context& worker_;
  OutboxOptions options_;
  Hooks hooks_;
  asio::steady_timer timer_;
  std::map<std::uint64_t, Entry> entries_;
  std::size_t in_flight_ = 0;
  bool running_ = false;
  // Lives as long as the outbox: callbacks that arrive after it is gone see it expired.
  std::shared_ptr<Outbox*> self_;
};

// Codes a relay answers that are worth retrying (the others mean "this will not work").
bool IsRetryable(Code code);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_OUTBOX_H_
