#include "store/kv_faults.h"

#include <cstdlib>
#include <set>
#include <utility>

namespace tocsin::relay {

FaultInjector::FaultInjector(std::shared_ptr<KvStore> base) : base_(std::move(base)) {}

std::unique_ptr<KvStore> FaultInjector::NewStore() {
  return std::make_unique<FaultyKvStore>(shared_from_this(), base_);
}

void FaultInjector::FailNextWrites(std::uint32_t n) {
  std::lock_guard lock(mutex_);
  fail_next_ = n;
}

void FaultInjector::SetSpaceLeft(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  space_left_ = bytes;
}

void FaultInjector::SetUnlimitedSpace() {
  std::lock_guard lock(mutex_);
  space_left_.reset();
}

std::uint64_t FaultInjector::failed_writes() const {
  std::lock_guard lock(mutex_);
  return failed_writes_;
}

std::uint64_t FaultInjector::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

std::uint64_t FaultInjector::dropped_writes() const {
  std::lock_guard lock(mutex_);
  return dropped_writes_;
}

void FaultInjector::SimulatePowerCut() {
  std::lock_guard lock(mutex_);
  // Newest first, so each key ends with the value it had before the oldest lost write.
  for (auto it = unsynced_.rbegin(); it != unsynced_.rend(); ++it) {
    const Status s = base_->Write(it->restore, /*sync=*/true);
    if (!s.ok()) std::abort();  // the test's own base store failed: nothing to trust
  }
  dropped_writes_ += unsynced_.size();
  unsynced_.clear();
  power_off_ = true;
}

void FaultInjector::PowerOn() {
  std::lock_guard lock(mutex_);
  power_off_ = false;
}

void FaultInjector::FailScans(std::uint32_t skip, std::uint32_t n) {
  std::lock_guard lock(mutex_);
  scans_to_skip_ = skip;
  scans_to_fail_ = n;
}

Status FaultInjector::BeforeScan() {
  std::lock_guard lock(mutex_);
  if (scans_to_fail_ == 0) return Status::Ok();
  if (scans_to_skip_ > 0) {
    --scans_to_skip_;
    return Status::Ok();
  }
  --scans_to_fail_;
  return Status::IoError("injected read failure");
}

// REQUIRES: mutex_ held.
Status FaultInjector::Inject(const WriteBatch& batch) {
  if (power_off_) return Status::IoError("injected: power is off");
  if (fail_next_ > 0) {
    --fail_next_;
    return Status::IoError("injected write failure");
  }
  if (space_left_ && batch.ByteSize() > *space_left_) {
    return Status::Unavailable("injected: no space left on device");
  }
  return Status::Ok();
}

Status FaultInjector::Write(const WriteBatch& batch, bool sync) {
  std::lock_guard lock(mutex_);
  ++writes_;
  if (Status injected = Inject(batch); !injected.ok()) {
    ++failed_writes_;
    return injected;
  }
  std::optional<Undo> undo;
  if (!sync) {
    Result<Undo> captured = CaptureUndo(batch);
    if (!captured.ok()) return captured.status();
    undo = std::move(captured).value();
  }
  TOCSIN_RETURN_IF_ERROR(base_->Write(batch, sync));
  if (space_left_) *space_left_ -= batch.ByteSize();
  if (sync) {
    unsynced_.clear();  // a synced WAL write makes every earlier one durable too
  } else {
    unsynced_.push_back(std::move(*undo));
  }
  return Status::Ok();
}

Status FaultInjector::SyncWal() {
  std::lock_guard lock(mutex_);
  if (power_off_) return Status::IoError("injected: power is off");
  unsynced_.clear();
  return base_->SyncWal();
}

std::optional<std::uint64_t> FaultInjector::FreeBytes() const {
  std::lock_guard lock(mutex_);
  if (space_left_) return space_left_;
  return base_->FreeBytes();
}

Status FaultInjector::Recover() {
  std::lock_guard lock(mutex_);
  if (power_off_) return Status::IoError("injected: power is off");
  return base_->Recover();
}

// Reads, before `batch` is applied, the value of every key it touches.
Result<FaultInjector::Undo> FaultInjector::CaptureUndo(const WriteBatch& batch) const {
  Undo undo;
  std::set<std::pair<Cf, std::string>> seen;
  Status status;
  auto remember = [&](Cf cf, std::string_view key, const std::string* value) {
    if (!seen.emplace(cf, std::string(key)).second) return;
    if (value != nullptr) {
      undo.restore.Put(cf, key, *value);
    } else {
      undo.restore.Delete(cf, key);
    }
  };
  auto remember_key = [&](Cf cf, std::string_view key) {
    std::string value;
    const Status s = base_->Get(cf, key, &value);
    if (s.ok()) return remember(cf, key, &value);
    if (s.code() == Code::kNotFound) return remember(cf, key, nullptr);
    status = s;
  };
  batch.ForEach([&](WriteBatch::OpKind kind, Cf cf, std::string_view key, std::string_view value) {
    if (kind != WriteBatch::OpKind::kDeleteRange) return remember_key(cf, key);
    if (value <= key) return;
    const Status s = base_->Scan(cf, key, value, [&](std::string_view k, std::string_view v) {
      const std::string copy(v);
      remember(cf, k, &copy);
      return true;
    });
    if (!s.ok()) status = s;
  });
  if (!status.ok()) return status;
  return undo;
}

}  // namespace tocsin::relay
