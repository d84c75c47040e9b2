// Many writers at once: distinct seqs, order per mailbox, group commit, checkpoints.
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store_test_util.h"

namespace tocsin::relay::test {
namespace {

struct Acked {
  std::mutex mutex;
  std::map<MailboxId, std::vector<std::uint64_t>> seqs;  // in answer order
  std::uint64_t failures = 0;
};

// `threads` threads each append `per_thread` envelopes round-robin over `boxes`, keeping
// up to `window` in flight, and record every answer.
void AppendFromThreads(MailboxStore& store, const std::vector<MailboxId>& boxes,
                       const std::vector<Token>& tokens, int threads, int per_thread, int window,
                       Acked* acked) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mutex m;
      std::condition_variable cv;
      int in_flight = 0;
      for (int i = 0; i < per_thread; ++i) {
        const std::size_t b = static_cast<std::size_t>(t + i) % boxes.size();
        {
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return in_flight < window; });
          ++in_flight;
        }
        store.Append(boxes[b], tokens[b], std::to_string(t * per_thread + i), 600,
                     [&, b](Result<std::uint64_t> seq) {
                       {
                         std::lock_guard lock(acked->mutex);
                         if (seq.ok()) {
                           acked->seqs[boxes[b]].push_back(*seq);
                         } else {
                           ++acked->failures;
                         }
                       }
                       std::lock_guard lock(m);
                       --in_flight;
                       cv.notify_one();
                     });
      }
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return in_flight == 0; });
    });
  }
  for (auto& w : workers) w.join();
}

TEST_CASE("concurrent appends get distinct seqs, in order per mailbox, in few commits",
          "[store][concurrency]") {
  StoreFixture f;
  std::vector<MailboxId> boxes;
  std::vector<Token> tokens;
  for (int i = 0; i < 4; ++i) {
    boxes.push_back(f.NewMailbox());
    tokens.push_back(f.AddToken(boxes.back(), TokenClass::kContact));
  }
  std::mutex listener_mutex;
  std::map<MailboxId, std::vector<std::uint64_t>> pushed;
  f.store().SetStoredListener([&](std::span<const QueuedEntry> entries) {
    std::lock_guard lock(listener_mutex);
    for (const QueuedEntry& e : entries) pushed[e.mailbox].push_back(e.seq);
  });
  const StoreCounters before = f.store().counters();
  Acked acked;
  AppendFromThreads(f.store(), boxes, tokens, 8, 250, 16, &acked);
  const StoreCounters after = f.store().counters();
  CHECK(acked.failures == 0);
  std::size_t total = 0;
  for (const MailboxId& box : boxes) {
    std::vector<std::uint64_t> seqs = acked.seqs[box];
    std::sort(seqs.begin(), seqs.end());
    CHECK(std::adjacent_find(seqs.begin(), seqs.end()) == seqs.end());  // distinct
    CHECK(seqs.front() == 1);
    CHECK(seqs.back() == seqs.size());  // no gaps
    CHECK(pushed[box] == seqs);         // the listener saw them in seq order
    std::vector<std::uint64_t> queued;
    for (const QueuedEntry& e : f.Queue(box)) queued.push_back(e.seq);
    CHECK(queued == seqs);
    total += seqs.size();
  }
  CHECK(total == 2000);
  CHECK(after.committed_ops - before.committed_ops == 2000);
  CHECK(after.commits - before.commits < 2000);  // group commit batched them
  f.ExpectClean();
}

TEST_CASE("a checkpoint taken while writers run opens as a consistent store",
          "[store][concurrency][checkpoint]") {
  StoreFixture f;
  std::vector<MailboxId> boxes;
  std::vector<Token> tokens;
  for (int i = 0; i < 3; ++i) {
    boxes.push_back(f.NewMailbox());
    tokens.push_back(f.AddToken(boxes.back(), TokenClass::kContact));
  }
  Acked before_checkpoint;
  AppendFromThreads(f.store(), boxes, tokens, 2, 50, 4, &before_checkpoint);
  TempDir backups;
  Acked during;
  std::thread writers([&] { AppendFromThreads(f.store(), boxes, tokens, 4, 300, 8, &during); });
  REQUIRE(f.store().Checkpoint(backups.Sub("copy")).ok());
  writers.join();
  CHECK(f.store().Checkpoint(backups.Sub("copy")).code() != Code::kOk);  // must not exist
  auto copy = MailboxStore::Open(backups.Sub("copy"), TestOptions(std::make_shared<TestClock>()));
  REQUIRE(copy.ok());
  auto report = (*copy)->Check();
  REQUIRE(report.ok());
  CHECK(report->ok());
  for (const MailboxId& box : boxes) {
    std::vector<QueuedEntry> entries;
    REQUIRE((*copy)->ReadQueue(box, 0, 100000, &entries).ok());
    CHECK(entries.size() >= before_checkpoint.seqs[box].size());
    for (std::size_t i = 0; i < entries.size(); ++i) CHECK(entries[i].seq == i + 1);
  }
}

TEST_CASE("callbacks of writes after Close answer UNAVAILABLE", "[store][concurrency]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  f.store().Close();
  f.store().Close();  // idempotent
  CHECK(f.Send(box, token, "late").status().code() == Code::kUnavailable);
  CHECK(f.store().GetMailbox(box).status().code() == Code::kUnavailable);
}

TEST_CASE("Close commits what is queued and answers every write", "[store][concurrency]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  std::atomic<int> ok{0};
  std::atomic<int> answered{0};
  for (int i = 0; i < 500; ++i) {
    f.store().Append(box, token, "m", 60, [&](Result<std::uint64_t> r) {
      ok += r.ok();
      ++answered;
    });
  }
  f.store().Close();
  CHECK(answered == 500);
  f.Reopen();
  CHECK(f.Queue(box).size() == static_cast<std::size_t>(ok.load()));
  CHECK(ok == 500);
}

}  // namespace
}  // namespace tocsin::relay::test

namespace tocsin::relay::test {
namespace {

TEST_CASE("the sweeper thread deletes expired entries on its own", "[store][sweep]") {
  StoreOptions options;
  options.sweep_interval_ms = 20;
  StoreFixture f(StoreFixture::Backend::kRocks, options);
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  REQUIRE(f.Send(box, token, "short", 1).ok());
  REQUIRE(f.Send(box, token, "long", 600).ok());
  f.clock().Advance(1000);
  for (int i = 0; i < 500 && f.store().GetMailbox(box)->queued != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(f.store().GetMailbox(box)->queued == 1);
  CHECK(f.store().counters().entries_expired == 1);
  f.ExpectClean();
}

}  // namespace
}  // namespace tocsin::relay::test
