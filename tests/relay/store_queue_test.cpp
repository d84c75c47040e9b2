// Queues, blobs and views, acks, expiry and mailbox deletion (RocksDB).
#include <catch2/catch.hpp>

#include "store/records.h"
#include "store_test_util.h"

namespace tocsin::relay::test {
namespace {

std::vector<std::uint64_t> Seqs(const std::vector<QueuedEntry>& entries) {
  std::vector<std::uint64_t> seqs;
  for (const QueuedEntry& e : entries) seqs.push_back(e.seq);
  return seqs;
}

TEST_CASE("entries come back in order with seqs that grow across reopen", "[store][queue]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  for (int i = 1; i <= 3; ++i) REQUIRE(*f.Send(box, token, std::to_string(i)) == std::uint64_t(i));
  REQUIRE(*f.Ack(box, {1, 2, 3}) == 3);
  f.Reopen();
  // Never reused, even when acked: the numbering may skip ahead after a reopen.
  const std::uint64_t resumed = *f.Send(box, token, "after reopen");
  CHECK(resumed > 3);
  CHECK(resumed <= 3 + kMaxUnsavedSeqs);
  CHECK(*f.Send(box, token, "again") == resumed + 1);
  const auto entries = f.Queue(box);
  REQUIRE(entries.size() == 2);
  CHECK(*entries[0].envelope == "after reopen");
  CHECK(*entries[1].envelope == "again");
  CHECK(entries[0].mailbox == box);
  CHECK(entries[0].expires_at_ms == f.clock().now + 3600 * 1000);
  CHECK(Seqs(f.Queue(box, resumed)) == std::vector<std::uint64_t>{resumed + 1});
  std::vector<QueuedEntry> one;
  REQUIRE(f.store().ReadQueue(box, 0, 1, &one).ok());
  CHECK(Seqs(one) == std::vector<std::uint64_t>{resumed});
  CHECK(f.store().GetMailbox(box)->queued == 2);
  f.ExpectClean();
}

TEST_CASE("an ack of recent entries rewrites no state record, and no seq comes twice after it",
          "[store][queue]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  const auto record = [&] {
    std::string value;
    REQUIRE(f.kv().Get(Cf::kMailbox, MailboxKey(box, kStateRecord), &value).ok());
    return value;
  };
  for (int i = 1; i <= 3; ++i) REQUIRE(*f.Send(box, token, std::to_string(i)) == std::uint64_t(i));
  const std::string before = record();
  REQUIRE(*f.Ack(box, {2, 3}) == 2);
  CHECK(record() == before);  // two tombstones, nothing else
  CHECK(f.store().GetMailbox(box)->queued == 1);
  f.ExpectClean();
  f.Reopen();
  CHECK(f.store().GetMailbox(box)->queued == 1);  // the record's usage and the tail left
  CHECK(Seqs(f.Queue(box)) == std::vector<std::uint64_t>{1});
  const std::uint64_t resumed = *f.Send(box, token, "after reopen");
  CHECK(resumed > 3);  // 2 and 3 left no trace, and are not given again
  // That append passed the record by kMaxUnsavedSeqs, so the record came with it.
  const std::string after_append = record();
  CHECK(after_append != before);
  // Entry 1 is below the record's next seq now: the record counts it, so its ack
  // rewrites the record.
  REQUIRE(*f.Ack(box, {1}) == 1);
  CHECK(record() != after_append);
  f.Reopen();
  CHECK(f.store().GetMailbox(box)->queued == 1);
  CHECK(Seqs(f.Queue(box)) == std::vector<std::uint64_t>{resumed});
  CHECK(*f.Send(box, token, "again") > resumed);
  f.ExpectClean();
}

TEST_CASE("ack deletes exactly the acked entries and ignores unknown seqs", "[store][queue]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const MailboxId other = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  const Token other_token = f.AddToken(other, TokenClass::kContact);
  for (int i = 0; i < 5; ++i) REQUIRE(f.Send(box, token, "m").ok());
  REQUIRE(f.Send(other, other_token, "o").ok());
  CHECK(*f.Ack(box, {2, 4, 4, 99, 0}) == 2);
  CHECK(Seqs(f.Queue(box)) == std::vector<std::uint64_t>{1, 3, 5});
  CHECK(*f.Ack(box, {2}) == 0);  // already gone
  CHECK(f.Queue(other).size() == 1);
  f.Reopen();
  CHECK(Seqs(f.Queue(box)) == std::vector<std::uint64_t>{1, 3, 5});
  f.ExpectClean();
}

TEST_CASE("the stored listener sees entries after their commit, before the answer",
          "[store][queue]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  std::vector<std::uint64_t> seen;
  f.store().SetStoredListener([&](std::span<const QueuedEntry> entries) {
    for (const QueuedEntry& e : entries) seen.push_back(e.seq);
  });
  auto seq = Await<std::uint64_t>([&](auto done) {
    f.store().Append(box, token, "hello", 60, [&, done](Result<std::uint64_t> r) {
      CHECK(seen.size() == 1);  // the listener ran first
      done(std::move(r));
    });
  });
  REQUIRE(seq.ok());
  CHECK(seen == std::vector<std::uint64_t>{*seq});
}

TEST_CASE("expired envelopes are not read and the sweeper deletes them", "[store][queue][sweep]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  REQUIRE(f.Send(box, token, "short", 10).ok());
  REQUIRE(f.Send(box, token, "long", 100).ok());
  f.clock().Advance(10'000);
  CHECK(Seqs(f.Queue(box)) == std::vector<std::uint64_t>{2});
  CHECK(f.Sweep() == 1);
  CHECK(f.store().GetMailbox(box)->queued == 1);
  CHECK(f.store().counters().entries_expired == 1);
  f.ExpectClean();
  f.clock().Advance(90'000);
  CHECK(f.Sweep() == 1);
  CHECK(f.Sweep() == 0);
  CHECK(f.store().Stats()->queued_entries == 0);
  f.ExpectClean();
}

TEST_CASE("a TTL of 0 or over the cap is the cap", "[store][queue]") {
  StoreOptions options;
  options.max_ttl_seconds = 100;
  StoreFixture f(StoreFixture::Backend::kRocks, options);
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  REQUIRE(f.Send(box, token, "zero", 0).ok());
  REQUIRE(f.Send(box, token, "over", 1000).ok());
  for (const QueuedEntry& e : f.Queue(box)) CHECK(e.expires_at_ms == f.clock().now + 100'000);
}

struct ViewsFixture {
  explicit ViewsFixture(std::size_t n, StoreOptions options = {})
      : f(StoreFixture::Backend::kRocks, std::move(options)) {
    for (std::size_t i = 0; i < n; ++i) {
      boxes.push_back(f.NewMailbox());
      tokens.push_back(f.AddToken(boxes.back(), TokenClass::kAlert));
    }
  }
  std::vector<ViewRequest> Views(std::size_t from, std::size_t to) {
    std::vector<ViewRequest> views;
    for (std::size_t i = from; i < to; ++i) {
      views.push_back(
          ViewRequest{boxes[i], tokens[i], View(static_cast<std::uint8_t>(i)), std::nullopt});
    }
    return views;
  }
  StoreFixture f;
  std::vector<MailboxId> boxes;
  std::vector<Token> tokens;
};

TEST_CASE("views share one stored blob and expire with it", "[store][views]") {
  ViewsFixture v(3);
  auto handle = v.f.PutBlob("the body", 60);
  REQUIRE(handle.ok());
  auto codes = v.f.SendViews(*handle, v.Views(0, 3));
  REQUIRE(codes.ok());
  CHECK(*codes == std::vector<Code>(3, Code::kOk));
  const auto first = v.f.Queue(v.boxes[0]);
  const auto second = v.f.Queue(v.boxes[1]);
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  CHECK(*first[0].blob == "the body");
  CHECK(first[0].blob.get() == second[0].blob.get());  // one string for every view
  CHECK(first[0].view == View(0));
  CHECK(first[0].envelope == nullptr);
  CHECK(first[0].expires_at_ms == v.f.clock().now + 60'000);
  v.f.ExpectClean();
  v.f.clock().Advance(60'000);
  CHECK(v.f.Queue(v.boxes[0]).empty());
  CHECK(v.f.Sweep() == 3);
  auto stats = v.f.store().Stats();
  CHECK(stats->blobs == 0);
  CHECK(stats->queued_entries == 0);
  v.f.ExpectClean();
  auto late = v.f.SendViews(*handle, v.Views(0, 1));
  CHECK(late.status().code() == Code::kNotFound);
}

TEST_CASE("SendViews answers per view and refuses bad handles and sizes", "[store][views]") {
  StoreOptions options;
  options.max_views_per_blob = 4;
  options.quotas[ClassIndex(TokenClass::kAlert)] = ClassQuota{1, 0, 0, 0, 0};
  ViewsFixture v(6, options);
  auto handle = v.f.PutBlob("body", 60);
  REQUIRE(handle.ok());
  SECTION("unknown handle") {
    BlobHandle unknown{};
    CHECK(v.f.SendViews(unknown, v.Views(0, 1)).status().code() == Code::kNotFound);
  }
  SECTION("expired handle") {
    v.f.clock().Advance(60'000);
    CHECK(v.f.SendViews(*handle, v.Views(0, 1)).status().code() == Code::kNotFound);
  }
  SECTION("per-view errors") {
    auto views = v.Views(0, 4);
    views[1].view = "short";                // wrong size
    views[2].token = RandomToken(v.f.rng);  // wrong token
    views[3].mailbox = views[0].mailbox;    // named twice: the later one
    auto codes = v.f.SendViews(*handle, views);
    REQUIRE(codes.ok());
    CHECK(*codes ==
          std::vector<Code>{Code::kOk, Code::kBadFrame, Code::kUnauthorized, Code::kBadFrame});
    MailboxId unknown{};
    codes = v.f.SendViews(*handle, {ViewRequest{unknown, v.tokens[0], View(1), std::nullopt}});
    CHECK(*codes == std::vector<Code>{Code::kNotFound});
  }
  SECTION("class quota per view") {
    auto other = v.f.PutBlob("other", 60);
    REQUIRE(*v.f.SendViews(*handle, v.Views(0, 1)) == std::vector<Code>{Code::kOk});
    CHECK(*v.f.SendViews(*other, v.Views(0, 1)) == std::vector<Code>{Code::kQuotaExceeded});
  }
  SECTION("a retry queues nothing twice, even after a reopen or an ack") {
    REQUIRE(*v.f.SendViews(*handle, v.Views(0, 2)) == std::vector<Code>(2, Code::kOk));
    REQUIRE(*v.f.Ack(v.boxes[1], {v.f.Queue(v.boxes[1])[0].seq}) == 1);
    v.f.Reopen();
    CHECK(*v.f.SendViews(*handle, v.Views(0, 3)) == std::vector<Code>(3, Code::kOk));
    CHECK(v.f.Queue(v.boxes[0]).size() == 1);
    CHECK(v.f.Queue(v.boxes[1]).empty());
    CHECK(v.f.Queue(v.boxes[2]).size() == 1);
  }
  SECTION("max views per blob") {
    REQUIRE(*v.f.SendViews(*handle, v.Views(0, 3)) == std::vector<Code>(3, Code::kOk));
    CHECK(v.f.SendViews(*handle, v.Views(3, 5)).status().code() == Code::kTooLarge);
    CHECK(*v.f.SendViews(*handle, v.Views(0, 4)) == std::vector<Code>(4, Code::kOk));
    CHECK(v.f.SendViews(*handle, v.Views(4, 5)).status().code() == Code::kTooLarge);
  }
  v.f.ExpectClean();
}

TEST_CASE("a view counts its blob against the byte quota", "[store][views]") {
  StoreOptions options;
  options.quotas[ClassIndex(TokenClass::kAlert)] = ClassQuota{0, 48 + 100, 0, 0, 0};
  ViewsFixture v(1, options);
  auto small = v.f.PutBlob(std::string(100, 'b'), 60);
  auto big = v.f.PutBlob(std::string(101, 'b'), 60);
  CHECK(*v.f.SendViews(*big, v.Views(0, 1)) == std::vector<Code>{Code::kQuotaExceeded});
  CHECK(*v.f.SendViews(*small, v.Views(0, 1)) == std::vector<Code>{Code::kOk});
  auto stats = v.f.store().Stats();
  CHECK(stats->queued_bytes == 148);
  CHECK(stats->blob_bytes == 201);
  v.f.ExpectClean();
}

TEST_CASE("DeleteMailbox removes everything of it, views included", "[store][queue]") {
  ViewsFixture v(2);
  StoreFixture& f = v.f;
  const MailboxId box = v.boxes[0];
  REQUIRE(f.Send(box, v.tokens[0], "envelope").ok());
  auto handle = f.PutBlob("body", 60);
  REQUIRE(*f.SendViews(*handle, v.Views(0, 2)) == std::vector<Code>(2, Code::kOk));
  auto acked_blob = f.PutBlob("acked", 60);
  REQUIRE(*f.SendViews(*acked_blob, v.Views(0, 1)) == std::vector<Code>{Code::kOk});
  REQUIRE(*f.Ack(box, {f.Queue(box).back().seq}) == 1);
  PrekeyUpload upload;
  upload.signed_prekey = SignedPrekey{1, std::string(33, 'k'), std::string(64, 's')};
  upload.one_time.push_back(OneTimePrekey{5, std::string(33, 'o')});
  REQUIRE(Await<std::uint32_t>([&](auto done) {
            f.store().PutPrekeys(box, upload, std::move(done));
          }).ok());
  REQUIRE(AwaitStatus([&](auto done) { f.store().DeleteMailbox(box, std::move(done)); }).ok());
  CHECK(f.store().GetMailbox(box).status().code() == Code::kNotFound);
  CHECK(f.Send(box, v.tokens[0], "x").status().code() == Code::kNotFound);
  CHECK(f.Queue(v.boxes[1]).size() == 1);  // the other mailbox keeps its view
  f.ExpectClean();
  f.Reopen();
  CHECK(f.store().GetMailbox(box).status().code() == Code::kNotFound);
  auto stats = f.store().Stats();
  CHECK(stats->mailboxes == 1);
  CHECK(stats->one_time_prekeys == 0);
  f.ExpectClean();
}

TEST_CASE("Stats counts what is stored", "[store]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  const std::uint64_t stored_at = f.clock().now;
  REQUIRE(f.Send(box, token, "12345").ok());
  f.clock().Advance(1000);
  REQUIRE(f.Send(box, token, "678").ok());
  f.NewInvite(2);
  auto stats = f.store().Stats();
  REQUIRE(stats.ok());
  CHECK(stats->mailboxes == 1);
  CHECK(stats->queued_entries == 2);
  CHECK(stats->queued_bytes == 8);
  CHECK(stats->invites == 1);
  CHECK(stats->oldest_entry_ms == stored_at);
  const StoreCounters counters = f.store().counters();
  CHECK(counters.entries_stored == 2);
  CHECK(counters.bytes_stored == 8);
  CHECK(counters.commits >= 6);
  CHECK(counters.commit_failures == 0);
}

}  // namespace
}  // namespace tocsin::relay::test
