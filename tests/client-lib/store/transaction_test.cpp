#include "store/transaction.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "store_test_util.h"

using namespace tocsin::store;
using namespace tocsin::store::testing;
using tocsin::Code;

TEST_CASE("a transaction that is not committed leaves nothing", "[store][transaction]") {
  TempDir dir;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    auto txn = store->Begin();
    REQUIRE(txn.Put(Column::kSessions, AsByteView("bob.1"), AsByteView("ratchet")).ok());
    REQUIRE(txn.Append(Column::kOutbox, AsByteView("sealed bytes")).ok());
    REQUIRE(txn.AppendAlert(19800, AsByteView("alert")).ok());
    CHECK(txn.size() >= 3);
    CHECK(GetText(*store, Column::kSessions, "bob.1") == "<absent>");
  }  // destroyed without Commit
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  CHECK(GetText(*store, Column::kSessions, "bob.1") == "<absent>");
  CHECK_FALSE(store->NewCursor(Column::kOutbox)->Valid());
  CHECK_FALSE(store->NewCursor(Column::kAlerts)->Valid());
  CHECK(store->AlertDays()->empty());
}

TEST_CASE("a committed transaction lands whole and survives reopen", "[store][transaction]") {
  TempDir dir;
  std::uint64_t seq = 0;
  {
    auto store = CreateStore(dir.store());
    REQUIRE(store);
    REQUIRE(store->Put(Column::kPending, SequenceName(999), AsByteView("old")).ok());
    auto txn = store->Begin();
    REQUIRE(txn.Put(Column::kSessions, AsByteView("bob.1"), AsByteView("ratchet 2")).ok());
    REQUIRE(txn.Put(Column::kSeenIds, AsByteView("bob|msg-1"), {}).ok());
    seq = *txn.Append(Column::kOutbox, AsByteView("ack sealed"));
    REQUIRE(txn.Delete(Column::kPending, SequenceName(999)).ok());
    REQUIRE(txn.Commit().ok());
    CHECK(txn.Commit().code() == Code::kInvalidArgument);
    CHECK(txn.Put(Column::kSessions, AsByteView("x"), AsByteView("y")).code() ==
          Code::kInvalidArgument);
  }
  auto store = OpenStore(dir.store());
  REQUIRE(store);
  CHECK(GetText(*store, Column::kSessions, "bob.1") == "ratchet 2");
  CHECK(GetText(*store, Column::kSeenIds, "bob|msg-1").empty());
  CHECK(GetText(*store, Column::kOutbox, std::string(AsStringView(SequenceName(seq)))) ==
        "ack sealed");
  CHECK(GetText(*store, Column::kPending, std::string(AsStringView(SequenceName(999)))) ==
        "<absent>");
}

TEST_CASE("reads through a transaction see its staged writes", "[store][transaction]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  REQUIRE(store->Put(Column::kSessions, AsByteView("carol.1"), AsByteView("committed")).ok());
  REQUIRE(store->Put(Column::kSessions, AsByteView("dave.1"), AsByteView("to delete")).ok());

  auto txn = store->Begin();
  REQUIRE(txn.Put(Column::kSessions, AsByteView("carol.1"), AsByteView("staged")).ok());
  REQUIRE(txn.Put(Column::kSessions, AsByteView("erin.1"), AsByteView("new")).ok());
  REQUIRE(txn.Delete(Column::kSessions, AsByteView("dave.1")).ok());
  auto alert = txn.AppendAlert(19800, AsByteView("staged alert"));
  REQUIRE(alert.ok());

  CHECK(Text(**txn.Get(Column::kSessions, AsByteView("carol.1"))) == "staged");
  CHECK(Text(**txn.Get(Column::kSessions, AsByteView("erin.1"))) == "new");
  CHECK_FALSE(txn.Get(Column::kSessions, AsByteView("dave.1"))->has_value());
  CHECK(Text(**txn.Get(Column::kAlerts, AlertName(*alert))) == "staged alert");
  // The committed state is untouched until Commit.
  CHECK(GetText(*store, Column::kSessions, "carol.1") == "committed");

  std::set<std::string> seen;
  auto cursor = txn.NewCursor(Column::kSessions);
  for (; cursor->Valid(); cursor->Next()) {
    seen.insert(std::string(AsStringView(cursor->name())) + "=" +
                std::string(AsStringView(cursor->value())));
  }
  REQUIRE(cursor->status().ok());
  CHECK(seen == std::set<std::string>{"carol.1=staged", "erin.1=new"});
  auto alerts = txn.NewAlertCursor(19800);
  REQUIRE(alerts->Valid());
  CHECK(AsStringView(alerts->value()) == "staged alert");
}

TEST_CASE("a transaction begun before a passphrase change must be redone", "[store][transaction]") {
  TempDir dir;
  auto store = CreateStore(dir.store(), "one");
  REQUIRE(store);
  auto txn = store->Begin();
  REQUIRE(txn.Put(Column::kContacts, AsByteView("a"), AsByteView("b")).ok());
  REQUIRE(store->ChangePassphrase(Secret("one"), Secret("two"), kTestKdfOptions).ok());
  CHECK(txn.Get(Column::kContacts, AsByteView("a")).status().code() == Code::kUnavailable);
  CHECK(txn.NewCursor(Column::kContacts)->status().code() == Code::kUnavailable);
  CHECK(txn.Commit().code() == Code::kUnavailable);
  CHECK(GetText(*store, Column::kContacts, "a") == "<absent>");
  auto again = store->Begin();
  REQUIRE(again.Put(Column::kContacts, AsByteView("a"), AsByteView("b")).ok());
  REQUIRE(again.Commit().ok());
  CHECK(GetText(*store, Column::kContacts, "a") == "b");
}

TEST_CASE("a moved-from transaction refuses to be used", "[store][transaction]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  auto txn = store->Begin();
  REQUIRE(txn.Put(Column::kGroups, AsByteView("g"), AsByteView("roster")).ok());
  Transaction moved = std::move(txn);
  CHECK(txn.Put(Column::kGroups, AsByteView("h"), AsByteView("x")).code() ==  // NOLINT
        Code::kInvalidArgument);
  CHECK(txn.Commit().code() == Code::kInvalidArgument);  // NOLINT: the point of the test
  REQUIRE(moved.Commit().ok());
  CHECK(GetText(*store, Column::kGroups, "g") == "roster");
}

TEST_CASE("a transaction that relied on a purged day's key must be redone",
          "[store][transaction][alerts]") {
  TempDir dir;
  auto store = CreateStore(dir.store());
  REQUIRE(store);
  auto first = store->Begin();
  REQUIRE(first.AppendAlert(19800, AsByteView("first")).ok());
  REQUIRE(first.Commit().ok());

  auto txn = store->Begin();
  REQUIRE(txn.AppendAlert(19800, AsByteView("late")).ok());
  REQUIRE(store->PurgeDay(19800).ok());
  CHECK(txn.Commit().code() == Code::kUnavailable);
  CHECK_FALSE(store->NewCursor(Column::kAlerts)->Valid());
  CHECK(store->NewCursor(Column::kAlerts)->status().ok());
}

// A real crash: the child process commits one transaction, stages another, and is
// killed with SIGKILL (no close, no flush). The parent reopens the files.
TEST_CASE("a commit survives kill -9 and an uncommitted transaction does not",
          "[store][transaction][crash]") {
  TempDir dir;
  { REQUIRE(CreateStore(dir.store())); }
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto store = OpenStore(dir.store());
    if (!store) ::_exit(2);
    auto committed = store->Begin();
    (void)committed.Put(Column::kSessions, AsByteView("bob.1"), AsByteView("after decrypt"));
    (void)committed.Put(Column::kSeenIds, AsByteView("bob|m1"), {});
    if (!committed.Commit().ok()) ::_exit(3);
    auto staged = store->Begin();
    (void)staged.Put(Column::kSessions, AsByteView("bob.1"), AsByteView("never committed"));
    (void)staged.Append(Column::kOutbox, AsByteView("never committed"));
    ::kill(::getpid(), SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  auto store = OpenStore(dir.store());
  REQUIRE(store);
  CHECK(GetText(*store, Column::kSessions, "bob.1") == "after decrypt");
  CHECK(GetText(*store, Column::kSeenIds, "bob|m1").empty());
  CHECK_FALSE(store->NewCursor(Column::kOutbox)->Valid());
}
