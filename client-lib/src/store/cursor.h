// Cursor: ordered iteration over one column of the device store.
//
// A cursor sees one consistent state: the committed rows at the moment it was made (a
// RocksDB snapshot), overlaid, for a cursor made by a transaction, with that
// transaction's staged writes. Order is the stored-key order: insertion order for
// sequence columns and within one day's alerts, hash order (meaningless) for named
// columns and across days.
//
// Each row is decrypted and checked as the cursor reaches it. A row that fails its
// check stops the iteration: Valid() turns false and status() says why, so an
// iteration loop must check status() after it ends.
//
// Thread-safety: a cursor is used by one thread at a time.
// WARNING: a live cursor pins the files it reads; purged or re-keyed bytes leave the
// disk only once every cursor made before the purge or re-key is destroyed. A cursor
// made by a transaction must not outlive it, and the transaction must not be written to
// while the cursor is in use.
#ifndef TOCSIN_STORE_CURSOR_H_
#define TOCSIN_STORE_CURSOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "crypto/secure_buffer.h"
#include "store/columns.h"
#include "store/plaintext.h"
#include "store/sealer.h"
#include "tocsin/status.h"

namespace rocksdb {
class Iterator;
class Snapshot;
class WriteBatchWithIndex;
}  // namespace rocksdb

namespace tocsin::store {

struct StoreCore;

class Cursor {
 public:
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  bool Valid() const { return valid_; }
  // REQUIRES: Valid().
  void Next();
  void SeekToFirst();
  // To the first row whose counter is >= seq. Sequence columns and one-day alert
  // cursors only (kInvalidArgument in status() otherwise).
  void SeekSequence(std::uint64_t seq);

  // REQUIRES: Valid(). Views stay good until the cursor moves.
  ByteView name() const { return current_->name(); }
  ByteView value() const { return current_->value(); }

  // OK unless iteration stopped on an error.
  const Status& status() const { return status_; }

 private:
  friend class CursorFactory;
  Cursor() = default;
  void Settle();  // decrypts the row under the iterator, or ends the iteration
  Status LoadDayKeys(const StoreCore& core, rocksdb::WriteBatchWithIndex* batch,
                     std::optional<Day> only_day);

  const StoreCore* core_ = nullptr;              // counts this cursor in live_cursors
  const rocksdb::Snapshot* snapshot_ = nullptr;  // released in ~Cursor
  std::unique_ptr<rocksdb::Iterator> iter_;
  std::shared_ptr<const KeySet> keys_;
  Column column_ = Column::kIdentity;
  std::string prefix_;                                   // one day's alerts, else empty
  std::map<std::string, crypto::SecretBytes> day_keys_;  // alert day prefix -> key
  std::optional<OpenedRecord> current_;
  bool valid_ = false;
  Status status_;
};

// Internal: makes cursors for DeviceStore and Transaction.
class CursorFactory {
 public:
  // `batch` is the transaction's (nullptr for the committed state). `day` restricts an
  // alerts cursor to one day. REQUIRES: day only for Column::kAlerts.
  static std::unique_ptr<Cursor> Make(const StoreCore& core, std::shared_ptr<const KeySet> keys,
                                      rocksdb::WriteBatchWithIndex* batch, Column column,
                                      std::optional<Day> day);
  // A cursor that is not Valid() and reports `status`.
  static std::unique_ptr<Cursor> Failed(Status status);
};

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_CURSOR_H_
