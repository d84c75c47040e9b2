// What a seized data folder holds: searched byte for byte for secrets the test wrote.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "store/store_core.h"
#include "store_test_util.h"

using namespace tocsin::store;
using namespace tocsin::store::testing;

namespace {

struct KnownSecrets {
  std::string passphrase = "purple monkey dishwasher 42";
  std::string identity_private_key;
  std::string token = "tok_contact_7f3a9c2e8b1d4f60";
  std::string mailbox_id = "mbx-2c9e71d04a5b8f36e1";
  std::string contact_name = "Maria Lopez, legal observer";
  std::string alert_text = "ICE agents at 5th and Main, two vans";
  std::string outbox_plaintext = "on my way, ETA 10 minutes";

  KnownSecrets() {
    identity_private_key.resize(32);
    tocsin::crypto::DefaultRng().Fill(
        {reinterpret_cast<std::uint8_t*>(identity_private_key.data()), 32});
  }
  std::vector<std::string> All() const {
    return {passphrase,   identity_private_key, token,           mailbox_id,
            contact_name, alert_text,           outbox_plaintext};
  }
};

void WriteSecrets(DeviceStore& store, const KnownSecrets& s) {
  auto txn = store.Begin();
  REQUIRE(txn.Put(Column::kIdentity, AsByteView("identity_key"), AsByteView(s.identity_private_key))
              .ok());
  REQUIRE(txn.Put(Column::kContacts, AsByteView(s.mailbox_id),
                  AsByteView(s.contact_name + " " + s.token))
              .ok());
  REQUIRE(txn.Put(Column::kSeenIds, AsByteView(s.mailbox_id + "|msg"), {}).ok());
  REQUIRE(txn.Append(Column::kOutbox, AsByteView(s.outbox_plaintext)).ok());
  REQUIRE(txn.AppendAlert(19800, AsByteView(s.alert_text)).ok());
  REQUIRE(txn.Commit().ok());
}

void CheckNoSecretIn(const std::filesystem::path& dir, const KnownSecrets& s) {
  for (const std::string& secret : s.All()) {
    INFO("looking for a known secret of " << secret.size() << " bytes");
    CHECK_FALSE(FilesContain(dir, secret));
    CHECK_FALSE(FilesContain(dir, secret.substr(0, 12)));
  }
}

}  // namespace

TEST_CASE("the data folder holds no known plaintext, key, token or mailbox id",
          "[store][secrecy]") {
  TempDir dir;
  KnownSecrets secrets;
  {
    auto store = CreateStore(dir.store(), secrets.passphrase);
    REQUIRE(store);
    WriteSecrets(*store, secrets);
    // Still in the WAL and memtables here.
    CheckNoSecretIn(dir.store(), secrets);
  }
  // Closed: flushed to table files.
  CheckNoSecretIn(dir.store(), secrets);
  // And the sanity check that the search works: the stored rows are in the files.
  RawDb raw(dir.store());
  REQUIRE(raw.ok());
  const auto contacts = raw.Rows(Column::kContacts);
  REQUIRE(contacts.size() == 1);
  CHECK(FilesContain(dir.store(), contacts.begin()->second.substr(30, 24)));
}

TEST_CASE("row names are stored as keyed hashes or opaque counters", "[store][secrecy]") {
  TempDir dir;
  KnownSecrets secrets;
  {
    auto store = CreateStore(dir.store(), secrets.passphrase);
    REQUIRE(store);
    WriteSecrets(*store, secrets);
  }
  RawDb raw(dir.store());
  REQUIRE(raw.ok());
  for (Column column : {Column::kIdentity, Column::kContacts, Column::kSeenIds}) {
    for (const auto& [key, value] : raw.Rows(column)) {
      CHECK(key.size() == kNamedKeySize);
      CHECK(key.find("identity_key") == std::string::npos);
      CHECK(key.find(secrets.mailbox_id) == std::string::npos);
    }
  }
  for (const auto& [key, value] : raw.Rows(Column::kOutbox)) CHECK(key.size() == 8);
  for (const auto& [key, value] : raw.Rows(Column::kAlerts)) {
    CHECK(key.size() == kDayPrefixSize + 8);
  }
  // Only these meta rows are in clear, and none holds a secret.
  for (const auto& [key, value] : raw.Rows(kMetaFamily)) {
    CHECK(
        (key == kMetaFormat || key == kMetaKdf || key == kMetaDataKey || key == kMetaNextSequence));
  }
}

TEST_CASE("the same name in two stores is stored under different keys", "[store][secrecy]") {
  TempDir one, two;
  for (const TempDir* dir : {&one, &two}) {
    auto store = CreateStore(dir->store());
    REQUIRE(store);
    REQUIRE(store->Put(Column::kContacts, AsByteView("same"), AsByteView("v")).ok());
  }
  RawDb a(one.store()), b(two.store());
  REQUIRE((a.ok() && b.ok()));
  CHECK(a.Rows(Column::kContacts).begin()->first != b.Rows(Column::kContacts).begin()->first);
}
