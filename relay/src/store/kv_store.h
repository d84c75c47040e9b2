// KvStore: the narrow key-value layer under MailboxStore (docs/architecture.md).
//
// Column families hold one kind of record each; keys sort bytewise. Three
// implementations: RocksDB (the relay's), in-memory (unit tests of the logic above it)
// and FaultyKvStore (kv_faults.h), a wrapper that injects write failures, a full disk
// and power cuts around any other KvStore.
//
// Thread-safety: Get, Scan and Snapshot may be called from any thread, concurrently with
// one writer calling Write. A Write is atomic: readers see all of it or none of it.
#ifndef TOCSIN_RELAY_STORE_KV_STORE_H_
#define TOCSIN_RELAY_STORE_KV_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tocsin/status.h"

namespace tocsin::relay {

// Column families. The numbers are written into expiry index keys: never renumber.
enum class Cf : std::uint8_t {
  kMailbox = 0,    // mailbox id || kind byte [|| token hash] -> auth record, state, tokens
  kQueue = 1,      // mailbox id || big-endian seq -> envelope or view
  kBlob = 2,       // blob handle -> expiry, size and the multi-recipient body
  kBlobViews = 3,  // blob handle || record number -> its views' (mailbox, seq) list
  kPrekey = 4,     // mailbox id || kind byte [|| big-endian id] -> pre-keys
  kInvite = 5,     // BLAKE2b-256 of the invite -> uses left, expiry
  kExpiry = 6,     // big-endian expires_at || Cf || key -> "" (the sweeper's index)
};
inline constexpr std::size_t kCfCount = 7;
// "mailbox", "queue", ...: RocksDB column family names.
std::string_view CfName(Cf cf);

// A list of writes applied atomically by KvStore::Write. Ops are kept in one
// contiguous buffer (no allocation per op); later ops win over earlier ones.
class WriteBatch {
 public:
  enum class OpKind : std::uint8_t { kPut = 1, kDelete = 2, kDeleteRange = 3 };

  void Put(Cf cf, std::string_view key, std::string_view value);
  void Delete(Cf cf, std::string_view key);
  // Deletes every key in [begin, end).
  void DeleteRange(Cf cf, std::string_view begin, std::string_view end);

  void Clear();  // keeps the buffer's capacity
  void Reserve(std::size_t bytes) { rep_.reserve(bytes); }
  bool empty() const { return count_ == 0; }
  std::size_t count() const { return count_; }
  std::size_t ByteSize() const { return rep_.size(); }

  // Calls op(kind, cf, key, value) for every op in order. For kDelete the value is
  // empty; for kDeleteRange key is the begin and value the end of the range.
  template <typename F>
  void ForEach(F&& op) const {
    std::size_t pos = 0;
    while (pos < rep_.size()) {
      const auto kind = static_cast<OpKind>(rep_[pos]);
      const auto cf = static_cast<Cf>(rep_[pos + 1]);
      pos += 2;
      const std::string_view key = ReadSlice(&pos);
      const std::string_view value = ReadSlice(&pos);
      op(kind, cf, key, value);
    }
  }

 private:
  void Append(OpKind kind, Cf cf, std::string_view key, std::string_view value);
  std::string_view ReadSlice(std::size_t* pos) const;

  std::string rep_;
  std::size_t count_ = 0;
};

// Read access. Absent keys answer kNotFound.
class KvReader {
 public:
  // Called for each key in order; return false to stop the scan.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;

  virtual ~KvReader() = default;
  // kNotFound when absent; kIoError / kCorruption on failure.
  virtual Status Get(Cf cf, std::string_view key, std::string* value) const = 0;
  // Visits every key in [begin, end) in bytewise order; an empty `end` means "to the
  // last key of the family".
  virtual Status Scan(Cf cf, std::string_view begin, std::string_view end,
                      const Visitor& visit) const = 0;
  // Scan over each [begin, end) range in turn (ranges sorted, not overlapping); the
  // visitor returning false ends the current range only. Implementations may reuse one
  // iterator (much cheaper than a Scan per range when ranges are many and short).
  using Range = std::pair<std::string, std::string>;
  virtual Status ScanRanges(Cf cf, const std::vector<Range>& ranges, const Visitor& visit) const {
    for (const Range& r : ranges) TOCSIN_RETURN_IF_ERROR(Scan(cf, r.first, r.second, visit));
    return Status::Ok();
  }
};

// What the storage engine holds in memory, in bytes. All zero where it keeps no such
// caches (the in-memory store, a closed store).
struct KvMemory {
  // Every family's memtables, the active ones and those waiting to be flushed. Flushes
  // start at RocksKvOptions::total_write_buffer_bytes; until a flush ends the total may
  // pass it by up to one more memtable.
  std::uint64_t memtables = 0;
  // Data blocks read from table files and cached: at most block_cache_bytes.
  std::uint64_t block_cache = 0;
  // The open table files' indexes and filters (not in the block cache): these grow with
  // the data on disk, not with the traffic.
  std::uint64_t table_readers = 0;
};

class KvStore : public KvReader {
 public:
  // Applies `batch` atomically. With `sync` it is durable (fsync'd) before this
  // returns; without, a power cut may lose it (a process crash may not). On failure
  // nothing of the batch is applied: kIoError, or kUnavailable when the disk is full.
  virtual Status Write(const WriteBatch& batch, bool sync) = 0;
  // Makes every earlier Write durable (fsync of the write-ahead log).
  virtual Status SyncWal() = 0;
  // A consistent read-only view of the data as of now; it stays valid (and keeps old
  // versions alive) until destroyed. REQUIRES: destroyed before this store.
  virtual std::unique_ptr<KvReader> Snapshot() const = 0;
  // A consistent copy in the new folder `dir` (must not exist), while writes go on.
  // kInvalidArgument where the implementation has no files (in-memory).
  virtual Status Checkpoint(const std::string& dir) const = 0;

  // Free space, in bytes, on the filesystem holding the store's files; nullopt where
  // there are no files (in-memory).
  virtual std::optional<std::uint64_t> FreeBytes() const { return std::nullopt; }
  // The engine's caches and buffers now. Thread-safe, as reads are.
  virtual KvMemory Memory() const { return {}; }
  // After a failed Write: makes the store take writes again, if it can now. RocksDB
  // takes no write after a write-ahead log error until it is reopened; reopening
  // replays the log, which holds every batch whose Write succeeded (and perhaps the
  // failed one, when only its fsync failed). kUnavailable while it cannot (the disk is
  // still too full to reopen); reads keep working then. After a successful Recover,
  // callers must reload what they cached from the store.
  // REQUIRES: no concurrent call of any other method, and no live Snapshot.
  virtual Status Recover() { return Status::Ok(); }
};

// The storage engine's own messages (RocksDB's info log: flushes, compactions,
// errors). They carry file names and sizes, never keys or values.
enum class KvLogLevel { kDebug, kInfo, kWarn, kError };
using KvLog = std::function<void(KvLogLevel, std::string_view)>;

struct RocksKvOptions {
  // Memtable size per column family. RocksDB preallocates each write-ahead log file at
  // 1.1 times this, capped by the two totals below (64 MiB): smaller, the preallocation
  // of a reopened log took the space a full disk had just got back, and the store could
  // not reopen on a disk with less than that free.
  std::size_t write_buffer_bytes = 64u << 20;
  // All column families' memtables together: past it the largest is flushed, so the
  // relay's memory does not grow with the number of families.
  std::size_t total_write_buffer_bytes = 64u << 20;
  // The write-ahead log files kept, in all: past it the families still holding data of
  // the oldest file are flushed and the file is deleted. Without it a family written
  // seldom (mailbox records) pins every log file behind it: the logs grew ~36 MiB a
  // minute at 500 envelopes/s, and they keep acknowledged envelopes on disk.
  std::size_t max_wal_bytes = 64u << 20;
  std::size_t block_cache_bytes = 64u << 20;
  // Where RocksDB's info log goes. Never a file in the data folder: on a full disk
  // RocksDB 7.8 aborts the process at the second failed write of its own log file.
  // Empty: dropped.
  KvLog log;
};

// Opens (creating if missing) a RocksDB database in `dir`, whose parent must exist.
// kIoError (locked by another process, unreadable, ...) or kCorruption.
Result<std::unique_ptr<KvStore>> OpenRocksKv(const std::string& dir,
                                             const RocksKvOptions& options = {});

// A std::map per column family. Snapshot() copies everything: for tests only.
std::unique_ptr<KvStore> NewMemoryKv();

// The smallest key greater than every key that starts with `prefix` (bytewise
// increment). For a prefix of all 0xff bytes: the prefix and 64 more 0xff bytes, above
// every key of the store (none is that long).
std::string PrefixEnd(std::string_view prefix);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_STORE_KV_STORE_H_
