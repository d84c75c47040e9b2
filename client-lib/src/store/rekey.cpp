// DeviceStore::ChangePassphrase: every row re-sealed under a new data key in one synced
// batch, then every file compacted.
//
// Why one batch and not a two-phase scheme: a device store is small (sessions,
// contacts, a few days of alerts: megabytes), so the whole re-encrypted store fits in
// one write batch in memory, and RocksDB applies a batch atomically across column
// families. A crash before the batch is durable leaves the old store, after it the new
// one. A store too large for memory would need two phases (write new rows beside the old
// under a "rekey in progress" marker holding both wrapped keys, then drop the old);
// that is not needed here.
#include <rocksdb/write_batch.h>

#include <map>

#include "store/maintenance.h"

namespace tocsin::store {
namespace {

struct DayRekey {
  crypto::SecretBytes old_key;
  crypto::SecretBytes new_key;
  std::string new_prefix;
};

struct Rekeying {
  StoreCore& core;
  std::shared_ptr<const KeySet> old_keys;
  std::shared_ptr<const KeySet> new_keys;
  rocksdb::WriteBatch batch;
  std::map<std::string, DayRekey> days;  // old day prefix -> keys
};

// Stages (name, value), read from `old_stored`, sealed under `new_key` at `new_stored`,
// dropping the old row when the stored key changes.
Status Reseal(Rekeying& r, std::uint8_t family, std::string_view old_stored, ByteView name,
              ByteView value, const std::string& new_stored, const crypto::SecretBytes& new_key) {
  rocksdb::ColumnFamilyHandle* handle = r.core.family(family);
  if (new_stored != old_stored) {
    TOCSIN_RETURN_IF_ERROR(FromRocks(r.batch.Delete(handle, old_stored), "re-key"));
  }
  const std::string sealed = SealRecord(new_key, family, new_stored, name, value, *r.core.rng);
  return FromRocks(r.batch.Put(handle, new_stored, sealed), "re-key");
}

Result<OpenedRecord> OpenForRekey(const crypto::SecretBytes& key, std::uint8_t family,
                                  const rocksdb::Iterator& it) {
  Result<OpenedRecord> opened =
      OpenRecord(key, family, it.key().ToStringView(), it.value().ToStringView());
  if (!opened.ok()) return opened.status().Annotate("re-key");
  return opened;
}

Status ResealColumn(Rekeying& r, Column column) {
  const std::uint8_t family = FamilyOf(column);
  std::unique_ptr<rocksdb::Iterator> it = RawReader(r.core, nullptr, nullptr).NewIterator(family);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<OpenedRecord> opened = OpenForRekey(r.old_keys->value_key(), family, *it);
    if (!opened.ok()) return opened.status();
    const std::string_view old_stored = it->key().ToStringView();
    const std::string new_stored = KindOf(column) == ColumnKind::kNamed
                                       ? r.new_keys->NamedKey(family, opened->name())
                                       : std::string(old_stored);
    TOCSIN_RETURN_IF_ERROR(Reseal(r, family, old_stored, opened->name(), opened->value(),
                                  new_stored, r.new_keys->value_key()));
  }
  return FromRocks(it->status(), "re-key");
}

// New keys for every day (so the old passphrase and old files open nothing new).
Status ResealDayKeys(Rekeying& r) {
  std::unique_ptr<rocksdb::Iterator> it =
      RawReader(r.core, nullptr, nullptr).NewIterator(kDayKeysFamily);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<OpenedRecord> opened = OpenForRekey(r.old_keys->value_key(), kDayKeysFamily, *it);
    if (!opened.ok()) return opened.status();
    std::optional<Day> day = ParseDayName(opened->name());
    if (!day || opened->value().size() != kKeySize) {
      return Status::Corruption("re-key: day key row");
    }
    DayRekey keys{crypto::SecretBytes::CopyOf(opened->value()), crypto::SecretBytes(kKeySize),
                  r.new_keys->DayPrefix(*day)};
    r.core.rng->Fill(keys.new_key.span());
    TOCSIN_RETURN_IF_ERROR(Reseal(r, kDayKeysFamily, it->key().ToStringView(), opened->name(),
                                  keys.new_key.span(), DayKeyRowKey(*r.new_keys, *day),
                                  r.new_keys->value_key()));
    r.days.emplace(r.old_keys->DayPrefix(*day), std::move(keys));
  }
  return FromRocks(it->status(), "re-key");
}

Status ResealAlerts(Rekeying& r) {
  const std::uint8_t family = FamilyOf(Column::kAlerts);
  std::unique_ptr<rocksdb::Iterator> it = RawReader(r.core, nullptr, nullptr).NewIterator(family);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view old_stored = it->key().ToStringView();
    auto day = r.days.find(std::string(old_stored.substr(0, kDayPrefixSize)));
    if (day == r.days.end()) return Status::Corruption("re-key: alert content without a day key");
    const std::string new_stored =
        day->second.new_prefix + std::string(old_stored.substr(kDayPrefixSize));
    Result<OpenedRecord> opened = OpenForRekey(day->second.old_key, family, *it);
    if (!opened.ok()) return opened.status();
    TOCSIN_RETURN_IF_ERROR(Reseal(r, family, old_stored, opened->name(), opened->value(),
                                  new_stored, day->second.new_key));
  }
  return FromRocks(it->status(), "re-key");
}

Status StageNewWrap(Rekeying& r, const crypto::SecretBytes& data_key,
                    const crypto::SecretBytes& next, const KdfOptions& kdf) {
  const std::string params = EncodeKdfParams(NewKdfParams(kdf, *r.core.rng));
  Result<KdfParams> decoded = DecodeKdfParams(params);
  Result<crypto::SecretBytes> kek = DeriveKek(next, *decoded);
  if (!kek.ok()) return kek.status();
  rocksdb::ColumnFamilyHandle* meta = r.core.family(kMetaFamily);
  TOCSIN_RETURN_IF_ERROR(FromRocks(r.batch.Put(meta, std::string(kMetaKdf), params), "re-key"));
  TOCSIN_RETURN_IF_ERROR(FromRocks(r.batch.Put(meta, std::string(kMetaDataKey),
                                               WrapDataKey(*kek, data_key, params, *r.core.rng)),
                                   "re-key"));
  const std::string high_water =
      SealNextSequence(*r.new_keys, r.core.next_sequence.load(), *r.core.rng);
  TOCSIN_RETURN_IF_ERROR(
      FromRocks(r.batch.Put(meta, std::string(kMetaNextSequence), high_water), "re-key"));
  // Until the compaction is done, the old ciphertexts are still in the files.
  return FromRocks(r.batch.Put(meta, std::string(kMetaCompactPending), "rekey"), "re-key");
}

}  // namespace

Status RekeyStore(StoreCore& core, const crypto::SecretBytes& current,
                  const crypto::SecretBytes& next, const KdfOptions& kdf) {
  TOCSIN_RETURN_IF_ERROR(CheckKdfOptions(kdf));
  if (next.empty()) return Status::InvalidArgument("empty passphrase");
  std::unique_lock state(core.state_mutex);
  std::lock_guard commit(core.commit_mutex);
  Result<crypto::SecretBytes> verified = UnwrapWithPassphrase(core, current);
  if (!verified.ok()) return verified.status();

  crypto::SecretBytes data_key(kKeySize);
  core.rng->Fill(data_key.span());
  Rekeying r{core, core.keys, KeySet::Derive(data_key), rocksdb::WriteBatch(), {}};
  for (Column column : kAllColumns) {
    if (column != Column::kAlerts) TOCSIN_RETURN_IF_ERROR(ResealColumn(r, column));
  }
  TOCSIN_RETURN_IF_ERROR(ResealDayKeys(r));
  TOCSIN_RETURN_IF_ERROR(ResealAlerts(r));
  TOCSIN_RETURN_IF_ERROR(StageNewWrap(r, data_key, next, kdf));

  rocksdb::WriteOptions options;
  options.sync = true;
  TOCSIN_RETURN_IF_ERROR(FromRocks(core.db->Write(options, &r.batch), "re-key"));
  core.keys = r.new_keys;
  return FinishPendingCompaction(core);
}

}  // namespace tocsin::store
