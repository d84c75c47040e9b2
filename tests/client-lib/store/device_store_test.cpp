#include "store/device_store.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "store_test_util.h"

using namespace tocsin::store;
using namespace tocsin::store::testing;
using tocsin::Code;

namespace {

std::vector<Column> NamedColumns() {
  std::vector<Column> named;
  for (Column column : kAllColumns) {
    if (KindOf(column) == ColumnKind::kNamed) named.push_back(column);
  }
  return named;
}

std::string RowText(Column column, int i) {
  return std::string(ColumnName(column)) + " value " + std::to_string(i);
}

}  // namespace

TEST_CASE("every named column round-trips values and survives reopen", "[store]") {
  TempDir dir;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    for (Column column : NamedColumns()) {
      for (int i = 0; i < 3; ++i) {
        const std::string name = "row-" + std::to_string(i);
        REQUIRE(store->Put(column, AsByteView(name), AsByteView(RowText(column, i))).ok());
      }
      CHECK(GetText(*store, column, "row-1") == RowText(column, 1));
    }
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  for (Column column : NamedColumns()) {
    INFO(ColumnName(column));
    for (int i = 0; i < 3; ++i) {
      CHECK(GetText(*store, column, "row-" + std::to_string(i)) == RowText(column, i));
    }
    CHECK(GetText(*store, column, "row-9") == "<absent>");
  }
}

TEST_CASE("the same name in two columns is two rows", "[store]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  REQUIRE(store->Put(Column::kContacts, AsByteView("x"), AsByteView("contact")).ok());
  REQUIRE(store->Put(Column::kGroups, AsByteView("x"), AsByteView("group")).ok());
  CHECK(GetText(*store, Column::kContacts, "x") == "contact");
  CHECK(GetText(*store, Column::kGroups, "x") == "group");
}

TEST_CASE("put overwrites and delete removes", "[store]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  REQUIRE(store->Put(Column::kSessions, AsByteView("alice.1"), AsByteView("v1")).ok());
  REQUIRE(store->Put(Column::kSessions, AsByteView("alice.1"), AsByteView("v2")).ok());
  CHECK(GetText(*store, Column::kSessions, "alice.1") == "v2");
  REQUIRE(store->Delete(Column::kSessions, AsByteView("alice.1")).ok());
  CHECK(GetText(*store, Column::kSessions, "alice.1") == "<absent>");
}

TEST_CASE("empty names and values are rows like any other", "[store]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  REQUIRE(store->Put(Column::kSeenIds, AsByteView("seen"), {}).ok());
  REQUIRE(store->Put(Column::kIdentity, {}, AsByteView("unnamed")).ok());
  CHECK(GetText(*store, Column::kSeenIds, "seen").empty());
  CHECK(GetText(*store, Column::kIdentity, "") == "unnamed");
}

TEST_CASE("a cursor over a named column gives back every name and value", "[store]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  std::set<std::pair<std::string, std::string>> written;
  for (int i = 0; i < 50; ++i) {
    const std::string name = "contact-" + std::to_string(i), value = "card " + std::to_string(i);
    REQUIRE(store->Put(Column::kContacts, AsByteView(name), AsByteView(value)).ok());
    written.emplace(name, value);
  }
  std::set<std::pair<std::string, std::string>> read;
  auto cursor = store->NewCursor(Column::kContacts);
  for (; cursor->Valid(); cursor->Next()) {
    read.emplace(AsStringView(cursor->name()), AsStringView(cursor->value()));
  }
  CHECK(cursor->status().ok());
  CHECK(read == written);
}

TEST_CASE("outbox and pending rows iterate in the order they were appended", "[store]") {
  TempDir dir;
  std::vector<std::uint64_t> seqs;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    for (int i = 0; i < 20; ++i) {
      auto txn = store->Begin();
      auto seq = txn.Append(i % 2 ? Column::kPending : Column::kOutbox,
                            AsByteView("message " + std::to_string(i)));
      REQUIRE(seq.ok());
      seqs.push_back(*seq);
      REQUIRE(txn.Commit().ok());
    }
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  std::vector<std::string> outbox;
  for (auto c = store->NewCursor(Column::kOutbox); c->Valid(); c->Next()) {
    outbox.emplace_back(AsStringView(c->value()));
    CHECK(ParseSequence(c->name()).has_value());
  }
  REQUIRE(outbox.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(outbox[i] == "message " + std::to_string(2 * i));
  CHECK(GetText(*store, Column::kPending, std::string(AsStringView(SequenceName(seqs[3])))) ==
        "message 3");

  auto cursor = store->NewCursor(Column::kPending);
  cursor->SeekSequence(seqs[10]);
  REQUIRE(cursor->Valid());
  CHECK(AsStringView(cursor->value()) == "message 11");
}

TEST_CASE("sequence counters are never reused across reopen", "[store]") {
  TempDir dir;
  std::uint64_t last = 0;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    auto txn = store->Begin();
    for (int i = 0; i < 5; ++i) last = *txn.Append(Column::kOutbox, AsByteView("m"));
    REQUIRE(txn.Commit().ok());
    auto abandoned = store->Begin();
    REQUIRE(abandoned.Append(Column::kOutbox, AsByteView("gone")).ok());
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  auto txn = store->Begin();
  auto next = txn.Append(Column::kOutbox, AsByteView("after reopen"));
  REQUIRE(next.ok());
  CHECK(*next > last);
}

TEST_CASE("names that do not fit the column are refused", "[store]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  CHECK(store->Put(Column::kOutbox, AsByteView("short"), AsByteView("v")).code() ==
        Code::kInvalidArgument);
  CHECK(store->Get(Column::kAlerts, AsByteView("not an alert id")).status().code() ==
        Code::kInvalidArgument);
  auto txn = store->Begin();
  CHECK(txn.Append(Column::kContacts, AsByteView("v")).status().code() == Code::kInvalidArgument);
  CHECK(store->NewCursor(Column::kContacts)->Valid() == false);
  auto cursor = store->NewCursor(Column::kContacts);
  cursor->SeekSequence(0);
  CHECK(cursor->status().code() == Code::kInvalidArgument);
}

TEST_CASE("alerts are kept per day and listed by day", "[store][alerts]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  auto txn = store->Begin();
  auto a1 = txn.AppendAlert(19800, AsByteView("day one, first"));
  auto b1 = txn.AppendAlert(19801, AsByteView("day two"));
  auto a2 = txn.AppendAlert(19800, AsByteView("day one, second"));
  REQUIRE((a1.ok() && b1.ok() && a2.ok()));
  REQUIRE(txn.Commit().ok());

  CHECK(GetText(*store, Column::kAlerts, std::string(AsStringView(AlertName(*b1)))) == "day two");
  CHECK(*store->AlertDays() == std::vector<Day>{19800, 19801});
  std::vector<std::string> day_one;
  for (auto c = store->NewAlertCursor(19800); c->Valid(); c->Next()) {
    day_one.emplace_back(AsStringView(c->value()));
    CHECK(ParseAlertName(c->name())->day == 19800);
  }
  CHECK(day_one == std::vector<std::string>{"day one, first", "day one, second"});
  int all = 0;
  for (auto c = store->NewCursor(Column::kAlerts); c->Valid(); c->Next()) ++all;
  CHECK(all == 3);
  CHECK_FALSE(store->NewAlertCursor(19802)->Valid());
}

TEST_CASE("an alert row can be rewritten under its id", "[store][alerts]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  auto txn = store->Begin();
  auto id = txn.AppendAlert(19800, AsByteView("dispatched"));
  REQUIRE(txn.Commit().ok());
  REQUIRE(store->Put(Column::kAlerts, AlertName(*id), AsByteView("all clear")).ok());
  CHECK(GetText(*store, Column::kAlerts, std::string(AsStringView(AlertName(*id)))) == "all clear");
}

TEST_CASE("a wrong passphrase is refused with a clear error", "[store][passphrase]") {
  TempDir dir;
  {
    auto store = CreateStore(dir.store(), "right one");
    REQUIRE(store);
    REQUIRE(store->Put(Column::kContacts, AsByteView("a"), AsByteView("b")).ok());
  }
  auto wrong = DeviceStore::Open(dir.store(), Secret("wrong one"), TestOptions());
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == Code::kUnauthorized);
  CHECK(wrong.status().message() == "wrong passphrase");
  auto right = OpenStore(dir.store(), "right one");
  REQUIRE(right);
  CHECK(GetText(*right, Column::kContacts, "a") == "b");
}

TEST_CASE("create and open say what is wrong", "[store]") {
  TempDir dir;
  CHECK(DeviceStore::Open(dir.store(), Secret("x"), TestOptions()).status().code() ==
        Code::kNotFound);
  CHECK(DeviceStore::Create(dir.store(), tocsin::crypto::SecretBytes(), TestOptions())
            .status()
            .code() == Code::kInvalidArgument);
  StoreOptions weak = TestOptions();
  weak.kdf.memlimit = 1024;
  CHECK(DeviceStore::Create(dir.store(), Secret("x"), weak).status().code() ==
        Code::kInvalidArgument);
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  CHECK(DeviceStore::Create(dir.store(), Secret("x"), TestOptions()).status().code() ==
        Code::kInvalidArgument);
  auto second = DeviceStore::Open(dir.store(), Secret("correct horse"), TestOptions());
  CHECK(second.status().code() == Code::kUnavailable);
}

TEST_CASE("the data folder is private to its owner", "[store]") {
  TempDir dir;
  auto store = CreateStore(dir.path() / "nested" / "store");
  REQUIRE(store);
  struct stat info {};
  REQUIRE(::stat((dir.path() / "nested" / "store").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);
}
