// What the receive pipeline remembers beside libsignal's state:
//  - seen ids: (sender identity, message id) of messages already taken, kept at least
//    the TTL cap, so a second copy (the other relay, a lost ack) is dropped. A message
//    parked in `pending` is recorded as seen with `pending` set: its later copies are
//    dropped, but a resend of it (pairwise) still gets through once.
//  - pending: messages that cannot be decrypted or accepted yet (PendingRecord.reason).
//
// Thread-safety: the client's worker thread only.
#ifndef TOCSIN_CORE_RECEIVED_H_
#define TOCSIN_CORE_RECEIVED_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "store/device_store.h"
#include "tocsin/client.pb.h"
#include "tocsin/status.h"

namespace tocsin::core {

class SeenIds {
 public:
  explicit SeenIds(store::DeviceStore& store) : store_(store) {}
  // The record of (sender, message id), reading through `batch`.
  Result<std::optional<client::SeenRecord>> Get(Batch& batch, const std::string& sender,
                                                const std::string& message_id);
  Status Stage(Batch& batch, const std::string& sender, const std::string& message_id,
               std::uint64_t now_ms, bool pending);
  // Deletes records older than `before_ms` (one batch per 1,000 rows).
  Status Prune(std::uint64_t before_ms);

 private:
  store::DeviceStore& store_;
};

class PendingQueue {
 public:
  static Result<std::unique_ptr<PendingQueue>> Load(store::DeviceStore& store);

  Status Stage(Batch& batch, const client::PendingRecord& record);
  Status StageRemove(Batch& batch, std::uint64_t seq);
  // Stages a changed record in place.
  Status StageUpdate(Batch& batch, std::uint64_t seq, const client::PendingRecord& record);

  const std::map<std::uint64_t, client::PendingRecord>& all() const { return entries_; }
  std::vector<std::uint64_t> Matching(
      const std::function<bool(const client::PendingRecord&)>& predicate) const;

 private:
  PendingQueue() = default;
  std::map<std::uint64_t, client::PendingRecord> entries_;
};

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_RECEIVED_H_
