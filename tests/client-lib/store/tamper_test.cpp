// Rows rewritten behind the store's back (with RocksDB directly, as someone holding the
// folder could) must be refused, never returned as another row's value.
#include <catch2/catch.hpp>
#include <iterator>
#include <string>

#include "store/store_core.h"
#include "store_test_util.h"

using namespace tocsin::store;
using namespace tocsin::store::testing;
using tocsin::Code;

namespace {

bool IsRefused(Code code) { return code == Code::kCorruption || code == Code::kCryptoFailure; }

}  // namespace

TEST_CASE("a value swapped between two rows is refused", "[store][tamper]") {
  TempDir dir;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    REQUIRE(store->Put(Column::kContacts, AsByteView("alice"), AsByteView("alice's card")).ok());
    REQUIRE(
        store->Put(Column::kContacts, AsByteView("mallory"), AsByteView("mallory's card")).ok());
  }
  {
    RawDb raw(dir.store());
    REQUIRE(raw.ok());
    auto rows = raw.Rows(Column::kContacts);
    REQUIRE(rows.size() == 2);
    auto first = rows.begin(), second = std::next(rows.begin());
    REQUIRE(raw.Put(Column::kContacts, first->first, second->second));
    REQUIRE(raw.Put(Column::kContacts, second->first, first->second));
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  for (const char* name : {"alice", "mallory"}) {
    auto value = store->Get(Column::kContacts, AsByteView(name));
    REQUIRE_FALSE(value.ok());
    CHECK(IsRefused(value.status().code()));
  }
  auto cursor = store->NewCursor(Column::kContacts);
  CHECK_FALSE(cursor->Valid());
  CHECK(IsRefused(cursor->status().code()));
}

TEST_CASE("a row moved to another column is refused", "[store][tamper]") {
  TempDir dir;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    auto txn = store->Begin();
    REQUIRE(txn.Append(Column::kOutbox, AsByteView("outbox entry")).ok());
    REQUIRE(txn.Commit().ok());
    REQUIRE(store->Put(Column::kTrustedIdentities, AsByteView("bob"), AsByteView("key")).ok());
  }
  {
    RawDb raw(dir.store());
    REQUIRE(raw.ok());
    auto outbox = raw.Rows(Column::kOutbox);
    REQUIRE(outbox.size() == 1);
    // Same stored key, other family: only the family in the associated data differs.
    REQUIRE(raw.Put(Column::kPending, outbox.begin()->first, outbox.begin()->second));
    auto trusted = raw.Rows(Column::kTrustedIdentities);
    REQUIRE(trusted.size() == 1);
    REQUIRE(raw.Put(Column::kSessions, trusted.begin()->first, trusted.begin()->second));
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  auto pending = store->NewCursor(Column::kPending);
  CHECK(IsRefused(pending->status().code()));
  auto sessions = store->NewCursor(Column::kSessions);
  CHECK(IsRefused(sessions->status().code()));
  CHECK(GetText(*store, Column::kOutbox, std::string(AsStringView(SequenceName(kFirstSequence)))) ==
        "outbox entry");
}

TEST_CASE("an outbox row replayed under another counter is refused", "[store][tamper]") {
  TempDir dir;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    auto txn = store->Begin();
    REQUIRE(*txn.Append(Column::kOutbox, AsByteView("send once")) == kFirstSequence);
    REQUIRE(txn.Commit().ok());
  }
  {
    RawDb raw(dir.store());
    REQUIRE(raw.ok());
    const std::string copy = raw.Rows(Column::kOutbox).begin()->second;
    REQUIRE(raw.Put(Column::kOutbox, std::string(AsStringView(SequenceName(7))), copy));
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  auto replayed = store->Get(Column::kOutbox, SequenceName(7));
  CHECK(IsRefused(replayed.status().code()));
}

TEST_CASE("a flipped bit in a stored value is refused", "[store][tamper]") {
  TempDir dir;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    REQUIRE(store->Put(Column::kIdentity, AsByteView("identity"), AsByteView("private key")).ok());
  }
  {
    RawDb raw(dir.store());
    REQUIRE(raw.ok());
    auto rows = raw.Rows(Column::kIdentity);
    std::string value = rows.begin()->second;
    value[value.size() / 2] ^= 1;
    REQUIRE(raw.Put(Column::kIdentity, rows.begin()->first, value));
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  CHECK(IsRefused(store->Get(Column::kIdentity, AsByteView("identity")).status().code()));
}

TEST_CASE("weakened passphrase parameters in the files are refused", "[store][tamper]") {
  TempDir dir;
  { REQUIRE(CreateStore(dir.store())); }
  {
    RawDb raw(dir.store());
    REQUIRE(raw.ok());
    auto meta = raw.Rows(kMetaFamily);
    std::string kdf = meta.at(std::string(kMetaKdf));
    kdf[11] ^= 1;  // opslimit's low byte: 1 -> 0, below the minimum
    REQUIRE(raw.Put(kMetaFamily, std::string(kMetaKdf), kdf));
  }
  auto opened = DeviceStore::Open(dir.store(), Secret("correct horse"), TestOptions());
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Code::kCorruption);
}

TEST_CASE("other passphrase parameters in the files read as a wrong passphrase",
          "[store][tamper]") {
  TempDir dir;
  { REQUIRE(CreateStore(dir.store())); }
  {
    RawDb raw(dir.store());
    REQUIRE(raw.ok());
    std::string kdf = raw.Rows(kMetaFamily).at(std::string(kMetaKdf));
    kdf[11] ^= 3;  // opslimit 1 -> 2: valid, but not what the key was wrapped with
    REQUIRE(raw.Put(kMetaFamily, std::string(kMetaKdf), kdf));
  }
  auto opened = DeviceStore::Open(dir.store(), Secret("correct horse"), TestOptions());
  CHECK(opened.status().code() == tocsin::Code::kUnauthorized);
}
