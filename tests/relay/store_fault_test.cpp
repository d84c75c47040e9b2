// Failures under the store: failed writes, a full disk, power cuts, and damage that
// Check() must find. The fault injector sits between the store and its data.
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "store/records.h"
#include "store_test_util.h"

namespace tocsin::relay::test {
namespace {

struct TwoBoxes {
  explicit TwoBoxes(StoreFixture::Backend backend = StoreFixture::Backend::kRocks,
                    StoreOptions options = {})
      : f(backend, std::move(options)) {
    for (int i = 0; i < 2; ++i) {
      boxes.push_back(f.NewMailbox());
      tokens.push_back(f.AddToken(boxes.back(), TokenClass::kAlert));
    }
  }
  std::vector<ViewRequest> Views() {
    return {ViewRequest{boxes[0], tokens[0], View(1), std::nullopt},
            ViewRequest{boxes[1], tokens[1], View(2), std::nullopt}};
  }
  StoreFixture f;
  std::vector<MailboxId> boxes;
  std::vector<Token> tokens;
};

TEST_CASE("a failed write answers UNAVAILABLE, loses nothing and leaves the caches right",
          "[store][faults]") {
  TwoBoxes t;
  StoreFixture& f = t.f;
  REQUIRE(*f.Send(t.boxes[0], t.tokens[0], "kept") == 1);
  auto handle = f.PutBlob("body");
  REQUIRE(handle.ok());
  f.faults().FailNextWrites(1);
  bool kept_expected = true;
  SECTION("an append") {
    CHECK(f.Send(t.boxes[0], t.tokens[0], "lost").status().code() == Code::kUnavailable);
    CHECK(*f.Send(t.boxes[0], t.tokens[0], "next") == 2);  // the failed seq was never given
  }
  SECTION("views: a retry after the failure queues them") {
    CHECK(f.SendViews(*handle, t.Views()).status().code() == Code::kUnavailable);
    CHECK(*f.SendViews(*handle, t.Views()) == std::vector<Code>(2, Code::kOk));
    CHECK(f.Queue(t.boxes[1]).size() == 1);
  }
  SECTION("an ack") {
    CHECK(f.Ack(t.boxes[0], {1}).status().code() == Code::kUnavailable);
    CHECK(*f.Ack(t.boxes[0], {1}) == 1);  // still there, and acked once
    kept_expected = false;
  }
  SECTION("a mailbox deletion") {
    CHECK(AwaitStatus([&](auto done) {
            f.store().DeleteMailbox(t.boxes[0], std::move(done));
          }).code() == Code::kUnavailable);
    CHECK(f.Send(t.boxes[0], t.tokens[0], "still here").ok());
  }
  SECTION("a mailbox creation spends no invite use") {
    f.faults().FailNextWrites(0);
    const std::string invite = f.NewInvite(1);
    f.faults().FailNextWrites(1);
    auto failed = Await<MailboxId>(
        [&](auto done) { f.store().CreateMailbox(invite, TestAuthKey(), std::move(done)); });
    CHECK(failed.status().code() == Code::kUnavailable);
    auto retried = Await<MailboxId>(
        [&](auto done) { f.store().CreateMailbox(invite, TestAuthKey(), std::move(done)); });
    CHECK(retried.ok());
  }
  const auto queue = f.Queue(t.boxes[0]);
  if (kept_expected) {
    REQUIRE_FALSE(queue.empty());
    CHECK(*queue.front().envelope == "kept");
  }
  CHECK(f.store().counters().commit_failures >= 1);
  f.ExpectClean();
  f.Reopen();
  f.ExpectClean();
}

TEST_CASE("a full disk refuses writes until space comes back", "[store][faults]") {
  TwoBoxes t;
  StoreFixture& f = t.f;
  REQUIRE(f.Send(t.boxes[0], t.tokens[0], "before").ok());
  f.faults().SetSpaceLeft(100);
  for (int i = 0; i < 3; ++i) {
    CHECK(f.Send(t.boxes[0], t.tokens[0], std::string(200, 'x')).status().code() ==
          Code::kUnavailable);
  }
  f.faults().SetUnlimitedSpace();
  CHECK(*f.Send(t.boxes[0], t.tokens[0], "after") == 2);
  CHECK(f.Queue(t.boxes[0]).size() == 2);
  f.ExpectClean();
}

TEST_CASE("below the free-space reserve writes are refused before they reach the disk",
          "[store][faults]") {
  StoreOptions options;
  options.min_free_bytes = 4096;
  TwoBoxes t(StoreFixture::Backend::kRocks, options);
  StoreFixture& f = t.f;
  REQUIRE(f.Send(t.boxes[0], t.tokens[0], "before").ok());
  const std::uint64_t writes = f.faults().writes();
  f.faults().SetSpaceLeft(4000);
  auto refused = f.Send(t.boxes[0], t.tokens[0], "x");
  CHECK(refused.status().code() == Code::kUnavailable);
  CHECK(refused.status().message().find("disk full") != std::string::npos);
  CHECK(f.faults().writes() == writes);  // refused before the key-value store
  CHECK(f.store().counters().disk_full_refusals == 1);
  CHECK(f.store().counters().commit_failures == 0);
  CHECK(f.store().counters().writable);
  f.faults().SetUnlimitedSpace();
  CHECK(*f.Send(t.boxes[0], t.tokens[0], "after") == 2);
  f.ExpectClean();
}

TEST_CASE("after a failed write the store is reopened and rebuilt before it writes again",
          "[store][faults]") {
  TwoBoxes t;
  StoreFixture& f = t.f;
  REQUIRE(*f.Send(t.boxes[0], t.tokens[0], "one") == 1);
  f.faults().SimulatePowerCut();  // every write and every reopen fails until PowerOn
  CHECK(f.Send(t.boxes[0], t.tokens[0], "lost").status().code() == Code::kUnavailable);
  CHECK_FALSE(f.store().counters().writable);
  // Within the retry interval nothing is tried: the answer comes without a write.
  const std::uint64_t writes = f.faults().writes();
  CHECK(f.Send(t.boxes[1], t.tokens[1], "refused").status().code() == Code::kUnavailable);
  CHECK(f.faults().writes() == writes);
  f.faults().PowerOn();
  Status resumed = Status::Unavailable("not tried");
  for (int i = 0; i < 40 && !resumed.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    resumed = f.Send(t.boxes[0], t.tokens[0], "two").status();
  }
  REQUIRE(resumed.ok());
  CHECK(f.store().counters().recoveries == 1);
  CHECK(f.store().counters().writable);
  CHECK(f.Queue(t.boxes[0]).size() == 2);
  CHECK(f.Queue(t.boxes[1]).empty());
  CHECK(*f.Send(t.boxes[0], t.tokens[0], "three") == 3);  // seqs go on from the database
  f.ExpectClean();
}

TEST_CASE("a rebuild that fails halfway still knows the seqs given before it", "[store][faults]") {
  StoreOptions options;
  options.sweep_interval_ms = 3'600'000;  // no sweep batch to recover before the test's
  TwoBoxes t(StoreFixture::Backend::kRocks, options);
  StoreFixture& f = t.f;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    REQUIRE(*f.Send(t.boxes[0], t.tokens[0], "e") == seq);
  }
  // The queue is empty again and the state record counted none of the three.
  REQUIRE(*f.Ack(t.boxes[0], {1, 2, 3}) == 3);
  REQUIRE(f.Queue(t.boxes[0]).empty());
  f.faults().FailNextWrites(1);
  CHECK(f.Send(t.boxes[1], t.tokens[1], "failed").status().code() == Code::kUnavailable);
  // The first rebuild reads the mailbox records, then fails reading the queue tails.
  f.faults().FailScans(/*skip=*/1, /*n=*/1);
  CHECK(f.Send(t.boxes[0], t.tokens[0], "refused").status().code() == Code::kUnavailable);
  CHECK(f.store().counters().recoveries == 0);
  // Meanwhile readers still know both mailboxes: an owner is not told its mailbox is gone.
  CHECK(f.store().GetMailbox(t.boxes[0]).ok());
  CHECK(f.store().GetMailbox(t.boxes[1]).ok());
  Result<std::uint64_t> seq = Status::Unavailable("not tried");
  for (int i = 0; i < 40 && !seq.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seq = f.Send(t.boxes[0], t.tokens[0], "four");
  }
  REQUIRE(seq.ok());
  CHECK(f.store().counters().recoveries == 1);
  CHECK(*seq == 4);  // not 1 again: a subscriber has already acked 1
  CHECK(*f.Send(t.boxes[1], t.tokens[1], "one") == 1);
  f.ExpectClean();
}

// Appends from several threads until the power goes at a random moment; returns what was
// answered Stored, per mailbox in seq order.
std::map<MailboxId, std::vector<std::uint64_t>> WriteThenCutPower(TwoBoxes& t, std::mt19937_64& rng,
                                                                  bool writeback) {
  std::mutex mutex;
  std::map<MailboxId, std::vector<std::uint64_t>> acked;
  std::atomic<int> answers{0};
  std::atomic<int> unexpected{0};  // Catch2 assertions are for the main thread only
  const int cut_after = static_cast<int>(rng() % 150);
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 80; ++i) {
        const std::size_t b = static_cast<std::size_t>(w + i) % 2;
        auto seq = t.f.Send(t.boxes[b], t.tokens[b], std::string(1 + i % 50, 'e'));
        ++answers;
        if (!seq.ok()) {
          unexpected += seq.status().code() != Code::kUnavailable;
          continue;
        }
        std::lock_guard lock(mutex);
        acked[t.boxes[b]].push_back(*seq);
      }
    });
  }
  while (answers < cut_after) {
    // The kernel writes dirty pages back now and then.
    if (writeback && rng() % 10 == 0) REQUIRE(t.f.faults().NewStore()->SyncWal().ok());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  t.f.faults().SimulatePowerCut();
  for (auto& w : writers) w.join();
  CHECK(unexpected == 0);
  for (auto& [box, seqs] : acked) std::sort(seqs.begin(), seqs.end());
  return acked;
}

std::vector<std::uint64_t> SeqsOf(StoreFixture& f, const MailboxId& box) {
  std::vector<std::uint64_t> seqs;
  for (const QueuedEntry& e : f.Queue(box)) seqs.push_back(e.seq);
  return seqs;
}

TEST_CASE("power cuts with fsync durability lose nothing answered Stored", "[store][faults]") {
  std::mt19937_64 rng(2024);
  for (int round = 0; round < 50; ++round) {
    INFO("round " << round);
    TwoBoxes t(StoreFixture::Backend::kMemory);
    const auto acked = WriteThenCutPower(t, rng, /*writeback=*/false);
    t.f.Close();
    t.f.faults().PowerOn();
    t.f.Reopen();
    for (std::size_t b = 0; b < 2; ++b) {
      const auto it = acked.find(t.boxes[b]);
      const std::vector<std::uint64_t> expected =
          it == acked.end() ? std::vector<std::uint64_t>{} : it->second;
      CHECK(SeqsOf(t.f, t.boxes[b]) == expected);
    }
    t.f.ExpectClean();
  }
}

// proto/SPEC.md 5.5: an Ack is written to the log but not fsync'd; the next synced
// commit (any Send) carries it to the disk. A power cut before that brings the acked
// entries back, to be delivered again (at least once), and loses nothing Stored.
TEST_CASE("with fsync durability an Ack alone is not synced, and the next Send makes it durable",
          "[store][faults]") {
  SECTION("a power cut right after the Ack brings the acked entries back") {
    TwoBoxes t(StoreFixture::Backend::kMemory);
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      REQUIRE(*t.f.Send(t.boxes[0], t.tokens[0], "e") == seq);
    }
    REQUIRE(*t.f.Ack(t.boxes[0], {1, 2}) == 2);
    CHECK(SeqsOf(t.f, t.boxes[0]) == std::vector<std::uint64_t>{3});
    t.f.faults().SimulatePowerCut();
    CHECK(t.f.faults().dropped_writes() == 1);  // the Ack's commit, and nothing else
    t.f.Close();
    t.f.faults().PowerOn();
    t.f.Reopen();
    CHECK(SeqsOf(t.f, t.boxes[0]) == std::vector<std::uint64_t>{1, 2, 3});
    t.f.ExpectClean();
  }
  SECTION("a Send after the Ack, to any mailbox, syncs it") {
    TwoBoxes t(StoreFixture::Backend::kMemory);
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      REQUIRE(*t.f.Send(t.boxes[0], t.tokens[0], "e") == seq);
    }
    REQUIRE(*t.f.Ack(t.boxes[0], {1, 2}) == 2);
    REQUIRE(*t.f.Send(t.boxes[1], t.tokens[1], "other") == 1);
    t.f.faults().SimulatePowerCut();
    CHECK(t.f.faults().dropped_writes() == 0);
    t.f.Close();
    t.f.faults().PowerOn();
    t.f.Reopen();
    CHECK(SeqsOf(t.f, t.boxes[0]) == std::vector<std::uint64_t>{3});
    CHECK(SeqsOf(t.f, t.boxes[1]) == std::vector<std::uint64_t>{1});
    t.f.ExpectClean();
  }
}

TEST_CASE("power cuts with WAL durability lose only a suffix of the commits", "[store][faults]") {
  StoreOptions options;
  options.durability = Durability::kWal;
  std::mt19937_64 rng(7);
  int rounds_with_losses = 0;
  for (int round = 0; round < 50; ++round) {
    INFO("round " << round);
    TwoBoxes t(StoreFixture::Backend::kMemory, options);
    REQUIRE(t.f.faults().NewStore()->SyncWal().ok());  // the setup is on disk
    const auto acked = WriteThenCutPower(t, rng, /*writeback=*/true);
    rounds_with_losses += t.f.faults().dropped_writes() > 0;
    t.f.Close();
    t.f.faults().PowerOn();
    t.f.Reopen();
    for (std::size_t b = 0; b < 2; ++b) {
      const auto it = acked.find(t.boxes[b]);
      const std::vector<std::uint64_t> answered =
          it == acked.end() ? std::vector<std::uint64_t>{} : it->second;
      const std::vector<std::uint64_t> kept = SeqsOf(t.f, t.boxes[b]);
      REQUIRE(kept.size() <= answered.size());
      CHECK(std::equal(kept.begin(), kept.end(), answered.begin()));  // a prefix
      auto next = t.f.Send(t.boxes[b], t.tokens[b], "after");
      REQUIRE(next.ok());
      CHECK(*next > (kept.empty() ? 0 : kept.back()));
    }
    t.f.ExpectClean();
  }
  CHECK(rounds_with_losses > 0);  // the cut did bite
}

TEST_CASE("Check finds damage done behind the store's back", "[store][faults]") {
  TwoBoxes t;
  StoreFixture& f = t.f;
  REQUIRE(f.Send(t.boxes[0], t.tokens[0], "envelope").ok());
  auto handle = f.PutBlob("body");
  REQUIRE(*f.SendViews(*handle, t.Views()) == std::vector<Code>(2, Code::kOk));
  f.ExpectClean();
  WriteBatch damage;
  std::string expected;
  SECTION("a blob deleted") {
    damage.Delete(Cf::kBlob, Bytes(*handle));
    expected = "view of a missing blob";
  }
  SECTION("a queue entry deleted") {
    damage.Delete(Cf::kQueue, QueueKey(t.boxes[0], 1));
    expected = "expiry index record of a missing queue record";
  }
  SECTION("the view index deleted") {
    damage.DeleteRange(Cf::kBlobViews, Bytes(*handle), PrefixEnd(Bytes(*handle)));
    expected = "view missing from its blob's view index";
  }
  SECTION("an orphan pre-key") {
    MailboxId unknown{};
    damage.Put(Cf::kPrekey, OneTimePrekeyKey(unknown, 1), "k");
    expected = "pre-key of an unknown mailbox";
  }
  SECTION("a garbled entry") {
    damage.Put(Cf::kQueue, QueueKey(t.boxes[1], 77), "x");
    expected = "malformed queue entry";
  }
  REQUIRE(f.kv().Write(damage, true).ok());
  auto report = f.store().Check();
  REQUIRE(report.ok());
  REQUIRE_FALSE(report->ok());
  bool found = false;
  for (const std::string& p : report->problems) found |= p.find(expected) != std::string::npos;
  INFO(report->problems.front());
  CHECK(found);
  CHECK(report->entries_checked > 0);
}

}  // namespace
}  // namespace tocsin::relay::test
