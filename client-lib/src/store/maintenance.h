// Internal: opening the database, re-keying and purging, on the shared StoreCore.
#ifndef TOCSIN_STORE_MAINTENANCE_H_
#define TOCSIN_STORE_MAINTENANCE_H_

#include <filesystem>

#include "crypto/secure_buffer.h"
#include "store/columns.h"
#include "store/device_store.h"
#include "store/key_wrap.h"
#include "store/store_core.h"
#include "tocsin/status.h"

namespace tocsin::store {

// Opens (or, with `create`, creates) the RocksDB database with every column family.
Status OpenDatabase(StoreCore& core, const std::filesystem::path& dir, const StoreOptions& options,
                    bool create);

// The data key, unwrapped with `passphrase` from the meta rows. kUnauthorized
// "wrong passphrase"; kCorruption when the meta rows are missing or malformed.
Result<crypto::SecretBytes> UnwrapWithPassphrase(const StoreCore& core,
                                                 const crypto::SecretBytes& passphrase);

// Flushes every memtable (so the WAL that held the dropped rows is retired) and compacts
// every family fully, or, when compact_pending names a purge, only its ranges; then
// clears compact_pending. REQUIRES: the state lock is held exclusively or the store is
// not yet shared.
Status FinishPendingCompaction(StoreCore& core);

// See DeviceStore::ChangePassphrase. Takes the locks itself.
Status RekeyStore(StoreCore& core, const crypto::SecretBytes& current,
                  const crypto::SecretBytes& next, const KdfOptions& kdf);

// See DeviceStore::CompactColumns. Takes the locks itself.
Status CompactStoreColumns(StoreCore& core, const std::vector<Column>& columns);

// See DeviceStore::PurgeDay. Takes the locks itself.
Status PurgeAlertDay(StoreCore& core, Day day);

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_MAINTENANCE_H_
