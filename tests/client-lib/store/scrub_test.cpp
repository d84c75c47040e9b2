// Wiped keys leave the files: a transaction marked ScrubOnCommit is followed by
// CompactColumns, and a crash in between is finished by the next Open.
#include <catch2/catch.hpp>
#include <string>

#include "store_test_util.h"

using namespace tocsin::store;
using namespace tocsin::store::testing;

namespace {

// A long-lived key: written, then settled in a table file (as keys a week old are).
void PutSettledKey(DeviceStore& store) {
  REQUIRE(store.Put(Column::kIdentity, AsByteView("old key"), AsByteView("secret scalar")).ok());
  REQUIRE(store.CompactColumns({Column::kIdentity}).ok());
}

// The sealed value of the one kIdentity row, read from the files.
std::string SealedRow(const TempDir& dir, const std::string& scratch) {
  RawDb raw(dir.store(), dir.path() / scratch);
  REQUIRE(raw.ok());
  const auto rows = raw.Rows(Column::kIdentity);
  REQUIRE(rows.size() == 1);
  return rows.begin()->second;
}

}  // namespace

TEST_CASE("a deleted key compacted away is gone from every file", "[store][scrub]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  PutSettledKey(*store);
  const std::string sealed = SealedRow(dir, "secondary");
  REQUIRE(FilesContain(dir.store(), sealed));

  auto txn = store->Begin();
  REQUIRE(txn.Delete(Column::kIdentity, AsByteView("old key")).ok());
  txn.ScrubOnCommit();
  REQUIRE(txn.Commit().ok());
  CHECK(FilesContain(dir.store(), sealed));  // deleted, but its bytes are still there
  REQUIRE(store->CompactColumns({Column::kIdentity}).ok());
  CHECK_FALSE(FilesContain(dir.store(), sealed));
  CHECK(GetText(*store, Column::kIdentity, "old key") == "<absent>");
}

TEST_CASE("a scrub cut short by a crash is finished by the next open", "[store][scrub]") {
  TempDir dir;
  std::string sealed;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    PutSettledKey(*store);
    sealed = SealedRow(dir, "secondary");
    auto txn = store->Begin();
    REQUIRE(txn.Delete(Column::kIdentity, AsByteView("old key")).ok());
    txn.ScrubOnCommit();
    REQUIRE(txn.Commit().ok());
    // The process dies here, before CompactColumns.
  }
  CHECK(FilesContain(dir.store(), sealed));
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  CHECK_FALSE(FilesContain(dir.store(), sealed));
  CHECK(GetText(*store, Column::kIdentity, "old key") == "<absent>");
}

TEST_CASE("without the scrub mark a deleted row outlives a reopen in the files", "[store][scrub]") {
  TempDir dir;
  std::string sealed;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    PutSettledKey(*store);
    sealed = SealedRow(dir, "secondary");
    REQUIRE(store->Delete(Column::kIdentity, AsByteView("old key")).ok());
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  // What the scrub is for: RocksDB alone keeps the bytes.
  CHECK(FilesContain(dir.store(), sealed));
}
