// Fault injection around any KvStore, for failure tests (after leveldb's EnvWrapper /
// FaultInjectionTestEnv).
//
// A FaultInjector owns the shared state: the real store underneath and the faults to
// inject. FaultyKvStore is a KvStore that routes through it; a MailboxStore opened on
// one can be closed and a new one opened on a fresh FaultyKvStore over the same data,
// as a relay restarting after a crash.
//
//   auto base = std::shared_ptr<KvStore>(NewMemoryKv());
//   auto faults = std::make_shared<FaultInjector>(base);
//   auto store = MailboxStore::OpenOn(faults->NewStore(), options);
//   faults->FailNextWrites(1);          // the next commit answers kUnavailable
//   faults->SimulatePowerCut();         // unsynced writes vanish, later ones fail
//
// Thread-safety: every method may be called from any thread.
#ifndef TOCSIN_RELAY_STORE_KV_FAULTS_H_
#define TOCSIN_RELAY_STORE_KV_FAULTS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/kv_store.h"

namespace tocsin::relay {

class FaultInjector : public std::enable_shared_from_this<FaultInjector> {
 public:
  explicit FaultInjector(std::shared_ptr<KvStore> base);

  // A KvStore over the base with these faults. It keeps this injector alive.
  std::unique_ptr<KvStore> NewStore();

  // The next `n` writes fail with kIoError and change nothing.
  void FailNextWrites(std::uint32_t n);
  // From now on a write whose batch is larger than the bytes left fails with
  // kUnavailable ("disk full") and changes nothing; successful writes use up the budget.
  void SetSpaceLeft(std::uint64_t bytes);
  void SetUnlimitedSpace();

  // Power cut: every write made with sync=false and not followed by a synced write
  // (or SyncWal) is undone, as the page cache would be lost; then every write fails
  // with kIoError until PowerOn(). Reads keep working (they see the surviving data).
  void SimulatePowerCut();
  void PowerOn();

  // After `skip` more scans (Scan, ScanRanges) succeed, the next `n` fail with kIoError
  // before they visit anything, as a read error would. Get and snapshots are not touched.
  void FailScans(std::uint32_t skip, std::uint32_t n);

  std::uint64_t failed_writes() const;
  std::uint64_t writes() const;
  std::uint64_t dropped_writes() const;  // unsynced writes undone by power cuts

 private:
  friend class FaultyKvStore;
  // The prior state of every key a batch changed: applying it undoes the batch.
  struct Undo {
    WriteBatch restore;
  };

  Status Write(const WriteBatch& batch, bool sync);
  Status SyncWal();
  std::optional<std::uint64_t> FreeBytes() const;
  Status Recover();
  Status BeforeScan();
  Status Inject(const WriteBatch& batch);
  Result<Undo> CaptureUndo(const WriteBatch& batch) const;

  const std::shared_ptr<KvStore> base_;
  mutable std::mutex mutex_;
  std::uint32_t fail_next_ = 0;
  std::uint32_t scans_to_skip_ = 0;
  std::uint32_t scans_to_fail_ = 0;
  std::optional<std::uint64_t> space_left_;
  bool power_off_ = false;
  std::vector<Undo> unsynced_;  // oldest first
  std::uint64_t failed_writes_ = 0;
  std::uint64_t writes_ = 0;
  std::uint64_t dropped_writes_ = 0;
};

// Routes every call through a FaultInjector; reads go to the base store, scans after
// asking the injector whether to fail.
class FaultyKvStore final : public KvStore {
 public:
  FaultyKvStore(std::shared_ptr<FaultInjector> faults, std::shared_ptr<KvStore> base)
      : faults_(std::move(faults)), base_(std::move(base)) {}

  Status Get(Cf cf, std::string_view key, std::string* value) const override {
    return base_->Get(cf, key, value);
  }
  Status Scan(Cf cf, std::string_view begin, std::string_view end,
              const Visitor& visit) const override {
    TOCSIN_RETURN_IF_ERROR(faults_->BeforeScan());
    return base_->Scan(cf, begin, end, visit);
  }
  Status ScanRanges(Cf cf, const std::vector<Range>& ranges, const Visitor& visit) const override {
    TOCSIN_RETURN_IF_ERROR(faults_->BeforeScan());
    return base_->ScanRanges(cf, ranges, visit);
  }
  Status Write(const WriteBatch& batch, bool sync) override { return faults_->Write(batch, sync); }
  Status SyncWal() override { return faults_->SyncWal(); }
  std::unique_ptr<KvReader> Snapshot() const override { return base_->Snapshot(); }
  Status Checkpoint(const std::string& dir) const override { return base_->Checkpoint(dir); }
  // The space left as SetSpaceLeft says, else the base store's.
  std::optional<std::uint64_t> FreeBytes() const override { return faults_->FreeBytes(); }
  KvMemory Memory() const override { return base_->Memory(); }
  // Fails while the power is off; otherwise the base store's.
  Status Recover() override { return faults_->Recover(); }

 private:
  const std::shared_ptr<FaultInjector> faults_;
  const std::shared_ptr<KvStore> base_;
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_STORE_KV_FAULTS_H_
