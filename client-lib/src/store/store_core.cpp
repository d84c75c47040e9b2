#include "store/store_core.h"

#include <algorithm>

namespace tocsin::store {
namespace {

bool SameBytes(ByteView a, ByteView b) { return std::ranges::equal(a, b); }

Result<std::optional<Plaintext>> OpenAlertRow(const RawReader& reader, const KeySet& keys,
                                              AlertId id, const std::string& stored_key,
                                              const std::string& record) {
  Result<std::optional<crypto::SecretBytes>> day_key = ReadDayKey(reader, keys, id.day);
  if (!day_key.ok()) return day_key.status();
  if (!day_key->has_value()) return Status::Corruption("alert content whose day key is gone");
  Result<OpenedRecord> opened =
      OpenRecord(**day_key, FamilyOf(Column::kAlerts), stored_key, record);
  if (!opened.ok()) return opened.status();
  if (!SameBytes(opened->name(), AlertName(id))) return Status::Corruption("alert row name");
  return std::optional<Plaintext>(ToPlaintext(opened->value()));
}

}  // namespace

StoreCore::~StoreCore() {
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    if (handle != nullptr && db != nullptr) db->DestroyColumnFamilyHandle(handle);
  }
  handles.clear();
  if (db != nullptr) db->Close().PermitUncheckedError();
  db.reset();
}

std::shared_ptr<const KeySet> StoreCore::CurrentKeys() const {
  std::shared_lock lock(state_mutex);
  return keys;
}

Status FromRocks(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return Status::Ok();
  std::string message = std::string(context) + ": " + status.ToString();
  if (status.IsCorruption()) return Status::Corruption(message);
  if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
    return Status::Unavailable(std::string(context) + ": the store is open in another process");
  }
  if (status.IsIOError()) return Status::IoError(message);
  if (status.IsBusy() || status.IsTryAgain()) return Status::Unavailable(message);
  if (status.IsNotFound()) return Status::NotFound(message);
  return Status::Internal(message);
}

RawReader::RawReader(const StoreCore& core, rocksdb::WriteBatchWithIndex* batch,
                     const rocksdb::Snapshot* snapshot)
    : core_(core), batch_(batch) {
  options_.snapshot = snapshot;
}

Result<std::optional<std::string>> RawReader::Get(std::uint8_t family, std::string_view key) const {
  std::string value;
  rocksdb::Status status =
      batch_ != nullptr
          ? batch_->GetFromBatchAndDB(core_.db.get(), options_, core_.family(family), key, &value)
          : core_.db->Get(options_, core_.family(family), key, &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return FromRocks(status, "read store");
  return std::optional<std::string>(std::move(value));
}

std::unique_ptr<rocksdb::Iterator> RawReader::NewIterator(std::uint8_t family) const {
  rocksdb::Iterator* base = core_.db->NewIterator(options_, core_.family(family));
  if (batch_ == nullptr) return std::unique_ptr<rocksdb::Iterator>(base);
  return std::unique_ptr<rocksdb::Iterator>(
      batch_->NewIteratorWithBase(core_.family(family), base));
}

Result<std::string> StoredKeyFor(const KeySet& keys, Column column, ByteView name) {
  switch (KindOf(column)) {
    case ColumnKind::kNamed:
      return keys.NamedKey(FamilyOf(column), name);
    case ColumnKind::kSequence:
      if (name.size() != kSequenceNameSize) {
        return Status::InvalidArgument("a sequence row's name is its 8-byte counter");
      }
      return std::string(AsStringView(name));
    case ColumnKind::kAlert: {
      std::optional<AlertId> id = ParseAlertName(name);
      if (!id) return Status::InvalidArgument("an alert row's name is AlertName(day, seq)");
      auto seq = SequenceName(id->seq);
      return keys.DayPrefix(id->day) + std::string(AsStringView(seq));
    }
  }
  return Status::Internal("unknown column kind");
}

std::string DayKeyRowKey(const KeySet& keys, Day day) {
  return keys.NamedKey(kDayKeysFamily, DayName(day));
}

Result<std::optional<crypto::SecretBytes>> ReadDayKey(const RawReader& reader, const KeySet& keys,
                                                      Day day, std::string* raw) {
  const std::string key = DayKeyRowKey(keys, day);
  Result<std::optional<std::string>> record = reader.Get(kDayKeysFamily, key);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return std::optional<crypto::SecretBytes>();
  Result<OpenedRecord> opened = OpenRecord(keys.value_key(), kDayKeysFamily, key, **record);
  if (!opened.ok()) return opened.status();
  if (!SameBytes(opened->name(), DayName(day)) || opened->value().size() != kKeySize) {
    return Status::Corruption("day key row");
  }
  if (raw != nullptr) *raw = **record;
  return std::optional<crypto::SecretBytes>(crypto::SecretBytes::CopyOf(opened->value()));
}

Result<std::optional<Plaintext>> ReadRow(const RawReader& reader, const KeySet& keys, Column column,
                                         ByteView name) {
  Result<std::string> stored_key = StoredKeyFor(keys, column, name);
  if (!stored_key.ok()) return stored_key.status();
  Result<std::optional<std::string>> record = reader.Get(FamilyOf(column), *stored_key);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return std::optional<Plaintext>();
  if (KindOf(column) == ColumnKind::kAlert) {
    return OpenAlertRow(reader, keys, *ParseAlertName(name), *stored_key, **record);
  }
  Result<OpenedRecord> opened =
      OpenRecord(keys.value_key(), FamilyOf(column), *stored_key, **record);
  if (!opened.ok()) return opened.status();
  if (!SameBytes(opened->name(), name)) return Status::Corruption("row holds another name");
  return std::optional<Plaintext>(ToPlaintext(opened->value()));
}

std::string SealNextSequence(const KeySet& keys, std::uint64_t next, crypto::Rng& rng) {
  return SealRecord(keys.value_key(), kMetaFamily, kMetaNextSequence, AsByteView(kMetaNextSequence),
                    SequenceName(next), rng);
}

Result<std::uint64_t> OpenNextSequence(const KeySet& keys, std::string_view record) {
  Result<OpenedRecord> opened =
      OpenRecord(keys.value_key(), kMetaFamily, kMetaNextSequence, record);
  if (!opened.ok()) return opened.status();
  std::optional<std::uint64_t> next = ParseSequence(opened->value());
  if (!next) return Status::Corruption("sequence high-water mark");
  return *next;
}

}  // namespace tocsin::store
