// A full disk and failed writes: the free-space reserve, and reopening the key-value
// store after a write failed (writer thread).
//
// RocksDB stops taking writes after a write-ahead log error and only a reopen brings it
// back. The relay keeps serving reads meanwhile and refuses writes with kUnavailable;
// each batch that comes tries a recovery, at once after the failure and then at most
// once per kRecoveryInterval. A recovered store may hold the failed batch after all
// (when its data reached the log and only the fsync failed), so every cache is rebuilt
// from the database, as at open.
#include "store/store_impl.h"

namespace tocsin::relay {
namespace {

constexpr std::chrono::seconds kRecoveryInterval{1};

}  // namespace

Status StoreEngine::ReadyToWrite() {
  const std::optional<std::uint64_t> free = kv_->FreeBytes();
  if (free && *free < options_.min_free_bytes) {
    CountRefusal(/*disk_full=*/true);
    return Status::Unavailable("disk full");
  }
  if (!kv_failed_) return Status::Ok();
  const auto now = std::chrono::steady_clock::now();
  if (now < next_recovery_) {
    CountRefusal(/*disk_full=*/false);
    return Status::Unavailable("store is recovering from a failed write");
  }
  next_recovery_ = now + kRecoveryInterval;
  if (Status recovered = Recover(); !recovered.ok()) {
    CountRefusal(/*disk_full=*/false);
    return Status::Unavailable("store is recovering from a failed write: " + recovered.message());
  }
  return Status::Ok();
}

Status StoreEngine::Recover() {
  {
    std::unique_lock lock(kv_mutex_);  // no reader while the database is reopened
    TOCSIN_RETURN_IF_ERROR(kv_->Recover());
  }
  TOCSIN_RETURN_IF_ERROR(ReloadAll());
  kv_failed_ = false;
  std::lock_guard lock(counters_mutex_);
  ++counters_.recoveries;
  counters_.writable = true;
  return Status::Ok();
}

// Every writer-thread cache, rebuilt from the database as Load does at open.
Status StoreEngine::ReloadAll() {
  // The numbering this process reached stays: no jump after a failed write. After a
  // rebuild that failed halfway, the caches are not to be trusted for it: the numbering
  // taken before that rebuild still holds.
  if (!numbering_before_rebuild_) {
    numbering_before_rebuild_.emplace();
    numbering_before_rebuild_->reserve(mailboxes_.size());
    for (const auto& [id, meta] : mailboxes_) {
      numbering_before_rebuild_->emplace(id, meta.committed_next_seq);
    }
  }
  mailboxes_.clear();
  blobs_.clear();
  entry_cache_ = EntryCache();
  blob_cache_.Clear();
  std::unique_lock lock(published_mutex_);
  // Readers keep the mailboxes they saw until a rebuild succeeds: one that fails
  // halfway must not make live mailboxes look unknown (NOT_FOUND) to their owners.
  ByIdMap<MailboxId, MailboxInfo> seen_by_readers;
  seen_by_readers.swap(published_);
  if (Status loaded = Load(&*numbering_before_rebuild_); !loaded.ok()) {
    published_.swap(seen_by_readers);
    return loaded;
  }
  numbering_before_rebuild_.reset();
  return Status::Ok();
}

void StoreEngine::CountRefusal(bool disk_full) {
  std::lock_guard lock(counters_mutex_);
  if (disk_full) ++counters_.disk_full_refusals;
  counters_.writable = !kv_failed_;
}

}  // namespace tocsin::relay
