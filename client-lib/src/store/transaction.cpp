#include "store/transaction.h"

#include <rocksdb/utilities/write_batch_with_index.h>

#include "store/store_core.h"

namespace tocsin::store {

Transaction::Transaction(StoreCore* core, std::shared_ptr<const KeySet> keys)
    : core_(core),
      keys_(std::move(keys)),
      batch_(std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0,
                                                            /*overwrite_key=*/true)) {}

Transaction::~Transaction() = default;
Transaction::Transaction(Transaction&&) noexcept = default;
Transaction& Transaction::operator=(Transaction&&) noexcept = default;

std::size_t Transaction::size() const {
  return batch_ == nullptr ? 0 : static_cast<std::size_t>(batch_->GetWriteBatch()->Count());
}

bool Transaction::Spent() const { return spent_ || core_ == nullptr || batch_ == nullptr; }

Status Transaction::CheckUsable() const {
  if (Spent()) return Status::InvalidArgument("transaction already committed");
  if (core_->CurrentKeys() != keys_) {
    return Status::Unavailable("the store was re-keyed during the transaction; redo it");
  }
  return Status::Ok();
}

Result<std::optional<Plaintext>> Transaction::Get(Column column, ByteView name) {
  if (Spent()) return Status::InvalidArgument("transaction already committed");
  std::shared_lock lock(core_->state_mutex);
  if (core_->keys != keys_) {
    return Status::Unavailable("the store was re-keyed during the transaction; redo it");
  }
  return ReadRow(RawReader(*core_, batch_.get(), nullptr), *keys_, column, name);
}

std::unique_ptr<Cursor> Transaction::MakeCursor(Column column, std::optional<Day> day) {
  if (Spent())
    return CursorFactory::Failed(Status::InvalidArgument("transaction already committed"));
  std::shared_lock lock(core_->state_mutex);
  if (core_->keys != keys_) {
    return CursorFactory::Failed(
        Status::Unavailable("the store was re-keyed during the transaction; redo it"));
  }
  return CursorFactory::Make(*core_, keys_, batch_.get(), column, day);
}

std::unique_ptr<Cursor> Transaction::NewCursor(Column column) {
  return MakeCursor(column, std::nullopt);
}

std::unique_ptr<Cursor> Transaction::NewAlertCursor(Day day) {
  return MakeCursor(Column::kAlerts, day);
}

Status Transaction::PutSealed(std::uint8_t family, const std::string& stored_key, ByteView name,
                              ByteView value, const crypto::SecretBytes& key) {
  const std::string record = SealRecord(key, family, stored_key, name, value, *core_->rng);
  return FromRocks(batch_->Put(core_->family(family), stored_key, record), "stage write");
}

Status Transaction::Put(Column column, ByteView name, ByteView value) {
  TOCSIN_RETURN_IF_ERROR(CheckUsable());
  Result<std::string> stored_key = StoredKeyFor(*keys_, column, name);
  if (!stored_key.ok()) return stored_key.status();
  const crypto::SecretBytes* key = &keys_->value_key();
  if (column == Column::kAlerts) {
    Result<const crypto::SecretBytes*> day_key = DayKeyForWrite(ParseAlertName(name)->day);
    if (!day_key.ok()) return day_key.status();
    key = *day_key;
  }
  return PutSealed(FamilyOf(column), *stored_key, name, value, *key);
}

Status Transaction::Delete(Column column, ByteView name) {
  TOCSIN_RETURN_IF_ERROR(CheckUsable());
  Result<std::string> stored_key = StoredKeyFor(*keys_, column, name);
  if (!stored_key.ok()) return stored_key.status();
  return FromRocks(batch_->Delete(core_->family(FamilyOf(column)), *stored_key), "stage delete");
}

Result<std::uint64_t> Transaction::Append(Column column, ByteView value) {
  if (KindOf(column) != ColumnKind::kSequence) {
    return Status::InvalidArgument("Append is for sequence columns (outbox, pending)");
  }
  TOCSIN_RETURN_IF_ERROR(CheckUsable());
  const std::uint64_t seq = core_->next_sequence.fetch_add(1);
  allocated_sequence_ = true;
  TOCSIN_RETURN_IF_ERROR(Put(column, SequenceName(seq), value));
  return seq;
}

Result<AlertId> Transaction::AppendAlert(Day day, ByteView value) {
  TOCSIN_RETURN_IF_ERROR(CheckUsable());
  const AlertId id{day, core_->next_sequence.fetch_add(1)};
  allocated_sequence_ = true;
  TOCSIN_RETURN_IF_ERROR(Put(Column::kAlerts, AlertName(id), value));
  return id;
}

Result<const crypto::SecretBytes*> Transaction::DayKeyForWrite(Day day) {
  auto cached = day_keys_.find(day);
  if (cached != day_keys_.end()) return &cached->second;
  std::string raw;
  Result<std::optional<crypto::SecretBytes>> existing = Status::Internal("unread");
  {
    std::shared_lock lock(core_->state_mutex);
    existing = ReadDayKey(RawReader(*core_, batch_.get(), nullptr), *keys_, day, &raw);
  }
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    relied_day_keys_.emplace(day, std::move(raw));
    return &day_keys_.emplace(day, std::move(**existing)).first->second;
  }
  crypto::SecretBytes fresh(kKeySize);
  core_->rng->Fill(fresh.span());
  TOCSIN_RETURN_IF_ERROR(PutSealed(kDayKeysFamily, DayKeyRowKey(*keys_, day), DayName(day),
                                   fresh.span(), keys_->value_key()));
  return &day_keys_.emplace(day, std::move(fresh)).first->second;
}

// REQUIRES: the commit lock is held, so a purge cannot slip in between check and write.
Status Transaction::CheckDayKeysUnchanged() const {
  for (const auto& [day, raw] : relied_day_keys_) {
    std::string now;
    rocksdb::Status status = core_->db->Get(rocksdb::ReadOptions(), core_->family(kDayKeysFamily),
                                            DayKeyRowKey(*keys_, day), &now);
    if (status.IsNotFound() || (status.ok() && now != raw)) {
      return Status::Unavailable("an alert day was purged during the transaction; redo it");
    }
    TOCSIN_RETURN_IF_ERROR(FromRocks(status, "check day key"));
  }
  return Status::Ok();
}

Status Transaction::Commit() {
  if (Spent()) return Status::InvalidArgument("transaction already committed");
  std::shared_lock state(core_->state_mutex);
  std::lock_guard commit(core_->commit_mutex);
  if (core_->keys != keys_) {
    return Status::Unavailable("the store was re-keyed during the transaction; redo it");
  }
  TOCSIN_RETURN_IF_ERROR(CheckDayKeysUnchanged());
  if (allocated_sequence_) {
    const std::string high_water =
        SealNextSequence(*keys_, core_->next_sequence.load(), *core_->rng);
    TOCSIN_RETURN_IF_ERROR(FromRocks(
        batch_->Put(core_->family(kMetaFamily), kMetaNextSequence, high_water), "stage write"));
  }
  if (scrub_) {
    TOCSIN_RETURN_IF_ERROR(FromRocks(
        batch_->Put(core_->family(kMetaFamily), kMetaCompactPending, "scrub"), "stage write"));
  }
  if (batch_->GetWriteBatch()->Count() > 0) {
    rocksdb::WriteOptions options;
    options.sync = true;
    TOCSIN_RETURN_IF_ERROR(
        FromRocks(core_->db->Write(options, batch_->GetWriteBatch()), "commit transaction"));
  }
  spent_ = true;
  batch_->Clear();
  return Status::Ok();
}

}  // namespace tocsin::store
