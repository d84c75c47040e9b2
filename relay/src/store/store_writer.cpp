// The writer thread (group commit), the sweeper thread, opening and closing.
#include <sodium.h>

#include <algorithm>
#include <chrono>

#include "store/store_impl.h"

namespace tocsin::relay {
namespace {

std::uint64_t SystemNowMs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::uint64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
}

}  // namespace

StoreEngine::StoreEngine(std::unique_ptr<KvStore> kv, StoreOptions options)
    : options_(std::move(options)), kv_(std::move(kv)) {
  if (!options_.now_ms) options_.now_ms = SystemNowMs;
  if (!options_.random) {
    options_.random = [](std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); };
  }
  if (options_.max_ttl_seconds == 0) options_.max_ttl_seconds = 72u * 3600;
}

StoreEngine::~StoreEngine() { Close(); }

void StoreEngine::Start() {
  writer_ = std::thread([this] { WriterLoop(); });
  if (options_.sweep_interval_ms > 0) sweeper_ = std::thread([this] { SweeperLoop(); });
}

void StoreEngine::Close() {
  {
    std::lock_guard lock(inbox_mutex_);
    if (closed_) return;
    closed_ = true;
    closing_ = true;
  }
  inbox_cv_.notify_all();
  {
    std::lock_guard lock(sweeper_mutex_);
    sweeper_stop_ = true;
  }
  sweeper_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  if (writer_.joinable()) writer_.join();  // it drains the inbox first
  std::unique_lock lock(kv_mutex_);
  if (kv_ && options_.durability == Durability::kWal) kv_->SyncWal().Annotate("close").ok();
  kv_.reset();
}

void StoreEngine::Submit(std::unique_ptr<WriteOp> op) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (!closing_) {
      inbox_.push_back(std::move(op));
      if (inbox_.size() == 1) inbox_cv_.notify_one();
      return;
    }
  }
  op->Finish(Status::Unavailable("store is closed"));
}

// Takes whatever is waiting, up to kMaxBatchWeight (a flood is cut into several
// commits, each of bounded size and latency).
void StoreEngine::WriterLoop() {
  constexpr std::size_t kMaxBatchWeight = 16384;
  std::vector<std::unique_ptr<WriteOp>> ops;
  for (;;) {
    {
      std::unique_lock lock(inbox_mutex_);
      inbox_cv_.wait(lock, [this] { return !inbox_.empty() || closing_; });
      if (inbox_.empty()) return;  // closing, and everything is committed
      std::size_t weight = 0;
      while (!inbox_.empty() && (ops.empty() || weight < kMaxBatchWeight)) {
        weight += inbox_.front()->Weight();
        ops.push_back(std::move(inbox_.front()));
        inbox_.pop_front();
      }
    }
    RunBatch(ops);
    ops.clear();
  }
}

// Applies every op, commits once, then tells the listener and answers each op.
void StoreEngine::RunBatch(std::vector<std::unique_ptr<WriteOp>>& ops) {
  ++batch_number_;
  now_ms_ = Now();
  {
    std::lock_guard lock(gate_mutex_);
    batch_gate_ = gate_;
  }
  if (Status ready = ReadyToWrite(); !ready.ok()) {
    for (auto& op : ops) op->Finish(ready);
    return;
  }
  for (auto& op : ops) {
    ++op_stamp_;
    op->Apply(*this);
  }
  StageTouchedStates();
  Status commit;
  const auto start = std::chrono::steady_clock::now();
  if (!batch_.empty()) {
    const bool sync =
        options_.durability == Durability::kFsync &&
        std::any_of(ops.begin(), ops.end(), [](const auto& op) { return op->NeedsSync(); });
    commit = kv_->Write(batch_, sync);
  }
  RecordCommit(ops.size(), MicrosSince(start), commit.ok(), !batch_.empty());
  if (commit.ok()) {
    AfterCommit();
    if (!stored_.empty()) {
      std::lock_guard lock(stored_listener_mutex);
      if (stored_listener) stored_listener(stored_);
    }
  } else {
    Rollback();
    for (const DeliveryRateKey& key : admitted_) batch_gate_->Refund(key, now_ms_);
    kv_failed_ = true;
    next_recovery_ = std::chrono::steady_clock::now();
  }
  for (auto& op : ops) op->Finish(commit);
  ResetBatch();
}

void StoreEngine::StageTouchedStates() {
  for (const MailboxId& id : touched_mailboxes_) {
    MailboxMeta* meta = FindMailbox(id);
    if (meta == nullptr || !meta->state_dirty) continue;  // deleted, or appends only
    batch_.Put(Cf::kMailbox, MailboxKey(id, kStateRecord), EncodeState(meta->state));
    meta->state_dirty = false;
    meta->saved_next_seq = meta->state.next_seq;
  }
}

void StoreEngine::AfterCommit() {
  entry_cache_.Commit();
  {
    std::unique_lock lock(published_mutex_);
    for (const MailboxId& id : touched_mailboxes_) {
      if (MailboxMeta* meta = FindMailbox(id)) meta->committed_next_seq = meta->state.next_seq;
      Publish(id);
    }
  }
  for (auto& [handle, body] : new_blobs_) blob_cache_.Put(handle, std::move(body));
  for (const BlobHandle& handle : dead_blobs_) blob_cache_.Erase(handle);
  std::uint64_t bytes = 0;
  for (const QueuedEntry& e : stored_) bytes += e.envelope ? e.envelope->size() : e.view.size();
  std::lock_guard lock(counters_mutex_);
  counters_.entries_stored += stored_.size();
  counters_.bytes_stored += bytes;
  counters_.entries_acked += batch_acked_;
  counters_.entries_expired += batch_expired_;
}

// The database is as before the batch: reload what the batch changed in the caches.
void StoreEngine::Rollback() {
  for (const MailboxId& id : touched_mailboxes_) {
    if (!ReloadMailbox(id).ok()) mailboxes_.erase(id);
  }
  for (const BlobHandle& handle : touched_blobs_) {
    if (!ReloadBlob(handle).ok()) blobs_.erase(handle);
  }
}

void StoreEngine::ResetBatch() {
  batch_.Clear();
  stored_.clear();
  admitted_.clear();
  touched_mailboxes_.clear();
  touched_blobs_.clear();
  deleted_entries_.clear();
  entry_cache_.DropStaged();  // a failed batch's entries were never written
  invites_.clear();
  prekeys_.clear();
  new_blobs_.clear();
  dead_blobs_.clear();
  batch_acked_ = 0;
  batch_expired_ = 0;
  TrimViewerSets();
  if (scratch_.capacity() > (1u << 20)) std::string().swap(scratch_);
}

// A batch whose ops all failed validation writes nothing: its ops count, no commit does.
void StoreEngine::RecordCommit(std::uint64_t ops, std::uint64_t micros, bool ok, bool wrote) {
  if (options_.on_commit && (wrote || !ok)) options_.on_commit(ops, micros, ok);
  std::lock_guard lock(counters_mutex_);
  if (!ok) {
    ++counters_.commit_failures;
    counters_.writable = false;
    return;
  }
  counters_.committed_ops += ops;
  if (!wrote) return;
  ++counters_.commits;
  counters_.commit_micros += micros;
}

StoreCounters StoreEngine::counters() const {
  std::lock_guard lock(counters_mutex_);
  return counters_;
}

// ---- the sweeper

void StoreEngine::SweepAll(Callback<std::uint64_t> done, std::uint64_t swept_so_far) {
  constexpr std::size_t kChunk = 20000;  // index entries per batch
  Submit(MakeSweepOp(kChunk, [this, done = std::move(done),
                              swept_so_far](Result<std::pair<std::uint64_t, bool>> r) mutable {
    if (!r.ok()) return done(r.status());
    const std::uint64_t total = swept_so_far + r->first;
    if (!r->second) return done(total);
    SweepAll(std::move(done), total);  // more due: queue the next chunk
  }));
}

void StoreEngine::SweeperLoop() {
  const auto interval = std::chrono::milliseconds(options_.sweep_interval_ms);
  std::unique_lock lock(sweeper_mutex_);
  while (!sweeper_cv_.wait_for(lock, interval, [this] { return sweeper_stop_; })) {
    lock.unlock();
    std::mutex done_mutex;
    std::condition_variable done_cv;
    bool finished = false;
    SweepAll(
        [&](Result<std::uint64_t>) {
          std::lock_guard done_lock(done_mutex);
          finished = true;
          done_cv.notify_one();
        },
        0);
    std::unique_lock done_lock(done_mutex);
    done_cv.wait(done_lock, [&] { return finished; });
    done_lock.unlock();
    lock.lock();
  }
}

void StoreEngine::SetDeliveryGate(std::shared_ptr<DeliveryGate> gate) {
  std::lock_guard lock(gate_mutex_);
  gate_ = std::move(gate);
}

std::uint32_t StoreEngine::Admit(const DeliveryRateKey& rate) {
  if (!batch_gate_) return 0;
  const std::uint32_t wait = batch_gate_->Admit(rate, now_ms_);
  if (wait == 0) admitted_.push_back(rate);
  return wait;
}

}  // namespace tocsin::relay
