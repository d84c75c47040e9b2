// Reads from committed data, on any thread: GetMailbox, ReadQueue, Stats, Checkpoint,
// and the blob cache they share with the writer.
#include <limits>

#include "store/store_impl.h"

namespace tocsin::relay {

std::shared_ptr<const std::string> BlobCache::Get(const KvReader& kv, const BlobHandle& handle) {
  {
    std::lock_guard lock(mutex_);
    if (const auto it = blobs_.find(handle); it != blobs_.end()) return it->second;
  }
  std::string value;
  std::uint64_t expires = 0;
  std::string_view body;
  if (!kv.Get(Cf::kBlob, Bytes(handle), &value).ok() || !DecodeBlob(value, &expires, &body)) {
    return nullptr;
  }
  auto blob = std::make_shared<const std::string>(body);
  Put(handle, blob);
  return blob;
}

void BlobCache::Put(const BlobHandle& handle, std::shared_ptr<const std::string> blob) {
  std::lock_guard lock(mutex_);
  if (blobs_.size() >= kMaxBlobs && !blobs_.contains(handle)) blobs_.erase(blobs_.begin());
  // A blob already cached stays: every view of it then shares one string.
  blobs_.emplace(handle, std::move(blob));
}

void BlobCache::Erase(const BlobHandle& handle) {
  std::lock_guard lock(mutex_);
  blobs_.erase(handle);
}

void BlobCache::Clear() {
  std::lock_guard lock(mutex_);
  blobs_.clear();
}

Result<MailboxInfo> StoreEngine::GetMailbox(const MailboxId& mailbox) const {
  {
    std::shared_lock open(kv_mutex_);
    if (!kv_) return Status::Unavailable("store is closed");
  }
  std::shared_lock lock(published_mutex_);
  const auto it = published_.find(mailbox);
  if (it == published_.end()) return Status::NotFound("no such mailbox");
  return it->second;
}

namespace {

struct RawEntry {
  std::uint64_t seq = 0;
  std::uint64_t expires_ms = 0;
  EntryKind kind = EntryKind::kEnvelope;
  std::string body;
};

}  // namespace

Status StoreEngine::ReadQueue(const MailboxId& mailbox, std::uint64_t after_seq, std::size_t max,
                              std::vector<QueuedEntry>* out) const {
  std::shared_lock lock(kv_mutex_);
  if (!kv_) return Status::Unavailable("store is closed");
  {
    std::shared_lock published(published_mutex_);
    if (!published_.contains(mailbox)) return Status::NotFound("no such mailbox");
  }
  if (max == 0 || after_seq == std::numeric_limits<std::uint64_t>::max()) return Status::Ok();
  const std::uint64_t now = Now();
  // Collected first, blobs resolved after: no store call from inside a scan.
  std::vector<RawEntry> raw;
  const Key begin = QueueKey(mailbox, after_seq + 1);
  TOCSIN_RETURN_IF_ERROR(kv_->Scan(Cf::kQueue, begin, PrefixEnd(Key().Add(mailbox)),
                                   [&](std::string_view key, std::string_view v) {
                                     EntryHeader h;
                                     std::string_view body;
                                     if (!DecodeEntry(v, &h, &body) || h.expires_ms <= now)
                                       return true;
                                     raw.push_back({ReadBigEndian64(key.data() + kMailboxIdSize),
                                                    h.expires_ms, h.kind, std::string(body)});
                                     return raw.size() < max;
                                   }));
  for (RawEntry& r : raw) {
    QueuedEntry entry;
    entry.mailbox = mailbox;
    entry.seq = r.seq;
    entry.expires_at_ms = r.expires_ms;
    if (r.kind == EntryKind::kEnvelope) {
      entry.envelope = std::make_shared<const std::string>(std::move(r.body));
    } else {
      entry.blob = blob_cache_.Get(*kv_, ArrayFrom<kBlobHandleSize>(r.body));
      if (entry.blob == nullptr) continue;  // its blob expired meanwhile
      entry.view = r.body.substr(kBlobHandleSize);
    }
    out->push_back(std::move(entry));
  }
  return Status::Ok();
}

namespace {

// Mailboxes, queued entries and bytes, pre-keys; the ids of non-empty mailboxes.
Status CountMailboxes(const KvReader& snap, StoreStats* stats, std::vector<MailboxId>* non_empty) {
  std::vector<std::pair<MailboxId, StateRecord>> states;
  TOCSIN_RETURN_IF_ERROR(
      snap.Scan(Cf::kMailbox, "", "", [&](std::string_view k, std::string_view v) {
        if (k.size() != kMailboxIdSize + 1) return true;
        if (k.back() == kAuthRecord) ++stats->mailboxes;
        StateRecord state;
        if (k.back() == kStateRecord && DecodeState(v, &state)) {
          states.emplace_back(ArrayFrom<kMailboxIdSize>(k), state);
        }
        return true;
      }));
  std::vector<std::pair<MailboxId, StateRecord*>> tails;
  for (auto& [id, state] : states) tails.emplace_back(id, &state);
  TOCSIN_RETURN_IF_ERROR(AddQueueTails(snap, &tails));
  for (auto& [id, state] : states) {
    stats->one_time_prekeys += state.prekeys;
    for (const ClassUsage& u : state.usage) {
      stats->queued_entries += u.messages;
      stats->queued_bytes += u.bytes;
    }
    if (state.usage != decltype(state.usage){}) non_empty->push_back(id);
  }
  return Status::Ok();
}

Status CountBlobsAndInvites(const KvReader& snap, StoreStats* stats) {
  TOCSIN_RETURN_IF_ERROR(snap.Scan(Cf::kBlob, "", "", [&](std::string_view, std::string_view v) {
    ++stats->blobs;
    stats->blob_bytes += v.size() > kBlobHeaderSize ? v.size() - kBlobHeaderSize : 0;
    return true;
  }));
  return snap.Scan(Cf::kInvite, "", "", [&](std::string_view, std::string_view) {
    ++stats->invites;
    return true;
  });
}

// Seqs only grow: a mailbox's first entry is its oldest.
Status FindOldest(const KvReader& snap, const std::vector<MailboxId>& ids, StoreStats* stats) {
  for (const MailboxId& id : ids) {
    const Key begin = Key().Add(id);
    TOCSIN_RETURN_IF_ERROR(
        snap.Scan(Cf::kQueue, begin, PrefixEnd(begin), [&](std::string_view, std::string_view v) {
          EntryHeader h;
          std::string_view body;
          if (DecodeEntry(v, &h, &body) &&
              (stats->oldest_entry_ms == 0 || h.stored_ms < stats->oldest_entry_ms)) {
            stats->oldest_entry_ms = h.stored_ms;
          }
          return false;
        }));
  }
  return Status::Ok();
}

}  // namespace

Result<StoreStats> StoreEngine::Stats() const {
  std::shared_lock lock(kv_mutex_);
  if (!kv_) return Status::Unavailable("store is closed");
  const std::unique_ptr<KvReader> snap = kv_->Snapshot();
  StoreStats stats;
  std::vector<MailboxId> non_empty;
  TOCSIN_RETURN_IF_ERROR(CountMailboxes(*snap, &stats, &non_empty));
  TOCSIN_RETURN_IF_ERROR(CountBlobsAndInvites(*snap, &stats));
  TOCSIN_RETURN_IF_ERROR(FindOldest(*snap, non_empty, &stats));
  stats.memory = kv_->Memory();
  return stats;
}

Status StoreEngine::Checkpoint(const std::string& dir) const {
  std::shared_lock lock(kv_mutex_);
  if (!kv_) return Status::Unavailable("store is closed");
  return kv_->Checkpoint(dir);
}

}  // namespace tocsin::relay
