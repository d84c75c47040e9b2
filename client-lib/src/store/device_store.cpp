#include "store/device_store.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cassert>
#include <system_error>

#include "store/maintenance.h"
#include "store/store_core.h"

namespace tocsin::store {
namespace {

Status MakePrivateFolder(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::IoError("create " + dir.string() + ": " + error.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  if (error) return Status::IoError("restrict " + dir.string() + ": " + error.message());
  return Status::Ok();
}

std::unique_ptr<StoreCore> NewCore(const StoreOptions& options) {
  auto core = std::make_unique<StoreCore>();
  core->rng = options.rng != nullptr ? options.rng : &crypto::DefaultRng();
  return core;
}

// The first rows of a new store, in one synced batch.
Status WriteInitialMeta(StoreCore& core, const crypto::SecretBytes& passphrase,
                        const crypto::SecretBytes& data_key, const KdfOptions& kdf) {
  const std::string params = EncodeKdfParams(NewKdfParams(kdf, *core.rng));
  Result<crypto::SecretBytes> kek = DeriveKek(passphrase, *DecodeKdfParams(params));
  if (!kek.ok()) return kek.status();
  rocksdb::ColumnFamilyHandle* meta = core.family(kMetaFamily);
  rocksdb::WriteBatch batch;
  batch.Put(meta, std::string(kMetaFormat), std::string(kFormatV1)).PermitUncheckedError();
  batch.Put(meta, std::string(kMetaKdf), params).PermitUncheckedError();
  batch.Put(meta, std::string(kMetaDataKey), WrapDataKey(*kek, data_key, params, *core.rng))
      .PermitUncheckedError();
  batch
      .Put(meta, std::string(kMetaNextSequence),
           SealNextSequence(*core.keys, kFirstSequence, *core.rng))
      .PermitUncheckedError();
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(core.db->Write(options, &batch), "create store");
}

Status CheckFormat(const StoreCore& core) {
  Result<std::optional<std::string>> format =
      RawReader(core, nullptr, nullptr).Get(kMetaFamily, kMetaFormat);
  if (!format.ok()) return format.status();
  if (!format->has_value()) return Status::Corruption("not a tocsin device store");
  if (**format != kFormatV1) {
    return Status::UnsupportedVersion("device store format " + **format + " is not supported");
  }
  return Status::Ok();
}

// Unwraps the data key and loads the state kept in meta.
Status Unlock(StoreCore& core, const crypto::SecretBytes& passphrase) {
  TOCSIN_RETURN_IF_ERROR(CheckFormat(core));
  Result<crypto::SecretBytes> data_key = UnwrapWithPassphrase(core, passphrase);
  if (!data_key.ok()) return data_key.status();
  core.keys = KeySet::Derive(*data_key);
  RawReader reader(core, nullptr, nullptr);
  Result<std::optional<std::string>> high_water = reader.Get(kMetaFamily, kMetaNextSequence);
  if (!high_water.ok()) return high_water.status();
  if (!high_water->has_value()) return Status::Corruption("no sequence high-water mark");
  Result<std::uint64_t> next = OpenNextSequence(*core.keys, **high_water);
  if (!next.ok()) return next.status();
  core.next_sequence = *next;
  Result<std::optional<std::string>> pending = reader.Get(kMetaFamily, kMetaCompactPending);
  if (!pending.ok()) return pending.status();
  return pending->has_value() ? FinishPendingCompaction(core) : Status::Ok();
}

}  // namespace

DeviceStore::DeviceStore(std::unique_ptr<StoreCore> core) : core_(std::move(core)) {}
DeviceStore::~DeviceStore() {
  // A cursor still alive would read a closed database.
  assert(core_->live_cursors.load() == 0 && "a cursor outlived its DeviceStore");
}

bool DeviceStore::Exists(const std::filesystem::path& dir) {
  std::error_code error;
  return std::filesystem::exists(dir / "CURRENT", error);
}

Result<std::unique_ptr<DeviceStore>> DeviceStore::Create(const std::filesystem::path& dir,
                                                         const crypto::SecretBytes& passphrase,
                                                         const StoreOptions& options) {
  if (passphrase.empty()) return Status::InvalidArgument("empty passphrase");
  TOCSIN_RETURN_IF_ERROR(CheckKdfOptions(options.kdf));
  if (Exists(dir)) return Status::InvalidArgument("a store already exists at " + dir.string());
  TOCSIN_RETURN_IF_ERROR(MakePrivateFolder(dir));
  std::unique_ptr<StoreCore> core = NewCore(options);
  TOCSIN_RETURN_IF_ERROR(OpenDatabase(*core, dir, options, /*create=*/true));
  crypto::SecretBytes data_key(kKeySize);
  core->rng->Fill(data_key.span());
  core->keys = KeySet::Derive(data_key);
  TOCSIN_RETURN_IF_ERROR(WriteInitialMeta(*core, passphrase, data_key, options.kdf));
  core->next_sequence = kFirstSequence;
  return std::unique_ptr<DeviceStore>(new DeviceStore(std::move(core)));
}

Result<std::unique_ptr<DeviceStore>> DeviceStore::Open(const std::filesystem::path& dir,
                                                       const crypto::SecretBytes& passphrase,
                                                       const StoreOptions& options) {
  if (!Exists(dir)) return Status::NotFound("no device store at " + dir.string());
  std::unique_ptr<StoreCore> core = NewCore(options);
  TOCSIN_RETURN_IF_ERROR(OpenDatabase(*core, dir, options, /*create=*/false));
  TOCSIN_RETURN_IF_ERROR(Unlock(*core, passphrase));
  return std::unique_ptr<DeviceStore>(new DeviceStore(std::move(core)));
}

Result<std::optional<Plaintext>> DeviceStore::Get(Column column, ByteView name) const {
  std::shared_lock lock(core_->state_mutex);
  return ReadRow(RawReader(*core_, nullptr, nullptr), *core_->keys, column, name);
}

std::unique_ptr<Cursor> DeviceStore::NewCursor(Column column) const {
  std::shared_lock lock(core_->state_mutex);
  return CursorFactory::Make(*core_, core_->keys, nullptr, column, std::nullopt);
}

std::unique_ptr<Cursor> DeviceStore::NewAlertCursor(Day day) const {
  std::shared_lock lock(core_->state_mutex);
  return CursorFactory::Make(*core_, core_->keys, nullptr, Column::kAlerts, day);
}

Result<std::vector<Day>> DeviceStore::AlertDays() const {
  std::shared_lock lock(core_->state_mutex);
  std::vector<Day> days;
  std::unique_ptr<rocksdb::Iterator> it =
      RawReader(*core_, nullptr, nullptr).NewIterator(kDayKeysFamily);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<OpenedRecord> opened = OpenRecord(core_->keys->value_key(), kDayKeysFamily,
                                             it->key().ToStringView(), it->value().ToStringView());
    if (!opened.ok()) return opened.status();
    std::optional<Day> day = ParseDayName(opened->name());
    if (!day) return Status::Corruption("day key row");
    days.push_back(*day);
  }
  TOCSIN_RETURN_IF_ERROR(FromRocks(it->status(), "list alert days"));
  std::sort(days.begin(), days.end());
  return days;
}

Transaction DeviceStore::Begin() { return Transaction(core_.get(), core_->CurrentKeys()); }

Status DeviceStore::Put(Column column, ByteView name, ByteView value) {
  Transaction txn = Begin();
  TOCSIN_RETURN_IF_ERROR(txn.Put(column, name, value));
  return txn.Commit();
}

Status DeviceStore::Delete(Column column, ByteView name) {
  Transaction txn = Begin();
  TOCSIN_RETURN_IF_ERROR(txn.Delete(column, name));
  return txn.Commit();
}

Status DeviceStore::ChangePassphrase(const crypto::SecretBytes& current,
                                     const crypto::SecretBytes& next, const KdfOptions& kdf) {
  return RekeyStore(*core_, current, next, kdf);
}

Status DeviceStore::PurgeDay(Day day) { return PurgeAlertDay(*core_, day); }

Status DeviceStore::CompactColumns(const std::vector<Column>& columns) {
  return CompactStoreColumns(*core_, columns);
}

}  // namespace tocsin::store
