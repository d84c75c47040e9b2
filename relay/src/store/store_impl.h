// StoreEngine (MailboxStore::Impl): the writer thread, its caches and the operations it applies.
//
// Roles (one file each): store_writer.cpp runs the writer and sweeper threads and
// commits batches; ops_*.cpp validate and stage each kind of write; store_read.cpp
// answers reads (GetMailbox, ReadQueue, Stats, Check) from committed data.
//
// Everything under "writer thread only" is touched by the writer thread alone, so it
// needs no lock: per-mailbox metadata (next seq, quota usage, tokens) is cached there for
// the whole life of the store, loaded at open. An operation changes the cache while it
// stages its writes; if the commit then fails, the mailboxes and blobs the batch touched
// are reloaded from the database, which the failed write left unchanged.
#ifndef TOCSIN_RELAY_STORE_STORE_IMPL_H_
#define TOCSIN_RELAY_STORE_STORE_IMPL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/entry_cache.h"
#include "store/kv_store.h"
#include "store/mailbox_store.h"
#include "store/records.h"

namespace tocsin::relay {

// Ids, handles and hashes are random bytes: their first 8 bytes are a good hash.
struct RandomBytesHash {
  template <std::size_t N>
  std::size_t operator()(const std::array<std::uint8_t, N>& a) const {
    static_assert(N >= 8);
    std::size_t h;
    std::memcpy(&h, a.data(), sizeof h);
    return h;
  }
};
template <typename K, typename V>
using ByIdMap = std::unordered_map<K, V, RandomBytesHash>;

struct TokenState {
  TokenHash hash{};
  TokenRecord record;
};

struct MailboxMeta {
  AuthKey auth_key{};
  std::uint64_t created_ms = 0;
  StateRecord state;
  std::uint64_t committed_next_seq = 1;  // seqs below this one are in the database
  // The next_seq of its state record (in the database, or staged in this batch).
  // Entries from there on are the tail that a load counts; the record's usage holds
  // the others only, so removing a tail entry needs no new record (RemoveEntry).
  std::uint64_t saved_next_seq = 1;
  std::vector<TokenState> tokens;
  std::uint64_t touched_batch = 0;
  bool state_dirty = false;  // its state record must be written with this batch
};

struct BlobMeta {
  std::uint64_t expires_ms = 0;
  std::uint32_t size = 0;
  // Mailboxes that were given a view of the blob (acked ones included, so that a retried
  // SendViews queues nothing twice). Loaded on first use, dropped when unused for long.
  bool viewers_loaded = false;
  std::unordered_set<MailboxId, RandomBytesHash> viewers;
  std::uint32_t next_record = 0;  // of its view index records; valid once loaded
  std::uint64_t touched_batch = 0;
  std::uint64_t used_batch = 0;
};

// Pre-keys of one mailbox, read on first use within a batch and dropped after it.
struct PrekeyState {
  std::optional<SignedPrekey> signed_prekey;
  std::uint32_t registration_id = 0;
  std::uint32_t device_id = 0;
  std::map<std::uint32_t, std::string> one_time;
};

// Multi-recipient bodies shared by every QueuedEntry of a blob's views. Bounded; safe
// from any thread.
class BlobCache {
 public:
  // The blob from the cache, else from `kv`; null when absent or unreadable.
  std::shared_ptr<const std::string> Get(const KvReader& kv, const BlobHandle& handle);
  void Put(const BlobHandle& handle, std::shared_ptr<const std::string> blob);
  void Erase(const BlobHandle& handle);
  void Clear();

 private:
  static constexpr std::size_t kMaxBlobs = 256;
  std::mutex mutex_;
  ByIdMap<BlobHandle, std::shared_ptr<const std::string>> blobs_;
};

class StoreEngine;

// One write request. Apply runs on the writer thread, validates against the cache and
// stages writes into the batch; Finish runs after the commit.
class WriteOp {
 public:
  virtual ~WriteOp() = default;
  virtual void Apply(StoreEngine& store) = 0;
  // `commit` is the status of the batch's commit.
  virtual void Finish(const Status& commit) = 0;
  // How much this op adds to a batch (a view counts as one): bounds the batch size.
  virtual std::size_t Weight() const { return 1; }
  // Whether the commit must be fsync'd before this op is answered (durability = fsync).
  virtual bool NeedsSync() const { return true; }
};

// An op answering a Callback<T>: a failed commit answers kUnavailable.
template <typename T>
class CallbackOp : public WriteOp {
 public:
  explicit CallbackOp(Callback<T> done) : done_(std::move(done)) {}
  void Finish(const Status& commit) final {
    if (!done_) return;
    if (!commit.ok()) return done_(Status::Unavailable("store: " + commit.message()));
    if (!result_) return done_(Status::Internal("store: operation left no result"));
    done_(std::move(*result_));
  }

 protected:
  void Succeed(T value) { result_.emplace(std::move(value)); }
  void Fail(Status status) { result_.emplace(std::move(status)); }

 private:
  Callback<T> done_;
  std::optional<Result<T>> result_;
};

std::unique_ptr<WriteOp> MakeCreateInviteOp(std::uint32_t uses, std::uint64_t expires_at_ms,
                                            Callback<std::string> done);
std::unique_ptr<WriteOp> MakeCreateMailboxOp(std::string invite, const AuthKey& auth_key,
                                             Callback<MailboxId> done);
std::unique_ptr<WriteOp> MakeDeleteMailboxOp(const MailboxId& mailbox, StatusCallback done);
std::unique_ptr<WriteOp> MakeSetTokensOp(const MailboxId& mailbox, std::vector<TokenEntry> tokens,
                                         Callback<std::uint32_t> done);
std::unique_ptr<WriteOp> MakeRotateTokenOp(const MailboxId& mailbox, const TokenHash& old_hash,
                                           TokenEntry new_token,
                                           std::optional<std::uint32_t> grace_seconds,
                                           Callback<std::uint64_t> done);
std::unique_ptr<WriteOp> MakeAppendOp(const MailboxId& mailbox, const TokenHash& token,
                                      std::string envelope, std::uint32_t ttl_seconds,
                                      std::optional<DeliveryRateKey> rate,
                                      Callback<std::uint64_t> done);
std::unique_ptr<WriteOp> MakePutBlobOp(std::string blob, std::uint32_t ttl_seconds,
                                       Callback<BlobHandle> done);
std::unique_ptr<WriteOp> MakeAppendViewsOp(const BlobHandle& handle, std::vector<ViewRequest> views,
                                           std::vector<TokenHash> token_hashes,
                                           Callback<std::vector<Code>> done);
std::unique_ptr<WriteOp> MakeAckOp(const MailboxId& mailbox, std::vector<std::uint64_t> seqs,
                                   Callback<std::uint32_t> done);
std::unique_ptr<WriteOp> MakePutPrekeysOp(const MailboxId& mailbox, PrekeyUpload upload,
                                          Callback<std::uint32_t> done);
std::unique_ptr<WriteOp> MakeTakePrekeyOp(const MailboxId& mailbox, const TokenHash& token,
                                          std::optional<DeliveryRateKey> rate,
                                          Callback<PrekeyBundle> done);
// Sweeps up to `limit` expiry index entries due now; answers {entries removed, more due}.
std::unique_ptr<WriteOp> MakeSweepOp(std::size_t limit,
                                     Callback<std::pair<std::uint64_t, bool>> done);

class StoreEngine {
 public:
  StoreEngine(std::unique_ptr<KvStore> kv, StoreOptions options);
  ~StoreEngine();

  // Fills the caches from the database; before Start. `known_next_seqs`: the numbering
  // this process already reached (after a failed write), instead of the jump that a
  // fresh open makes (ResumeNumbering).
  Status Load(const ByIdMap<MailboxId, std::uint64_t>* known_next_seqs = nullptr);
  void Start();  // starts the writer and sweeper threads
  void Close();
  // Queues `op` for the writer; after Close it is answered kUnavailable at once.
  void Submit(std::unique_ptr<WriteOp> op);
  void SweepAll(Callback<std::uint64_t> done, std::uint64_t swept_so_far);

  // ---- reads (any thread; store_read.cpp)
  Result<MailboxInfo> GetMailbox(const MailboxId& mailbox) const;
  Status ReadQueue(const MailboxId& mailbox, std::uint64_t after_seq, std::size_t max,
                   std::vector<QueuedEntry>* out) const;
  Result<StoreStats> Stats() const;
  Result<CheckReport> Check() const;
  Status Checkpoint(const std::string& dir) const;
  StoreCounters counters() const;
  void SetDeliveryGate(std::shared_ptr<DeliveryGate> gate);

  const StoreOptions& options() const { return options_; }
  std::uint64_t Now() const { return options_.now_ms(); }
  void Random(std::span<std::uint8_t> out) const { options_.random(out); }
  const ClassQuota& Quota(TokenClass c) const { return options_.quotas[ClassIndex(c)]; }

  // ---- writer thread only: used by the ops while they are applied
  std::uint64_t now() const { return now_ms_; }         // the clock at batch start
  std::uint64_t op_stamp() const { return op_stamp_; }  // unique per applied op
  KvStore& kv() { return *kv_; }
  WriteBatch& batch() { return batch_; }
  std::string& scratch() { return scratch_; }

  MailboxMeta* FindMailbox(const MailboxId& id);
  MailboxMeta& AddMailbox(const MailboxId& id, MailboxMeta meta);
  void EraseMailbox(const MailboxId& id);
  // Remembers that this batch changes `meta` (its state record is written once at the
  // end of the batch; it is reloaded if the commit fails).
  void Touch(const MailboxId& id, MailboxMeta& meta);
  // Touch, and the state record (usage, pre-key count) is written with the batch.
  void MarkStateDirty(const MailboxId& id, MailboxMeta& meta);
  // The token of `meta` matching `hash` (constant-time compare): kUnauthorized when
  // none, kExpired when past its life.
  Result<TokenState*> FindToken(MailboxMeta& meta, const TokenHash& hash);
  void SaveToken(const MailboxId& id, const TokenState& token);
  void RemoveTokenIndex(const MailboxId& id, const TokenState& token);
  std::uint64_t TokenIndexTime(const TokenRecord& r) const;
  // The delivery gate's answer for one more envelope of `rate` (0: admitted and counted;
  // always 0 without a gate). A batch whose commit fails gives its admissions back.
  std::uint32_t Admit(const DeliveryRateKey& rate);
  // kQuotaExceeded when one more entry of `bytes` would pass the class's queue quota.
  Status CheckQueueQuota(const MailboxMeta& meta, TokenClass c, std::uint64_t bytes) const;
  // Stages a queue entry with seq meta.state.next_seq++ and returns the seq.
  std::uint64_t StageEntry(const MailboxId& id, MailboxMeta& meta, const EntryHeader& header,
                           std::string_view body_a, std::string_view body_b);
  void AddStored(QueuedEntry entry) { stored_.push_back(std::move(entry)); }
  // Deletes entry `seq` if it exists in the database and was not deleted in this batch;
  // frees its quota. True when it existed.
  bool RemoveEntry(const MailboxId& id, MailboxMeta& meta, std::uint64_t seq);
  // Drops from this batch's stored entries those of `id` (a deleted mailbox), with their
  // index records.
  void DropStored(const MailboxId& id);

  BlobMeta* FindBlob(const BlobHandle& handle);
  BlobMeta& AddBlob(const BlobHandle& handle, BlobMeta meta,
                    std::shared_ptr<const std::string> body);
  void TouchBlob(const BlobHandle& handle, BlobMeta& meta);
  Status LoadViewers(const BlobHandle& handle, BlobMeta& meta);
  std::shared_ptr<const std::string> BlobBody(const BlobHandle& handle);
  void RemoveBlob(const BlobHandle& handle);
  const ByIdMap<BlobHandle, BlobMeta>& blobs() const { return blobs_; }

  PrekeyState* LoadPrekeys(const MailboxId& id);  // null on a read failure
  // The invite with hash `hash` as of this batch; null when absent.
  InviteRecord* FindInvite(const TokenHash& hash);
  void SaveInvite(const TokenHash& hash, const InviteRecord& record);
  void DeleteInvite(const TokenHash& hash);

  void CountAcked(std::uint64_t n) { batch_acked_ += n; }
  void CountExpired(std::uint64_t n) { batch_expired_ += n; }

 private:
  void WriterLoop();
  void SweeperLoop();
  void RunBatch(std::vector<std::unique_ptr<WriteOp>>& ops);
  // Whether a batch may be written now (store_recovery.cpp): the filesystem keeps its
  // reserve, and a store whose last write failed has been reopened.
  Status ReadyToWrite();
  Status Recover();
  Status ReloadAll();
  void CountRefusal(bool disk_full);
  void StageTouchedStates();
  void AfterCommit();
  // REQUIRES: published_mutex_ held exclusively, or no other thread running.
  void Publish(const MailboxId& id);
  void Rollback();
  Status ReloadMailbox(const MailboxId& id);
  // After `meta` was loaded from the database (its record and its tail counted): the
  // next seq is `known_next_seq` when this process knows it (0: it does not), else
  // kMaxUnsavedSeqs past the record's, where no seq can have been given yet.
  static void ResumeNumbering(MailboxMeta& meta, std::uint64_t known_next_seq);
  Status ReloadBlob(const BlobHandle& handle);
  void TrimViewerSets();
  void ResetBatch();
  void RecordCommit(std::uint64_t ops, std::uint64_t micros, bool ok, bool wrote);
  Status LoadMailboxes();
  Status LoadBlobs();

  StoreOptions options_;
  std::unique_ptr<KvStore> kv_;
  mutable std::shared_mutex kv_mutex_;  // readers hold it shared; Close exclusive
  mutable BlobCache blob_cache_;

  std::mutex inbox_mutex_;
  std::condition_variable inbox_cv_;
  std::deque<std::unique_ptr<WriteOp>> inbox_;
  bool closing_ = false;
  bool closed_ = false;
  std::thread writer_;
  std::mutex sweeper_mutex_;
  std::condition_variable sweeper_cv_;
  bool sweeper_stop_ = false;
  std::thread sweeper_;

  mutable std::mutex counters_mutex_;
  StoreCounters counters_;

  // What GetMailbox answers: the committed state of each mailbox, published by the
  // writer after each commit (before its callbacks, so a new mailbox is found at once).
  mutable std::shared_mutex published_mutex_;
  ByIdMap<MailboxId, MailboxInfo> published_;

 public:
  // Called on the writer thread. Set from another thread while the writer may already
  // run a batch (the sweeper's, at start): guarded by stored_listener_mutex.
  std::mutex stored_listener_mutex;
  std::function<void(std::span<const QueuedEntry>)> stored_listener;

 private:
  // ---- writer thread only
  std::uint64_t now_ms_ = 0;
  mutable std::mutex gate_mutex_;
  std::shared_ptr<DeliveryGate> gate_;        // GUARDED_BY(gate_mutex_)
  std::shared_ptr<DeliveryGate> batch_gate_;  // writer thread: gate_ when the batch began
  std::vector<DeliveryRateKey> admitted_;     // what batch_gate_ admitted in this batch
  std::uint64_t batch_number_ = 0;
  std::uint64_t op_stamp_ = 0;
  WriteBatch batch_;
  std::string scratch_;
  std::vector<QueuedEntry> stored_;
  ByIdMap<MailboxId, MailboxMeta> mailboxes_;
  ByIdMap<BlobHandle, BlobMeta> blobs_;
  std::vector<MailboxId> touched_mailboxes_;
  std::vector<BlobHandle> touched_blobs_;
  std::unordered_set<std::string> deleted_entries_;  // queue keys deleted in this batch
  EntryCache entry_cache_;  // headers of committed entries: an Ack reads no entry
  ByIdMap<TokenHash, std::optional<InviteRecord>> invites_;  // nullopt: absent
  ByIdMap<MailboxId, PrekeyState> prekeys_;
  std::vector<std::pair<BlobHandle, std::shared_ptr<const std::string>>> new_blobs_;
  std::vector<BlobHandle> dead_blobs_;
  std::uint64_t batch_acked_ = 0;
  std::uint64_t batch_expired_ = 0;
  // A write failed: the key-value store takes no more until Recover succeeds, tried at
  // once and then at most every kRecoveryInterval.
  bool kv_failed_ = false;
  std::chrono::steady_clock::time_point next_recovery_{};
  // The numbering this process reached before a rebuild (ReloadAll) that has not yet
  // succeeded; nullopt when none is pending. A rebuild that fails halfway leaves caches
  // holding the state records' numbering, which may lag the seqs already given: the
  // next attempt starts from this instead.
  std::optional<ByIdMap<MailboxId, std::uint64_t>> numbering_before_rebuild_;
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_STORE_STORE_IMPL_H_
