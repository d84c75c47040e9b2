// Inbox: received content waiting for the application, and sent content kept for
// resends, in the store's alerts column (sealed under per-day keys, so a purge of a day
// destroys it for good).
//
// Events (EventRecord) are staged in the same batch as the state change that produced
// them (a decrypted message, an expired send) and handed to the EventDispatcher once it
// commits; they stay stored until Done. Event ids are the rows' store-wide counters.
// Sent records (SentRecord) answer ResendRequests until they expire; those of pairwise
// messages whose receipt is awaited stay until the receipt comes or they are reported.
//
// Thread-safety: the client's worker thread only.
#ifndef TOCSIN_CORE_INBOX_H_
#define TOCSIN_CORE_INBOX_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/environment.h"
#include "core/events.h"
#include "store/device_store.h"
#include "tocsin/client.pb.h"
#include "tocsin/status.h"
#include "tocsin/types.h"

namespace tocsin::core {

class Inbox {
 public:
  // Loads what is stored and hands every event to `dispatcher`, oldest first.
  static Result<std::unique_ptr<Inbox>> Load(store::DeviceStore& store, Env env,
                                             EventDispatcher& dispatcher);

  // Stages an event (its time_ms set to now when zero). Handed out on commit.
  Status StageEvent(Batch& batch, client::EventRecord record);
  Status StageSent(Batch& batch, const client::SentRecord& record);
  // Replaces the sent record of `record.message_id()` (when there is one) by `record`.
  Status StageUpdateSent(Batch& batch, const client::SentRecord& record);

  // Deletes a stored event (committed). Unknown ids are OK.
  Status Done(EventId id);
  std::vector<Event> Pending() const;
  // The sent record of a message, if still kept.
  std::optional<client::SentRecord> FindSent(const std::string& message_id) const;

  // Stages the deletion of a message's sent record (a receipt came, or it was reported).
  Status StageForgetSent(Batch& batch, const std::string& message_id);
  // Sent records still awaiting a receipt whose message expired by `now_ms`.
  std::vector<client::SentRecord> Unconfirmed(std::uint64_t now_ms) const;

  // Deletes sent records past their expiry (committed), except those awaiting a receipt.
  Status PruneSent();
  // Purges every day before the day of `before_ms` (store::DeviceStore::PurgeDay).
  Status PurgeBefore(std::uint64_t before_ms);

 private:
  Inbox(store::DeviceStore& store, Env env, EventDispatcher& dispatcher)
      : store_(store), env_(env), dispatcher_(dispatcher) {}
  Status LoadDay(store::Day day);
  store::Day Today() const;

  store::DeviceStore& store_;
  Env env_;
  EventDispatcher& dispatcher_;
  std::map<EventId, std::pair<store::Day, client::EventRecord>> events_;
  std::map<std::string, std::pair<store::AlertId, client::SentRecord>> sent_;  // by message id
};

// The API's view of a stored event.
Event ToEvent(EventId id, const client::EventRecord& record);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_INBOX_H_
