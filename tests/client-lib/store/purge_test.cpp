// PurgeDay: a day's alert content is gone for good.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "store/store_core.h"
#include "store_test_util.h"

using namespace tocsin::store;
using namespace tocsin::store::testing;
using tocsin::Code;

namespace {

constexpr Day kOldDay = 19800;
constexpr Day kPurgeToday = 19801;

}  // namespace

TEST_CASE("a purged day's alerts cannot be recovered, even with the passphrase",
          "[store][alerts][purge]") {
  TempDir dir;
  std::vector<AlertId> old_ids;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    auto txn = store->Begin();
    old_ids.push_back(*txn.AppendAlert(kOldDay, AsByteView("raid reported at the school")));
    old_ids.push_back(*txn.AppendAlert(kOldDay, AsByteView("all clear at the school")));
    REQUIRE(txn.Commit().ok());
  }
  // What someone who copied the folder before the purge would hold.
  std::map<std::string, std::string> old_alert_rows, old_day_key_rows;
  {
    RawDb raw(dir.store());
    REQUIRE(raw.ok());
    old_alert_rows = raw.Rows(Column::kAlerts);
    old_day_key_rows = raw.Rows(kDayKeysFamily);
  }
  REQUIRE(old_alert_rows.size() == 2);
  REQUIRE(old_day_key_rows.size() == 1);

  AlertId today;
  {
    auto store = OpenStore(dir.store());
    REQUIRE(store);
    auto txn = store->Begin();
    today = *txn.AppendAlert(kPurgeToday, AsByteView("agents at the bus depot"));
    REQUIRE(txn.Commit().ok());
    REQUIRE(store->PurgeDay(kOldDay).ok());
    CHECK(*store->AlertDays() == std::vector<Day>{kPurgeToday});
    CHECK_FALSE(store->NewAlertCursor(kOldDay)->Valid());
    CHECK(GetText(*store, Column::kAlerts, std::string(AsStringView(AlertName(old_ids[0])))) ==
          "<absent>");
    CHECK(GetText(*store, Column::kAlerts, std::string(AsStringView(AlertName(today)))) ==
          "agents at the bus depot");
    // Compacted while open: the bytes are already gone from every file, WAL included.
    for (const auto& [key, value] : old_alert_rows) CHECK_FALSE(FilesContain(dir.store(), value));
    for (const auto& [key, value] : old_day_key_rows) {
      CHECK_FALSE(FilesContain(dir.store(), value));
    }
  }
  // The day key row does not come back on reopen either.
  {
    RawDb raw(dir.store());
    REQUIRE(raw.ok());
    CHECK(raw.Rows(kDayKeysFamily).size() == 1);
    for (const auto& [key, value] : old_day_key_rows)
      CHECK(raw.Rows(kDayKeysFamily).count(key) == 0);
    // Put the copied alert ciphertexts back where they were.
    for (const auto& [key, value] : old_alert_rows) REQUIRE(raw.Put(Column::kAlerts, key, value));
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  for (const AlertId& id : old_ids) {
    auto restored = store->Get(Column::kAlerts, AlertName(id));
    REQUIRE_FALSE(restored.ok());
    CHECK(restored.status().code() == Code::kCorruption);
  }
  CHECK(GetText(*store, Column::kAlerts, std::string(AsStringView(AlertName(today)))) ==
        "agents at the bus depot");
}

// Alerts still in the write-ahead log, beside rows of other column families that no
// compaction of the alert ranges would flush: the purge must retire that log too.
TEST_CASE("a purge removes alerts that were only in the write-ahead log",
          "[store][alerts][purge]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  auto txn = store->Begin();
  REQUIRE(txn.AppendAlert(kOldDay, AsByteView("still in the log")).ok());
  REQUIRE(txn.Put(Column::kContacts, AsByteView("someone"), AsByteView("card")).ok());
  REQUIRE(txn.Append(Column::kOutbox, AsByteView("queued")).ok());
  REQUIRE(txn.Commit().ok());
  std::vector<std::string> logged;
  {
    RawDb raw(dir.store(), dir.path() / "secondary");
    REQUIRE(raw.ok());
    for (const auto& [key, value] : raw.Rows(Column::kAlerts)) logged.push_back(value);
    for (const auto& [key, value] : raw.Rows(kDayKeysFamily)) logged.push_back(value);
  }
  REQUIRE(logged.size() == 2);
  for (const std::string& value : logged) REQUIRE(FilesContain(dir.store(), value));
  REQUIRE(store->PurgeDay(kOldDay).ok());
  for (const std::string& value : logged) CHECK_FALSE(FilesContain(dir.store(), value));
  CHECK(GetText(*store, Column::kContacts, "someone") == "card");
}

TEST_CASE("purging a day without alerts is harmless", "[store][alerts][purge]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  REQUIRE(store->Put(Column::kContacts, AsByteView("a"), AsByteView("b")).ok());
  REQUIRE(store->PurgeDay(12345).ok());
  CHECK(GetText(*store, Column::kContacts, "a") == "b");
  CHECK(store->AlertDays()->empty());
}

TEST_CASE("a purged day can have new alerts under a new key", "[store][alerts][purge]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  auto before = store->Begin();
  REQUIRE(before.AppendAlert(kOldDay, AsByteView("before")).ok());
  REQUIRE(before.Commit().ok());
  REQUIRE(store->PurgeDay(kOldDay).ok());
  auto after = store->Begin();
  auto id = after.AppendAlert(kOldDay, AsByteView("after"));
  REQUIRE(after.Commit().ok());
  std::vector<std::string> texts;
  for (auto c = store->NewAlertCursor(kOldDay); c->Valid(); c->Next()) {
    texts.emplace_back(AsStringView(c->value()));
  }
  CHECK(texts == std::vector<std::string>{"after"});
  CHECK(GetText(*store, Column::kAlerts, std::string(AsStringView(AlertName(*id)))) == "after");
}

TEST_CASE("a compaction interrupted by a crash is finished at the next open",
          "[store][alerts][purge]") {
  TempDir dir;
  std::string old_alert;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    auto txn = store->Begin();
    REQUIRE(txn.AppendAlert(kOldDay, AsByteView("to purge")).ok());
    REQUIRE(txn.Commit().ok());
  }
  {
    // As if PurgeDay had committed its batch and died before compacting: rows deleted,
    // the marker set, the bytes still in the table files.
    RawDb raw(dir.store());
    REQUIRE(raw.ok());
    const auto alerts = raw.Rows(Column::kAlerts);
    old_alert = alerts.begin()->second;
    REQUIRE(raw.Delete(FamilyOf(Column::kAlerts), alerts.begin()->first));
    REQUIRE(raw.Delete(kDayKeysFamily, raw.Rows(kDayKeysFamily).begin()->first));
    REQUIRE(raw.Put(kMetaFamily, std::string(kMetaCompactPending), "purge"));
  }
  REQUIRE(FilesContain(dir.store(), old_alert));
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  CHECK_FALSE(FilesContain(dir.store(), old_alert));
  store.reset();
  RawDb raw(dir.store());
  REQUIRE(raw.ok());
  CHECK(raw.Rows(kMetaFamily).count(std::string(kMetaCompactPending)) == 0);
}
