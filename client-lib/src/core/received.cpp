#include "core/received.h"

#include "core/hex.h"
#include "core/records.h"

namespace tocsin::core {
namespace {

std::string SeenName(const std::string& sender, const std::string& message_id) {
  return sender + message_id;
}

}  // namespace

Result<std::optional<client::SeenRecord>> SeenIds::Get(Batch& batch, const std::string& sender,
                                                       const std::string& message_id) {
  return GetRecord<client::SeenRecord>(batch.txn(), store::Column::kSeenIds,
                                       Bytes(SeenName(sender, message_id)));
}

Status SeenIds::Stage(Batch& batch, const std::string& sender, const std::string& message_id,
                      std::uint64_t now_ms, bool pending) {
  client::SeenRecord record;
  record.set_seen_ms(now_ms);
  record.set_pending(pending);
  return PutRecord(batch.txn(), store::Column::kSeenIds, Bytes(SeenName(sender, message_id)),
                   record);
}

Status SeenIds::Prune(std::uint64_t before_ms) {
  std::vector<std::string> old;
  {
    auto cursor = store_.NewCursor(store::Column::kSeenIds);
    for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
      client::SeenRecord record;
      if (!Parse(cursor->value(), &record).ok() || record.seen_ms() < before_ms) {
        old.push_back(ToString(cursor->name()));
      }
    }
    TOCSIN_RETURN_IF_ERROR(cursor->status());
  }
  for (std::size_t i = 0; i < old.size(); i += 1000) {
    store::Transaction txn = store_.Begin();
    for (std::size_t j = i; j < std::min(old.size(), i + 1000); ++j) {
      TOCSIN_RETURN_IF_ERROR(txn.Delete(store::Column::kSeenIds, Bytes(old[j])));
    }
    TOCSIN_RETURN_IF_ERROR(txn.Commit());
  }
  return Status::Ok();
}

Result<std::unique_ptr<PendingQueue>> PendingQueue::Load(store::DeviceStore& store) {
  std::unique_ptr<PendingQueue> queue(new PendingQueue());
  auto cursor = store.NewCursor(store::Column::kPending);
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
    auto seq = store::ParseSequence(cursor->name());
    client::PendingRecord record;
    TOCSIN_RETURN_IF_ERROR(Parse(cursor->value(), &record));
    if (seq) queue->entries_[*seq] = std::move(record);
  }
  TOCSIN_RETURN_IF_ERROR(cursor->status());
  return queue;
}

Status PendingQueue::Stage(Batch& batch, const client::PendingRecord& record) {
  auto seq = AppendRecord(batch.txn(), store::Column::kPending, record);
  if (!seq.ok()) return seq.status();
  batch.OnCommit([this, seq = *seq, record] { entries_[seq] = record; });
  return Status::Ok();
}

Status PendingQueue::StageRemove(Batch& batch, std::uint64_t seq) {
  TOCSIN_RETURN_IF_ERROR(batch.txn().Delete(store::Column::kPending, store::SequenceName(seq)));
  batch.OnCommit([this, seq] { entries_.erase(seq); });
  return Status::Ok();
}

Status PendingQueue::StageUpdate(Batch& batch, std::uint64_t seq,
                                 const client::PendingRecord& record) {
  TOCSIN_RETURN_IF_ERROR(
      PutRecord(batch.txn(), store::Column::kPending, store::SequenceName(seq), record));
  batch.OnCommit([this, seq, record] { entries_[seq] = record; });
  return Status::Ok();
}

std::vector<std::uint64_t> PendingQueue::Matching(
    const std::function<bool(const client::PendingRecord&)>& predicate) const {
  std::vector<std::uint64_t> out;
  for (const auto& [seq, record] : entries_) {
    if (predicate(record)) out.push_back(seq);
  }
  return out;
}

}  // namespace tocsin::core
