#include "store/maintenance.h"

#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <system_error>

namespace tocsin::store {
namespace {

rocksdb::DBOptions DatabaseOptions(bool create) {
  rocksdb::DBOptions options;
  options.create_if_missing = create;
  options.error_if_exists = create;
  // Lets a later version add a column family to existing stores.
  options.create_missing_column_families = true;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.keep_log_file_num = 2;
  // A recycled or archived WAL would keep the bytes of purged and re-keyed rows.
  options.recycle_log_file_num = 0;
  options.WAL_ttl_seconds = 0;
  options.WAL_size_limit_MB = 0;
  return options;
}

rocksdb::ColumnFamilyOptions FamilyOptions(const StoreOptions& store_options) {
  rocksdb::ColumnFamilyOptions options;
  // Values are ciphertext: compression would only cost time. It would also make the
  // raw-file searches of the tests meaningless.
  options.compression = rocksdb::kNoCompression;
  options.bottommost_compression = rocksdb::kNoCompression;
  options.write_buffer_size = store_options.write_buffer_size;
  return options;
}

std::vector<rocksdb::ColumnFamilyHandle*> AllHandles(const StoreCore& core) {
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (auto* handle : core.handles) handles.push_back(handle);
  return handles;
}

Status FlushAll(StoreCore& core) {
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocks(core.db->Flush(options, AllHandles(core)), "flush store");
}

Status CompactFamily(StoreCore& core, std::uint8_t family, const rocksdb::Slice* begin,
                     const rocksdb::Slice* end) {
  rocksdb::CompactRangeOptions options;
  // The bottommost level too: that is where dropped rows would otherwise stay.
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocks(core.db->CompactRange(options, core.family(family), begin, end),
                   "compact store");
}

Status ClearCompactPending(StoreCore& core) {
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(
      core.db->Delete(options, core.family(kMetaFamily), std::string(kMetaCompactPending)),
      "clear compaction marker");
}

}  // namespace

Status OpenDatabase(StoreCore& core, const std::filesystem::path& dir, const StoreOptions& options,
                    bool create) {
  const rocksdb::ColumnFamilyOptions family_options = FamilyOptions(options);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : AllFamilyNames()) descriptors.emplace_back(name, family_options);
  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      rocksdb::DB::Open(DatabaseOptions(create), dir.string(), descriptors, &core.handles, &db);
  if (!status.ok()) return FromRocks(status, create ? "create store" : "open store");
  core.db.reset(db);
  core.dir = dir;
  return Status::Ok();
}

Result<crypto::SecretBytes> UnwrapWithPassphrase(const StoreCore& core,
                                                 const crypto::SecretBytes& passphrase) {
  RawReader reader(core, nullptr, nullptr);
  Result<std::optional<std::string>> kdf = reader.Get(kMetaFamily, kMetaKdf);
  if (!kdf.ok()) return kdf.status();
  Result<std::optional<std::string>> wrapped = reader.Get(kMetaFamily, kMetaDataKey);
  if (!wrapped.ok()) return wrapped.status();
  if (!kdf->has_value() || !wrapped->has_value()) {
    return Status::Corruption("the store has no wrapped data key");
  }
  Result<KdfParams> params = DecodeKdfParams(**kdf);
  if (!params.ok()) return params.status();
  Result<crypto::SecretBytes> kek = DeriveKek(passphrase, *params);
  if (!kek.ok()) return kek.status();
  return UnwrapDataKey(*kek, **wrapped, **kdf);
}

Status FinishPendingCompaction(StoreCore& core) {
  TOCSIN_RETURN_IF_ERROR(FlushAll(core));
  for (std::uint8_t family = 1; family < kFamilyCount; ++family) {
    TOCSIN_RETURN_IF_ERROR(CompactFamily(core, family, nullptr, nullptr));
  }
  return ClearCompactPending(core);
}

Status CompactStoreColumns(StoreCore& core, const std::vector<Column>& columns) {
  std::unique_lock state(core.state_mutex);
  std::lock_guard commit(core.commit_mutex);
  TOCSIN_RETURN_IF_ERROR(FlushAll(core));
  for (Column column : columns) {
    TOCSIN_RETURN_IF_ERROR(CompactFamily(core, FamilyOf(column), nullptr, nullptr));
  }
  return ClearCompactPending(core);
}

Status PurgeAlertDay(StoreCore& core, Day day) {
  std::unique_lock state(core.state_mutex);
  std::lock_guard commit(core.commit_mutex);
  const std::string day_key_row = DayKeyRowKey(*core.keys, day);
  const std::string begin = core.keys->DayPrefix(day);
  // Past every prefix || 8-byte counter.
  const std::string end = begin + std::string(kSequenceNameSize + 1, '\xff');

  rocksdb::WriteBatch batch;
  TOCSIN_RETURN_IF_ERROR(
      FromRocks(batch.Delete(core.family(kDayKeysFamily), day_key_row), "purge"));
  TOCSIN_RETURN_IF_ERROR(
      FromRocks(batch.DeleteRange(core.family(FamilyOf(Column::kAlerts)), begin, end), "purge"));
  TOCSIN_RETURN_IF_ERROR(FromRocks(
      batch.Put(core.family(kMetaFamily), std::string(kMetaCompactPending), "purge"), "purge"));
  rocksdb::WriteOptions options;
  options.sync = true;
  TOCSIN_RETURN_IF_ERROR(FromRocks(core.db->Write(options, &batch), "purge day"));

  TOCSIN_RETURN_IF_ERROR(FlushAll(core));
  const rocksdb::Slice alerts_begin(begin), alerts_end(end);
  TOCSIN_RETURN_IF_ERROR(
      CompactFamily(core, FamilyOf(Column::kAlerts), &alerts_begin, &alerts_end));
  const rocksdb::Slice key_row(day_key_row);
  TOCSIN_RETURN_IF_ERROR(CompactFamily(core, kDayKeysFamily, &key_row, &key_row));
  return ClearCompactPending(core);
}

}  // namespace tocsin::store
