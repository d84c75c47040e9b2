// Transaction: writes to the device store staged in memory and committed as one synced
// RocksDB write batch (docs/design.md, "Crash safety is transactional").
//
// Contract:
// - Atomic and durable: Commit() writes every staged change in one batch with
//   sync = true; after it returns OK the changes survive a crash or power loss, and a
//   crash before it leaves none of them. A transaction destroyed without Commit()
//   leaves nothing.
// - Reads see staged writes: Get() and NewCursor() on a transaction return its own
//   pending puts and deletes over the committed state, so a libsignal decrypt can load
//   the session it just staged and commit it with the plaintext and the seen id.
// - Not isolated: reads of rows the transaction has not written see other commits as
//   they land. There is no conflict detection; the last commit of a row wins. The
//   client keeps one writer per store, as the relay does.
// - Values are sealed when staged, under the keys current at Begin(). A transaction
//   that spans a passphrase change fails with kUnavailable (nothing written): redo it.
//   One that wrote alerts under a day key that was purged meanwhile fails the same way.
// - Sequence counters allocated by Append are never reused, even when the transaction
//   is abandoned (gaps are harmless).
//
// Thread-safety: a transaction is used by one thread at a time. Any number of
// transactions may be open at once, from several threads. The store must outlive them.
#ifndef TOCSIN_STORE_TRANSACTION_H_
#define TOCSIN_STORE_TRANSACTION_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "crypto/secure_buffer.h"
#include "store/columns.h"
#include "store/cursor.h"
#include "store/plaintext.h"
#include "store/sealer.h"
#include "tocsin/status.h"

namespace rocksdb {
class WriteBatchWithIndex;
}  // namespace rocksdb

namespace tocsin::store {

struct StoreCore;

class Transaction {
 public:
  ~Transaction();
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) noexcept;

  // The value of a row, staged or committed; nullopt when absent (or deleted here).
  // kCorruption when a stored row fails authentication.
  Result<std::optional<Plaintext>> Get(Column column, ByteView name);
  // A cursor over the committed rows overlaid with this transaction's staged writes.
  std::unique_ptr<Cursor> NewCursor(Column column);
  std::unique_ptr<Cursor> NewAlertCursor(Day day);

  // Stages a row. For named columns any name; for sequence columns a SequenceName (to
  // rewrite a row Append made); for alerts an AlertName (the day's key is created if the
  // day has none).
  Status Put(Column column, ByteView name, ByteView value);
  Status Delete(Column column, ByteView name);

  // Stages a new row of a sequence column (outbox, pending) under a fresh counter, which
  // is returned. kInvalidArgument for other columns.
  Result<std::uint64_t> Append(Column column, ByteView value);
  // Stages a new alert row for `day` under a fresh counter.
  Result<AlertId> AppendAlert(Day day, ByteView value);

  // Marks, in the same batch, that the store must be compacted: the transaction deletes
  // secrets (wiped keys) whose sealed bytes must leave the files. The caller then runs
  // DeviceStore::CompactColumns; if the process dies first, the next Open compacts.
  void ScrubOnCommit() { scrub_ = true; }

  // Writes everything staged in one synced batch. Afterwards the transaction is spent:
  // further calls fail with kInvalidArgument (as they do on a moved-from transaction).
  Status Commit();

  // Number of staged operations.
  std::size_t size() const;

 private:
  friend class DeviceStore;
  Transaction(StoreCore* core, std::shared_ptr<const KeySet> keys);
  bool Spent() const;  // committed, or moved from
  Status CheckUsable() const;
  std::unique_ptr<Cursor> MakeCursor(Column column, std::optional<Day> day);
  Status PutSealed(std::uint8_t family, const std::string& stored_key, ByteView name,
                   ByteView value, const crypto::SecretBytes& key);
  Result<const crypto::SecretBytes*> DayKeyForWrite(Day day);
  Status CheckDayKeysUnchanged() const;

  StoreCore* core_ = nullptr;
  std::shared_ptr<const KeySet> keys_;
  std::unique_ptr<rocksdb::WriteBatchWithIndex> batch_;
  std::map<Day, crypto::SecretBytes> day_keys_;  // keys this transaction sealed alerts under
  std::map<Day, std::string> relied_day_keys_;   // committed day-key rows it relied on
  bool allocated_sequence_ = false;
  bool scrub_ = false;
  bool spent_ = false;
};

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_TRANSACTION_H_
