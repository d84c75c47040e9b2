// KvStore over RocksDB: one column family per Cf, total-order iteration with upper
// bounds (no prefix_extractor, so no prefix_same_as_start trap: every scan is bounded
// by its own end key).
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "store/kv_store.h"

namespace tocsin::relay {
namespace {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(what);
  if (s.IsCorruption()) return Status::Corruption(std::string(what) + ": " + s.ToString());
  if (s.IsNoSpace()) return Status::Unavailable(std::string(what) + ": disk full");
  if (s.IsInvalidArgument()) {
    return Status::InvalidArgument(std::string(what) + ": " + s.ToString());
  }
  return Status::IoError(std::string(what) + ": " + s.ToString());
}

// RocksDB's info log, handed to the relay's log instead of a LOG file in the store. The
// store's folder is written "<store>": where the data lives is the operator's business,
// not the log's.
class ForwardingLogger final : public rocksdb::Logger {
 public:
  ForwardingLogger(KvLog log, std::string dir)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL),
        log_(std::move(log)),
        dir_(std::move(dir)) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list args) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, args);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list args) override {
    if (!log_ || level < GetInfoLogLevel()) return;
    char line[1024];
    const int n = std::vsnprintf(line, sizeof line, format, args);
    if (n < 0) return;
    std::string text(line, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 1));
    for (std::size_t at = text.find(dir_); !dir_.empty() && at != std::string::npos;
         at = text.find(dir_, at)) {
      text.replace(at, dir_.size(), "<store>");
    }
    log_(Routine(text) ? KvLogLevel::kDebug : Level(level), text);
  }

 private:
  // RocksDB 7.8 warns around every checkpoint (a backup) that file deletions were
  // disabled and enabled again: routine, so debug like the rest of its routine lines.
  static bool Routine(std::string_view text) { return text.starts_with("File Deletions "); }

  static KvLogLevel Level(rocksdb::InfoLogLevel level) {
    switch (level) {
      case rocksdb::InfoLogLevel::DEBUG_LEVEL:
        return KvLogLevel::kDebug;
      case rocksdb::InfoLogLevel::INFO_LEVEL:
      case rocksdb::InfoLogLevel::HEADER_LEVEL:
        return KvLogLevel::kInfo;
      case rocksdb::InfoLogLevel::WARN_LEVEL:
        return KvLogLevel::kWarn;
      default:
        return KvLogLevel::kError;
    }
  }

  KvLog log_;
  const std::string dir_;
};

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

using Handles = std::vector<rocksdb::ColumnFamilyHandle*>;

// RocksDB counts every key comparison of a thread in a thread-local perf context unless
// the thread says not to (the default level is kEnableCount), and the relay reads none
// of it: a fan-out spent ~7% of the relay's instructions on it (docs/PERFORMANCE.md).
// The level is per thread, and any thread may read, so every call sets it.
void NoPerfCounts() { rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable); }

Status GetWith(rocksdb::DB* db, const Handles& cfs, const rocksdb::ReadOptions& read, Cf cf,
               std::string_view key, std::string* value) {
  NoPerfCounts();
  rocksdb::PinnableSlice pinned;
  const rocksdb::Status s = db->Get(read, cfs[static_cast<std::size_t>(cf)], ToSlice(key), &pinned);
  if (!s.ok()) return FromRocks(s, "get");
  value->assign(pinned.data(), pinned.size());
  return Status::Ok();
}

Status ScanWith(rocksdb::DB* db, const Handles& cfs, rocksdb::ReadOptions read, Cf cf,
                std::string_view begin, std::string_view end, const KvReader::Visitor& visit) {
  NoPerfCounts();
  const rocksdb::Slice upper = ToSlice(end);
  if (!end.empty()) read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, cfs[static_cast<std::size_t>(cf)]));
  for (it->Seek(ToSlice(begin)); it->Valid(); it->Next()) {
    if (!visit(ToView(it->key()), ToView(it->value()))) break;
  }
  return FromRocks(it->status(), "scan");
}

// One iterator for every range: a Seek costs far less than a new iterator.
Status ScanRangesWith(rocksdb::DB* db, const Handles& cfs, const rocksdb::ReadOptions& read, Cf cf,
                      const std::vector<KvReader::Range>& ranges, const KvReader::Visitor& visit) {
  NoPerfCounts();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, cfs[static_cast<std::size_t>(cf)]));
  for (const KvReader::Range& range : ranges) {
    for (it->Seek(ToSlice(range.first)); it->Valid(); it->Next()) {
      if (ToView(it->key()) >= range.second) break;
      if (!visit(ToView(it->key()), ToView(it->value()))) break;
    }
    if (!it->status().ok()) break;
  }
  return FromRocks(it->status(), "scan");
}

// A snapshot of a closed store (a reopen that failed) answers kUnavailable.
class RocksSnapshot final : public KvReader {
 public:
  RocksSnapshot(rocksdb::DB* db, const Handles& cfs) : db_(db), cfs_(cfs) {
    if (db_ != nullptr) read_.snapshot = db_->GetSnapshot();
  }
  ~RocksSnapshot() override {
    if (db_ != nullptr) db_->ReleaseSnapshot(read_.snapshot);
  }

  Status Get(Cf cf, std::string_view key, std::string* value) const override {
    if (db_ == nullptr) return Status::Unavailable("store is reopening");
    return GetWith(db_, cfs_, read_, cf, key, value);
  }
  Status Scan(Cf cf, std::string_view begin, std::string_view end,
              const Visitor& visit) const override {
    if (db_ == nullptr) return Status::Unavailable("store is reopening");
    return ScanWith(db_, cfs_, read_, cf, begin, end, visit);
  }

 private:
  rocksdb::DB* db_;
  const Handles& cfs_;
  rocksdb::ReadOptions read_;
};

struct OpenedDb {
  rocksdb::DB* db = nullptr;
  Handles cfs;  // indexed by Cf
};
Result<OpenedDb> OpenDb(const std::string& dir, const RocksKvOptions& options);

// Bytes in the write-ahead log files of the store in `dir`: about what a reopen has to
// write out again.
std::uint64_t WalBytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".log") total += entry.file_size(error);
  }
  return total;
}

class RocksKv final : public KvStore {
 public:
  RocksKv(std::string dir, RocksKvOptions options, OpenedDb opened)
      : dir_(std::move(dir)), options_(std::move(options)), db_(opened.db), cfs_(opened.cfs) {}

  ~RocksKv() override { CloseDb(); }

  Status Get(Cf cf, std::string_view key, std::string* value) const override {
    if (db_ == nullptr) return Closed();
    return GetWith(db_, cfs_, rocksdb::ReadOptions(), cf, key, value);
  }

  Status Scan(Cf cf, std::string_view begin, std::string_view end,
              const Visitor& visit) const override {
    if (db_ == nullptr) return Closed();
    return ScanWith(db_, cfs_, rocksdb::ReadOptions(), cf, begin, end, visit);
  }

  Status ScanRanges(Cf cf, const std::vector<Range>& ranges, const Visitor& visit) const override {
    if (db_ == nullptr) return Closed();
    return ScanRangesWith(db_, cfs_, rocksdb::ReadOptions(), cf, ranges, visit);
  }

  Status Write(const WriteBatch& batch, bool sync) override {
    if (db_ == nullptr) return Closed();
    NoPerfCounts();
    rocksdb::WriteBatch rocks(batch.ByteSize() + 16 * batch.count() + 64);
    rocksdb::Status s;
    batch.ForEach(
        [&](WriteBatch::OpKind kind, Cf cf, std::string_view key, std::string_view value) {
          if (!s.ok()) return;
          rocksdb::ColumnFamilyHandle* handle = cfs_[static_cast<std::size_t>(cf)];
          if (kind == WriteBatch::OpKind::kPut) {
            s = rocks.Put(handle, ToSlice(key), ToSlice(value));
          } else if (kind == WriteBatch::OpKind::kDelete) {
            s = rocks.Delete(handle, ToSlice(key));
          } else {
            s = rocks.DeleteRange(handle, ToSlice(key), ToSlice(value));
          }
        });
    if (!s.ok()) return FromRocks(s, "write batch");
    rocksdb::WriteOptions options;
    options.sync = sync;
    return FromRocks(db_->Write(options, &rocks), "write");
  }

  Status SyncWal() override {
    if (db_ == nullptr) return Closed();
    return FromRocks(db_->FlushWAL(true), "sync wal");
  }

  std::unique_ptr<KvReader> Snapshot() const override {
    return std::make_unique<RocksSnapshot>(db_, cfs_);
  }

  Status Checkpoint(const std::string& dir) const override {
    if (db_ == nullptr) return Closed();
    rocksdb::Checkpoint* raw = nullptr;
    TOCSIN_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    const std::string absolute = std::filesystem::absolute(dir).string();
    return FromRocks(checkpoint->CreateCheckpoint(absolute), "checkpoint");
  }

  std::optional<std::uint64_t> FreeBytes() const override {
    struct statvfs fs {};
    if (::statvfs(dir_.c_str(), &fs) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  }

  KvMemory Memory() const override {
    KvMemory memory;
    if (db_ == nullptr) return memory;
    std::uint64_t v = 0;
    if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) {
      memory.memtables = v;
    }
    if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &v)) {
      memory.table_readers = v;
    }
    // One cache shared by every family: any family's handle reports all of it.
    if (!cfs_.empty() &&
        db_->GetIntProperty(cfs_.front(), rocksdb::DB::Properties::kBlockCacheUsage, &v)) {
      memory.block_cache = v;
    }
    return memory;
  }

  // Reopens the database. Not while the disk could not take what the reopen writes
  // (the log replayed into new table files): a failed reopen would leave the store
  // closed to readers too.
  Status Recover() override {
    const std::optional<std::uint64_t> free = FreeBytes();
    if (db_ != nullptr && free && *free < WalBytes(dir_) + kReopenSlackBytes) {
      return Status::Unavailable("disk full");
    }
    CloseDb();
    Result<OpenedDb> opened = OpenDb(dir_, options_);
    if (!opened.ok()) return Status::Unavailable(opened.status().message());
    db_ = opened->db;
    cfs_ = opened->cfs;
    return Status::Ok();
  }

 private:
  static constexpr std::uint64_t kReopenSlackBytes = 8u << 20;

  static Status Closed() { return Status::Unavailable("store is reopening"); }

  void CloseDb() {
    if (db_ == nullptr) return;
    for (rocksdb::ColumnFamilyHandle* cf : cfs_)
      db_->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
    cfs_.clear();
    // After a write error Close reports it again ("seen error"): nothing to do about it.
    db_->Close().PermitUncheckedError();
    delete db_;
    db_ = nullptr;
  }

  const std::string dir_;
  const RocksKvOptions options_;
  rocksdb::DB* db_;
  Handles cfs_;
};

// The key prefix under which a family's inserts come in order: RocksDB keeps the
// memtable skip list's last insert position per prefix and starts the next insert with
// that prefix there, instead of descending the whole list (~20 key comparisons per
// level). Queue entries are appended per mailbox (and acked from its oldest end); a
// mailbox's state record is rewritten in place; expiry keys begin with the big-endian
// expiry time, which only grows (the top 5 bytes: ~4.7 hours). Inserts only: reads,
// iteration and fsync are as before. 0: no hint.
//
// Never for a family that sees DeleteRange: RocksDB 7.8 keeps one hint table per
// memtable for both its point and its range-deletion skip lists, so a range deletion
// would be inserted from a point-list position (Debian's librocksdb asserts; without
// assertions the memtable would be corrupted). The store deletes queue and mailbox
// records one by one for that reason; the pre-key and blob-view families use
// DeleteRange and get no hint.
std::size_t InsertHintPrefix(std::size_t family) {
  switch (static_cast<Cf>(family)) {
    case Cf::kQueue:
      return 16;  // mailbox id (16 bytes) || seq
    case Cf::kMailbox:
      return 17;  // mailbox id || kind byte
    case Cf::kExpiry:
      return 5;
    default:
      return 0;
  }
}

rocksdb::ColumnFamilyOptions FamilyOptions(const RocksKvOptions& options,
                                           const std::shared_ptr<rocksdb::Cache>& cache,
                                           std::size_t hint_prefix) {
  rocksdb::ColumnFamilyOptions family;
  family.write_buffer_size = options.write_buffer_bytes;
  if (hint_prefix != 0) {
    family.memtable_insert_with_hint_prefix_extractor.reset(
        rocksdb::NewFixedPrefixTransform(hint_prefix));
  }
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return family;
}

}  // namespace

namespace {

Result<OpenedDb> OpenDb(const std::string& dir, const RocksKvOptions& options) {
  // RocksDB would make the folder too, after logging its absence as an error. Not its
  // parents: a missing parent stays an error.
  ::mkdir(dir.c_str(), 0700);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.db_write_buffer_size = options.total_write_buffer_bytes;
  db_options.max_total_wal_size = options.max_wal_bytes;
  db_options.info_log = std::make_shared<ForwardingLogger>(options.log, dir);
  const auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, FamilyOptions(options, cache, 0));
  for (std::size_t i = 0; i < kCfCount; ++i) {
    families.emplace_back(std::string(CfName(static_cast<Cf>(i))),
                          FamilyOptions(options, cache, InsertHintPrefix(i)));
  }
  OpenedDb opened;
  const rocksdb::Status s = rocksdb::DB::Open(db_options, dir, families, &opened.cfs, &opened.db);
  if (!s.ok()) return FromRocks(s, "open " + dir);
  // Keep the default family's handle out of the Cf-indexed vector.
  opened.db->DestroyColumnFamilyHandle(opened.cfs.front()).PermitUncheckedError();
  opened.cfs.erase(opened.cfs.begin());
  return opened;
}

}  // namespace

Result<std::unique_ptr<KvStore>> OpenRocksKv(const std::string& dir,
                                             const RocksKvOptions& options) {
  Result<OpenedDb> opened = OpenDb(dir, options);
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<KvStore>(std::make_unique<RocksKv>(dir, options, *opened));
}

}  // namespace tocsin::relay
