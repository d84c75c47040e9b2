// Changing the passphrase re-keys the whole store.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "store/store_core.h"
#include "store_test_util.h"

using namespace tocsin::store;
using namespace tocsin::store::testing;
using tocsin::Code;

namespace {

struct Written {
  std::uint64_t outbox_seq = 0;
  AlertId alert;
};

Written FillEveryColumn(DeviceStore& store) {
  Written w;
  auto txn = store.Begin();
  for (Column column : kAllColumns) {
    if (KindOf(column) == ColumnKind::kNamed) {
      REQUIRE(
          txn.Put(column, AsByteView("name"), AsByteView(std::string(ColumnName(column)))).ok());
    }
  }
  w.outbox_seq = *txn.Append(Column::kOutbox, AsByteView("outbox"));
  REQUIRE(txn.Append(Column::kPending, AsByteView("pending")).ok());
  w.alert = *txn.AppendAlert(19800, AsByteView("alert"));
  REQUIRE(txn.Commit().ok());
  return w;
}

// Every stored value of every family (ciphertexts, and the wrapped key).
std::vector<std::string> RawValues(const std::filesystem::path& dir) {
  RawDb raw(dir);
  REQUIRE(raw.ok());
  std::vector<std::string> values;
  for (std::uint8_t family = 1; family < kFamilyCount; ++family) {
    for (const auto& [key, value] : raw.Rows(family)) {
      if (family == kMetaFamily && key == kMetaFormat) continue;
      values.push_back(value);
    }
  }
  return values;
}

}  // namespace

TEST_CASE("a changed passphrase re-keys every value and refuses the old one",
          "[store][passphrase]") {
  TempDir dir;
  Written w;
  {
    auto store = CreateStore(dir.store(), "old passphrase");
    REQUIRE(store);
    w = FillEveryColumn(*store);
  }
  const std::vector<std::string> old_values = RawValues(dir.store());
  REQUIRE(old_values.size() >= 16);
  {
    auto store = OpenStore(dir.store(), "old passphrase");
    REQUIRE(store);
    REQUIRE(
        store->ChangePassphrase(Secret("old passphrase"), Secret("new passphrase"), kTestKdfOptions)
            .ok());
    // Still usable as it is, under the new keys.
    CHECK(GetText(*store, Column::kContacts, "name") == "contacts");
  }
  auto old_open = DeviceStore::Open(dir.store(), Secret("old passphrase"), TestOptions());
  CHECK(old_open.status().code() == Code::kUnauthorized);

  auto store = OpenStore(dir.store(), "new passphrase");
  REQUIRE(store);
  for (Column column : kAllColumns) {
    if (KindOf(column) == ColumnKind::kNamed) {
      CHECK(GetText(*store, column, "name") == ColumnName(column));
    }
  }
  CHECK(GetText(*store, Column::kOutbox, std::string(AsStringView(SequenceName(w.outbox_seq)))) ==
        "outbox");
  CHECK(GetText(*store, Column::kAlerts, std::string(AsStringView(AlertName(w.alert)))) == "alert");
  CHECK(*store->AlertDays() == std::vector<Day>{19800});
  {
    auto pending = store->NewCursor(Column::kPending);
    REQUIRE(pending->Valid());
    CHECK(AsStringView(pending->value()) == "pending");
  }

  // Compacted: no old ciphertext (nor the old wrapped key) is left in the files.
  store.reset();
  for (const std::string& old : old_values) CHECK_FALSE(FilesContain(dir.store(), old));
}

TEST_CASE("a passphrase change with the wrong current passphrase changes nothing",
          "[store][passphrase]") {
  TempDir dir;
  auto store = CreateStore(dir.store(), "current");
  REQUIRE(store);
  REQUIRE(store->Put(Column::kContacts, AsByteView("a"), AsByteView("b")).ok());
  tocsin::Status status = store->ChangePassphrase(Secret("guess"), Secret("new"), kTestKdfOptions);
  CHECK(status.code() == Code::kUnauthorized);
  CHECK(status.message() == "wrong passphrase");
  CHECK(store->ChangePassphrase(Secret("current"), tocsin::crypto::SecretBytes(), kTestKdfOptions)
            .code() == Code::kInvalidArgument);
  CHECK(GetText(*store, Column::kContacts, "a") == "b");
  store.reset();
  CHECK(OpenStore(dir.store(), "current") != nullptr);
}

TEST_CASE("the passphrase can be changed twice and the counters carry on", "[store][passphrase]") {
  TempDir dir;
  auto store = CreateStore(dir.store(), "one");
  REQUIRE(store);
  auto txn = store->Begin();
  const std::uint64_t first = *txn.Append(Column::kOutbox, AsByteView("m"));
  REQUIRE(txn.Commit().ok());
  REQUIRE(store->ChangePassphrase(Secret("one"), Secret("two"), kTestKdfOptions).ok());
  REQUIRE(store->ChangePassphrase(Secret("two"), Secret("three"), kTestKdfOptions).ok());
  store.reset();
  store = OpenStore(dir.store(), "three");
  REQUIRE(store);
  auto next = store->Begin();
  CHECK(*next.Append(Column::kOutbox, AsByteView("n")) > first);
}
