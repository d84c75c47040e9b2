// KvStore: the RocksDB and in-memory implementations behave alike, and the fault
// injector fails, fills and cuts power as promised.
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "store/kv_faults.h"
#include "store_test_util.h"

namespace tocsin::relay::test {
namespace {

std::vector<std::string> Keys(const KvReader& kv, Cf cf, std::string_view begin = "",
                              std::string_view end = "") {
  std::vector<std::string> keys;
  REQUIRE(kv.Scan(cf, begin, end, [&](std::string_view k, std::string_view) {
              keys.emplace_back(k);
              return true;
            }).ok());
  return keys;
}

std::string ValueOf(const KvReader& kv, Cf cf, std::string_view key) {
  std::string value;
  const Status s = kv.Get(cf, key, &value);
  if (s.code() == Code::kNotFound) return "<none>";
  REQUIRE(s.ok());
  return value;
}

using Strings = std::vector<std::string>;

TEST_CASE("PrefixEnd is the first key after a prefix", "[store][kv]") {
  CHECK(PrefixEnd("ab") == "ac");
  CHECK(PrefixEnd(std::string("a\xff", 2)) == "b");
  CHECK(PrefixEnd(std::string("\xff\xff", 2)).size() == 66);
}

TEST_CASE("both key-value stores write, scan, delete ranges and snapshot alike", "[store][kv]") {
  TempDir temp;
  std::shared_ptr<KvStore> kv;
  SECTION("RocksDB") {
    auto rocks = OpenRocksKv(temp.Sub("kv"));
    REQUIRE(rocks.ok());
    kv = std::move(rocks).value();
    REQUIRE(kv->Checkpoint(temp.Sub("copy")).ok());
  }
  SECTION("in memory") {
    kv = NewMemoryKv();
    CHECK(kv->Checkpoint(temp.Sub("copy")).code() == Code::kInvalidArgument);
  }
  WriteBatch batch;
  for (const char* key : {"a1", "a2", "a3", "b1", "c1"}) batch.Put(Cf::kQueue, key, key);
  batch.Put(Cf::kBlob, "a1", "other family");
  batch.Delete(Cf::kQueue, "c1");
  CHECK(batch.count() == 7);
  REQUIRE(kv->Write(batch, true).ok());
  CHECK(Keys(*kv, Cf::kQueue) == Strings{"a1", "a2", "a3", "b1"});
  CHECK(Keys(*kv, Cf::kQueue, "a2", "b") == Strings{"a2", "a3"});
  CHECK(Keys(*kv, Cf::kQueue, "a", PrefixEnd("a")) == Strings{"a1", "a2", "a3"});
  CHECK(ValueOf(*kv, Cf::kBlob, "a1") == "other family");
  CHECK(ValueOf(*kv, Cf::kQueue, "c1") == "<none>");
  const std::unique_ptr<KvReader> snapshot = kv->Snapshot();
  batch.Clear();
  CHECK(batch.empty());
  batch.DeleteRange(Cf::kQueue, "a2", "b");
  batch.Put(Cf::kQueue, "a25", "put after the range delete survives");
  REQUIRE(kv->Write(batch, false).ok());
  CHECK(Keys(*kv, Cf::kQueue) == Strings{"a1", "a25", "b1"});
  CHECK(Keys(*snapshot, Cf::kQueue) == Strings{"a1", "a2", "a3", "b1"});  // unchanged
  std::vector<std::string> ranged;
  const std::vector<KvReader::Range> ranges = {{"a", "a3"}, {"b", "c"}};
  REQUIRE(kv->ScanRanges(Cf::kQueue, ranges, [&](std::string_view k, std::string_view) {
              ranged.emplace_back(k);
              return k != "a1";  // ends its own range only
            }).ok());
  CHECK(ranged == Strings{"a1", "b1"});  // a25 skipped, b1 still visited
  int visited = 0;
  REQUIRE(kv->Scan(Cf::kQueue, "", "", [&](std::string_view, std::string_view) {
              return ++visited < 2;
            }).ok());
  CHECK(visited == 2);  // the visitor stopped the scan
}

struct Faulty {
  Faulty()
      : base(NewMemoryKv()),
        faults(std::make_shared<FaultInjector>(base)),
        kv(faults->NewStore()) {}
  Status Put(std::string_view key, std::string_view value, bool sync) {
    WriteBatch b;
    b.Put(Cf::kQueue, key, value);
    return kv->Write(b, sync);
  }
  std::shared_ptr<KvStore> base;
  std::shared_ptr<FaultInjector> faults;
  std::unique_ptr<KvStore> kv;
};

// The write-ahead log files in a RocksDB folder, in bytes.
std::uintmax_t WalBytes(const std::string& dir) {
  std::uintmax_t total = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (file.path().extension() == ".log") total += file.file_size();
  }
  return total;
}

TEST_CASE("a family written once does not keep the write-ahead log growing", "[store][kv]") {
  // Queue entries come and go (written, then deleted at the ack) while a mailbox record
  // is written once: RocksDB keeps every log file that holds data not yet flushed, so
  // without a cap on the logs the one record kept them all, acknowledged envelopes
  // included, until its family's memtable filled.
  TempDir temp;
  const std::string dir = temp.Sub("kv");
  RocksKvOptions options;
  options.max_wal_bytes = 1u << 20;
  auto rocks = OpenRocksKv(dir, options);
  REQUIRE(rocks.ok());
  std::unique_ptr<KvStore> kv = std::move(rocks).value();
  WriteBatch once;
  once.Put(Cf::kMailbox, "mailbox", "record");
  REQUIRE(kv->Write(once, true).ok());
  const std::string value(1024, 'v');
  for (int round = 0; round < 160; ++round) {  // 16 MiB through the queue family
    WriteBatch put;
    WriteBatch remove;
    for (int i = 0; i < 100; ++i) {
      const std::string key = std::to_string(round * 100 + i);
      put.Put(Cf::kQueue, key, value);
      remove.Delete(Cf::kQueue, key);
    }
    REQUIRE(kv->Write(put, true).ok());
    REQUIRE(kv->Write(remove, true).ok());
  }
  // Flushes run in the background: the old logs go soon after.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (WalBytes(dir) > (4u << 20) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(WalBytes(dir) <= (4u << 20));
  CHECK(ValueOf(*kv, Cf::kMailbox, "mailbox") == "record");
  CHECK(Keys(*kv, Cf::kQueue).empty());
}

TEST_CASE("the store reports its memtables, block cache and table readers", "[store][kv]") {
  TempDir temp;
  const std::string dir = temp.Sub("kv");
  const std::string value(1024, 'v');
  {
    auto rocks = OpenRocksKv(dir);
    REQUIRE(rocks.ok());
    std::unique_ptr<KvStore> kv = std::move(rocks).value();
    const KvMemory before = kv->Memory();
    WriteBatch put;
    for (int i = 0; i < 4096; ++i) put.Put(Cf::kQueue, std::to_string(100000 + i), value);
    REQUIRE(kv->Write(put, true).ok());
    const KvMemory after = kv->Memory();
    CHECK(after.memtables >= before.memtables + (4u << 20));  // 4 MiB written
    CHECK(after.block_cache < (64u << 10));                   // nothing read from a table file yet
  }
  // Closing flushed the memtables to a table file; reading it fills the block cache.
  auto rocks = OpenRocksKv(dir);
  REQUIRE(rocks.ok());
  std::unique_ptr<KvStore> kv = std::move(rocks).value();
  CHECK(kv->Memory().memtables < (1u << 20));
  CHECK(Keys(*kv, Cf::kQueue).size() == 4096);
  const KvMemory read = kv->Memory();
  CHECK(read.block_cache >= (4u << 20));
  CHECK(read.table_readers > 0);
  CHECK(NewMemoryKv()->Memory().memtables == 0);
}

// RocksDB counts every key comparison of a thread in a thread-local perf context unless
// the thread turns it off; the relay reads none of it, so every read and write of the
// store turns it off on the thread it runs on (a fan-out spent ~7% of the relay's
// instructions on the counting).
TEST_CASE("reads and writes of the store count no RocksDB perf statistics", "[store][kv]") {
  TempDir temp;
  auto rocks = OpenRocksKv(temp.Sub("kv"));
  REQUIRE(rocks.ok());
  std::unique_ptr<KvStore> kv = std::move(rocks).value();
  // Each step on a fresh thread, which starts at RocksDB's default level.
  const auto on_new_thread = [](auto step) {
    rocksdb::PerfLevel before = rocksdb::kUninitialized;
    rocksdb::PerfLevel after = rocksdb::kUninitialized;
    std::uint64_t comparisons = 0;
    std::thread([&] {
      before = rocksdb::GetPerfLevel();
      rocksdb::get_perf_context()->Reset();
      step();
      after = rocksdb::GetPerfLevel();
      comparisons = rocksdb::get_perf_context()->user_key_comparison_count;
    }).join();
    CHECK(before == rocksdb::kEnableCount);
    CHECK(after == rocksdb::kDisable);
    CHECK(comparisons == 0);
  };
  on_new_thread([&] {
    WriteBatch put;
    for (int i = 0; i < 200; ++i) put.Put(Cf::kQueue, std::to_string(1000 + i), "v");
    REQUIRE(kv->Write(put, true).ok());
  });
  on_new_thread([&] {
    std::string value;
    REQUIRE(kv->Get(Cf::kQueue, "1100", &value).ok());
    CHECK(value == "v");
  });
  on_new_thread([&] { CHECK(Keys(*kv, Cf::kQueue).size() == 200); });
  on_new_thread([&] {
    std::size_t n = 0;
    REQUIRE(kv->ScanRanges(Cf::kQueue, {{"1000", "1010"}, {"1100", "1105"}},
                           [&](std::string_view, std::string_view) { return ++n, true; })
                .ok());
    CHECK(n == 15);
  });
}

TEST_CASE("injected write failures change nothing", "[store][kv][faults]") {
  Faulty f;
  REQUIRE(f.Put("k", "1", true).ok());
  f.faults->FailNextWrites(2);
  CHECK(f.Put("k", "2", true).code() == Code::kIoError);
  CHECK(f.Put("k", "3", true).code() == Code::kIoError);
  CHECK(ValueOf(*f.kv, Cf::kQueue, "k") == "1");
  CHECK(f.Put("k", "4", true).ok());
  CHECK(f.faults->failed_writes() == 2);
  CHECK(f.faults->writes() == 4);
}

TEST_CASE("a full disk fails writes with UNAVAILABLE until space is back", "[store][kv][faults]") {
  Faulty f;
  f.faults->SetSpaceLeft(60);
  REQUIRE(f.Put("k", std::string(20, 'x'), true).ok());  // uses up ~25 bytes
  CHECK(f.Put("k", std::string(40, 'y'), true).code() == Code::kUnavailable);
  CHECK(ValueOf(*f.kv, Cf::kQueue, "k") == std::string(20, 'x'));
  f.faults->SetUnlimitedSpace();
  CHECK(f.Put("k", std::string(40, 'y'), true).ok());
}

TEST_CASE("a power cut undoes unsynced writes only", "[store][kv][faults]") {
  Faulty f;
  REQUIRE(f.Put("durable", "1", true).ok());
  REQUIRE(f.Put("range-a", "a", true).ok());
  REQUIRE(f.Put("range-b", "b", true).ok());
  SECTION("unsynced writes since the last sync vanish") {
    REQUIRE(f.Put("durable", "2", false).ok());
    REQUIRE(f.Put("new", "n", false).ok());
    WriteBatch b;
    b.DeleteRange(Cf::kQueue, "range", PrefixEnd("range"));
    b.Delete(Cf::kQueue, "durable");
    REQUIRE(f.kv->Write(b, false).ok());
    f.faults->SimulatePowerCut();
    CHECK(f.faults->dropped_writes() == 3);
    CHECK(Keys(*f.kv, Cf::kQueue) == Strings{"durable", "range-a", "range-b"});
    CHECK(ValueOf(*f.kv, Cf::kQueue, "durable") == "1");
  }
  SECTION("a synced write makes the earlier ones durable") {
    REQUIRE(f.Put("early", "e", false).ok());
    REQUIRE(f.Put("sync", "s", true).ok());
    REQUIRE(f.Put("late", "l", false).ok());
    f.faults->SimulatePowerCut();
    CHECK(Keys(*f.kv, Cf::kQueue) == Strings{"durable", "early", "range-a", "range-b", "sync"});
  }
  SECTION("SyncWal makes them durable too") {
    REQUIRE(f.Put("early", "e", false).ok());
    REQUIRE(f.kv->SyncWal().ok());
    f.faults->SimulatePowerCut();
    CHECK(ValueOf(*f.kv, Cf::kQueue, "early") == "e");
  }
  CHECK(f.Put("after", "x", true).code() == Code::kIoError);  // the power is off
  f.faults->PowerOn();
  CHECK(f.Put("after", "x", true).ok());
}

}  // namespace
}  // namespace tocsin::relay::test
