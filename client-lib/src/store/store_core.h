// Internal: the state shared by DeviceStore, Transaction and Cursor, and the row
// addressing they have in common. Not for use outside src/store.
#ifndef TOCSIN_STORE_STORE_CORE_H_
#define TOCSIN_STORE_STORE_CORE_H_

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/random.h"
#include "crypto/secure_buffer.h"
#include "store/columns.h"
#include "store/plaintext.h"
#include "store/sealer.h"
#include "tocsin/status.h"

namespace tocsin::store {

// Meta rows. "format", "kdf", "data_key" and "compact_pending" are in clear (they must
// be readable before the passphrase is known, and hold nothing secret); "next_sequence"
// is sealed.
inline constexpr std::string_view kMetaFormat = "format";
inline constexpr std::string_view kMetaKdf = "kdf";
inline constexpr std::string_view kMetaDataKey = "data_key";
inline constexpr std::string_view kMetaNextSequence = "next_sequence";
// A new store's first sequence: 0 names no row, so that an EventId of 0 can mean an
// event that is not stored (a relay's state) and a stored event is never taken for one.
inline constexpr std::uint64_t kFirstSequence = 1;
inline constexpr std::string_view kMetaCompactPending = "compact_pending";
inline constexpr std::string_view kFormatV1 = "tocsin-device-store/1";

struct StoreCore {
  StoreCore() = default;
  ~StoreCore();  // destroys the column family handles, then closes the database
  StoreCore(const StoreCore&) = delete;
  StoreCore& operator=(const StoreCore&) = delete;

  rocksdb::ColumnFamilyHandle* family(std::uint8_t id) const { return handles[id]; }
  std::shared_ptr<const KeySet> CurrentKeys() const;

  std::filesystem::path dir;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // by family id; owned
  crypto::Rng* rng = nullptr;

  // Shared by reads and commits; exclusive for re-keying and purging, which rewrite
  // rows under other keys or drop them.
  mutable std::shared_mutex state_mutex;
  // Serialises commits, so the sequence high-water mark written with each commit only
  // grows.
  std::mutex commit_mutex;
  std::shared_ptr<const KeySet> keys;  // GUARDED_BY(state_mutex)
  std::atomic<std::uint64_t> next_sequence{0};
  // Cursors pin RocksDB iterators and snapshots, which must go before the database.
  mutable std::atomic<int> live_cursors{0};
};

// tocsin::Status for a RocksDB status, with context.
Status FromRocks(const rocksdb::Status& status, std::string_view context);

// Raw reads from the committed state, or from the committed state overlaid with a
// transaction's staged writes, optionally at a snapshot.
class RawReader {
 public:
  RawReader(const StoreCore& core, rocksdb::WriteBatchWithIndex* batch,
            const rocksdb::Snapshot* snapshot);

  // nullopt when the row does not exist (or is deleted in the batch).
  Result<std::optional<std::string>> Get(std::uint8_t family, std::string_view key) const;
  std::unique_ptr<rocksdb::Iterator> NewIterator(std::uint8_t family) const;

 private:
  const StoreCore& core_;
  rocksdb::WriteBatchWithIndex* batch_;
  rocksdb::ReadOptions options_;
};

// The stored key of a row of `column` called `name`. kInvalidArgument when the name does
// not fit the column's kind (sequence: 8 bytes; alert: AlertName).
Result<std::string> StoredKeyFor(const KeySet& keys, Column column, ByteView name);

// The stored key of a day's key row in day_keys.
std::string DayKeyRowKey(const KeySet& keys, Day day);

// A day's alert key, or nullopt when that day has none. `raw` receives the sealed row.
Result<std::optional<crypto::SecretBytes>> ReadDayKey(const RawReader& reader, const KeySet& keys,
                                                      Day day, std::string* raw = nullptr);

// The value of a row, or nullopt. kCorruption when the row fails authentication, holds
// another name than asked for, or is alert content whose day key is gone.
Result<std::optional<Plaintext>> ReadRow(const RawReader& reader, const KeySet& keys, Column column,
                                         ByteView name);

// Seals the sequence high-water mark for meta.
std::string SealNextSequence(const KeySet& keys, std::uint64_t next, crypto::Rng& rng);
Result<std::uint64_t> OpenNextSequence(const KeySet& keys, std::string_view record);

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_STORE_CORE_H_
