// KvStore over RocksDB: one column family per Cf, total-order iteration with upper
// bounds (no prefix_extractor, so no prefix_same_as_start trap: every scan is bounded
// by its own end key).
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

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

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

using Handles = std::vector<rocksdb::ColumnFamilyHandle*>;

Status GetWith(rocksdb::DB* db, const Handles& cfs, const rocksdb::ReadOptions& read, Cf cf,
               std::string_view key, std::string* value) {
  rocksdb::PinnableSlice pinned;
  const rocksdb::Status s = db->Get(read, cfs[static_cast<std::size_t>(cf)], ToSlice(key), &pinned);
  if (!s.ok()) return FromRocks(s, "get");
  value->assign(pinned.data(), pinned.size());
  return Status::Ok();
}

Status ScanWith(rocksdb::DB* db, const Handles& cfs, rocksdb::ReadOptions read, Cf cf,
                std::string_view begin, std::string_view end, const KvReader::Visitor& visit) {
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

class RocksSnapshot final : public KvReader {
 public:
  RocksSnapshot(rocksdb::DB* db, const Handles& cfs) : db_(db), cfs_(cfs) {
    read_.snapshot = db_->GetSnapshot();
  }
  ~RocksSnapshot() override { db_->ReleaseSnapshot(read_.snapshot); }

  Status Get(Cf cf, std::string_view key, std::string* value) const override {
    return GetWith(db_, cfs_, read_, cf, key, value);
  }
  Status Scan(Cf cf, std::string_view begin, std::string_view end,
              const Visitor& visit) const override {
    return ScanWith(db_, cfs_, read_, cf, begin, end, visit);
  }

 private:
  rocksdb::DB* db_;
  const Handles& cfs_;
  rocksdb::ReadOptions read_;
};

class RocksKv final : public KvStore {
 public:
  RocksKv(rocksdb::DB* db, Handles cfs) : db_(db), cfs_(std::move(cfs)) {}

  ~RocksKv() override {
    for (rocksdb::ColumnFamilyHandle* cf : cfs_)
      db_->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
    delete db_;
  }

  Status Get(Cf cf, std::string_view key, std::string* value) const override {
    return GetWith(db_, cfs_, rocksdb::ReadOptions(), cf, key, value);
  }

  Status Scan(Cf cf, std::string_view begin, std::string_view end,
              const Visitor& visit) const override {
    return ScanWith(db_, cfs_, rocksdb::ReadOptions(), cf, begin, end, visit);
  }

  Status ScanRanges(Cf cf, const std::vector<Range>& ranges, const Visitor& visit) const override {
    return ScanRangesWith(db_, cfs_, rocksdb::ReadOptions(), cf, ranges, visit);
  }

  Status Write(const WriteBatch& batch, bool sync) override {
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

  Status SyncWal() override { return FromRocks(db_->FlushWAL(true), "sync wal"); }

  std::unique_ptr<KvReader> Snapshot() const override {
    return std::make_unique<RocksSnapshot>(db_, cfs_);
  }

  Status Checkpoint(const std::string& dir) const override {
    rocksdb::Checkpoint* raw = nullptr;
    TOCSIN_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    const std::string absolute = std::filesystem::absolute(dir).string();
    return FromRocks(checkpoint->CreateCheckpoint(absolute), "checkpoint");
  }

 private:
  rocksdb::DB* db_;
  Handles cfs_;
};

// The expiry index's keys start with the big-endian expiry time, which only grows: its
// memtable inserts all land near the end of the skip list. With an insert hint RocksDB
// starts each insert where the last one with the same prefix (here the top 5 bytes of
// the time, ~4.7 hours) went, instead of descending the whole list, ~20 comparisons per
// level. Inserts only: reads, iteration and fsync are as before.
//
// Only for families that never see DeleteRange: RocksDB 7.8 keeps one hint table per
// memtable for both its point and its range-deletion skip lists, so a range deletion
// would be inserted from a point-list position (its debug assertion fires in the store
// tests). The queue, mailbox and blob-view families use DeleteRange.
std::size_t InsertHintPrefix(std::size_t family) {
  return family == static_cast<std::size_t>(Cf::kExpiry) ? 5 : 0;
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

Result<std::unique_ptr<KvStore>> OpenRocksKv(const std::string& dir,
                                             const RocksKvOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  const auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, FamilyOptions(options, cache, 0));
  for (std::size_t i = 0; i < kCfCount; ++i) {
    families.emplace_back(std::string(CfName(static_cast<Cf>(i))),
                          FamilyOptions(options, cache, InsertHintPrefix(i)));
  }
  Handles handles;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(db_options, dir, families, &handles, &db);
  if (!s.ok()) return FromRocks(s, "open " + dir);
  // Keep the default family's handle out of the Cf-indexed vector.
  db->DestroyColumnFamilyHandle(handles.front()).PermitUncheckedError();
  handles.erase(handles.begin());
  return std::unique_ptr<KvStore>(std::make_unique<RocksKv>(db, std::move(handles)));
}

}  // namespace tocsin::relay
