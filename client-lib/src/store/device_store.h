// DeviceStore: a device's encrypted state (libsignal stores, contacts, groups, trees,
// alerts, outbox, pending, seen ids) in one RocksDB folder.
//
// What a seized data folder holds: every value sealed with XChaCha20-Poly1305 under the
// data key (alert content under a per-day key), bound to its column and row; row names
// replaced by keyed hashes or opaque counters; the data key wrapped under a key derived
// from the passphrase with Argon2id (parameters and salt in clear). No plaintext, no
// key, no token, no mailbox id in the clear. What it does reveal: how many rows each
// column holds and their sizes, and the order of outbox, pending and a day's alerts.
//
// Errors: kUnauthorized "wrong passphrase"; kNotFound when no store exists at Open;
// kUnavailable when another process has it open, or a transaction must be redone;
// kCorruption when a row fails authentication (tampered, moved between rows, or alert
// content whose day was purged); kIoError from the disk.
//
// Thread-safety: every method may be called from any thread. Reads run concurrently;
// commits are serialised; ChangePassphrase and PurgeDay exclude everything else while
// they run. The data folder may be open in one process at a time (RocksDB's lock).
#ifndef TOCSIN_STORE_DEVICE_STORE_H_
#define TOCSIN_STORE_DEVICE_STORE_H_

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "crypto/random.h"
#include "crypto/secure_buffer.h"
#include "store/columns.h"
#include "store/cursor.h"
#include "store/key_wrap.h"
#include "store/plaintext.h"
#include "store/transaction.h"
#include "tocsin/status.h"

namespace tocsin::store {

struct StoreCore;

struct StoreOptions {
  // Argon2id cost for Create and ChangePassphrase (Open uses what the store records).
  KdfOptions kdf;
  // Keys, salts and nonces. nullptr: the system CSPRNG. REQUIRES: thread-safe if the
  // store is used from several threads; outlives the store.
  crypto::Rng* rng = nullptr;
  // RocksDB memtable size per column family; small, for phones.
  std::size_t write_buffer_size = 4 << 20;
};

class DeviceStore {
 public:
  // Makes a new store in `dir` (created with its parents if needed; `dir` itself gets
  // owner-only permissions). kInvalidArgument when a store is already there, the passphrase is
  // empty or the KDF options are out of range.
  static Result<std::unique_ptr<DeviceStore>> Create(const std::filesystem::path& dir,
                                                     const crypto::SecretBytes& passphrase,
                                                     const StoreOptions& options = {});
  // Opens the store in `dir`. kNotFound when there is none; kUnauthorized
  // "wrong passphrase". Finishes a compaction a crash interrupted (see PurgeDay).
  static Result<std::unique_ptr<DeviceStore>> Open(const std::filesystem::path& dir,
                                                   const crypto::SecretBytes& passphrase,
                                                   const StoreOptions& options = {});
  static bool Exists(const std::filesystem::path& dir);

  // REQUIRES: no transaction or cursor of this store is still alive.
  ~DeviceStore();
  DeviceStore(const DeviceStore&) = delete;
  DeviceStore& operator=(const DeviceStore&) = delete;

  // Committed state. nullopt when the row does not exist.
  Result<std::optional<Plaintext>> Get(Column column, ByteView name) const;
  std::unique_ptr<Cursor> NewCursor(Column column) const;
  // One day's alerts, in the order they were appended.
  std::unique_ptr<Cursor> NewAlertCursor(Day day) const;
  // The days that have an alert key (sorted).
  Result<std::vector<Day>> AlertDays() const;

  // A transaction (see transaction.h for its contract).
  Transaction Begin();
  // One-row transactions, committed (synced) before returning.
  Status Put(Column column, ByteView name, ByteView value);
  Status Delete(Column column, ByteView name);

  // Re-keys the store: checks `current`, then, in one synced batch, a new random data
  // key (and new day keys) re-seals every row and is wrapped under a key derived from
  // `next` with `kdf` and a new salt. A crash leaves either the old store or the new
  // one, never a mix. Then every file is compacted so the old ciphertexts leave the
  // disk. kUnauthorized "wrong passphrase" when `current` is wrong (nothing changes).
  // Open transactions fail at commit with kUnavailable afterwards.
  Status ChangePassphrase(const crypto::SecretBytes& current, const crypto::SecretBytes& next,
                          const KdfOptions& kdf);

  // Destroys `day`'s alerts: deletes its key and every alert row of that day in one
  // synced batch, flushes, and compacts the affected ranges so the bytes leave the
  // files (the WAL included). Purged content cannot be read again, even with the
  // passphrase. Purging a day without alerts is OK. If the process dies before the
  // compaction ends, the next Open finishes it.
  Status PurgeDay(Day day);

  // Flushes every memtable (retiring the write-ahead log that held deleted rows) and
  // compacts `columns` down to the last level, so that rows deleted from them (wiped
  // keys) leave the files now rather than at some later RocksDB compaction. Clears the
  // mark of Transaction::ScrubOnCommit; until then a crash is finished by the next Open.
  Status CompactColumns(const std::vector<Column>& columns);

 private:
  explicit DeviceStore(std::unique_ptr<StoreCore> core);
  std::unique_ptr<StoreCore> core_;
};

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_DEVICE_STORE_H_
