// Invites, mailboxes and delivery tokens of MailboxStore (RocksDB in a temporary folder).
#include <catch2/catch.hpp>

#include "store_test_util.h"

namespace tocsin::relay::test {
namespace {

Result<MailboxId> CreateWith(StoreFixture& f, const std::string& invite) {
  return Await<MailboxId>(
      [&](auto done) { f.store().CreateMailbox(invite, TestAuthKey(3), std::move(done)); });
}

TEST_CASE("open fails with IO_ERROR when the parent folder is missing", "[store]") {
  TempDir temp;
  auto store =
      MailboxStore::Open(temp.Sub("missing/db"), TestOptions(std::make_shared<TestClock>()));
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == Code::kIoError);
}

TEST_CASE("a second open of a serving store is refused by its lock", "[store]") {
  TempDir temp;
  auto options = TestOptions(std::make_shared<TestClock>());
  auto first = MailboxStore::Open(temp.Sub("db"), options);
  REQUIRE(first.ok());
  auto second = MailboxStore::Open(temp.Sub("db"), options);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == Code::kIoError);
}

TEST_CASE("a mailbox opened with an invite keeps its auth key across reopen", "[store]") {
  StoreFixture f;
  const std::string invite = f.NewInvite();
  CHECK(invite.size() == kInviteSize);
  auto id = CreateWith(f, invite);
  REQUIRE(id.ok());
  f.Reopen();
  auto info = f.store().GetMailbox(*id);
  REQUIRE(info.ok());
  CHECK(info->auth_key == TestAuthKey(3));
  CHECK(info->queued == 0);
  f.ExpectClean();
}

TEST_CASE("invites refuse unknown, used up and expired, and count multi-use", "[store]") {
  StoreFixture f;
  const std::uint64_t now = f.clock().now;
  struct Row {
    const char* name;
    std::uint32_t uses;
    std::uint64_t expires;
    int creates_ok;
    Code then;
  };
  const Row rows[] = {
      {"single use", 1, 0, 1, Code::kUnauthorized},
      {"three uses", 3, 0, 3, Code::kUnauthorized},
      {"expiring later", 2, now + 60'000, 2, Code::kUnauthorized},
  };
  for (const Row& row : rows) {
    SECTION(row.name) {
      const std::string invite = f.NewInvite(row.uses, row.expires);
      for (int i = 0; i < row.creates_ok; ++i) CHECK(CreateWith(f, invite).ok());
      auto refused = CreateWith(f, invite);
      REQUIRE_FALSE(refused.ok());
      CHECK(refused.status().code() == row.then);
    }
  }
  SECTION("unknown invite") {
    auto r = CreateWith(f, std::string(kInviteSize, 'x'));
    CHECK(r.status().code() == Code::kUnauthorized);
  }
  SECTION("invite of the wrong size") {
    CHECK(CreateWith(f, "short").status().code() == Code::kUnauthorized);
  }
  SECTION("expired invite") {
    const std::string invite = f.NewInvite(5, now + 1000);
    f.clock().Advance(1000);
    CHECK(CreateWith(f, invite).status().code() == Code::kExpired);
  }
  SECTION("an invite needs a use") {
    auto r = Await<std::string>([&](auto done) { f.store().CreateInvite(0, 0, std::move(done)); });
    CHECK(r.status().code() == Code::kInvalidArgument);
  }
  f.ExpectClean();
}

TEST_CASE("an unknown mailbox is NOT_FOUND everywhere", "[store]") {
  StoreFixture f;
  MailboxId unknown{};
  unknown.fill(9);
  CHECK(f.store().GetMailbox(unknown).status().code() == Code::kNotFound);
  std::vector<QueuedEntry> out;
  CHECK(f.store().ReadQueue(unknown, 0, 10, &out).code() == Code::kNotFound);
  CHECK(f.Send(unknown, Token{}, "x").status().code() == Code::kNotFound);
  CHECK(f.Ack(unknown, {1}).status().code() == Code::kNotFound);
  CHECK(AwaitStatus([&](auto done) { f.store().DeleteMailbox(unknown, std::move(done)); }).code() ==
        Code::kNotFound);
  auto set =
      Await<std::uint32_t>([&](auto done) { f.store().SetTokens(unknown, {}, std::move(done)); });
  CHECK(set.status().code() == Code::kNotFound);
}

TEST_CASE("tokens: wrong, expired, and over the count of tokens", "[store][tokens]") {
  StoreOptions options;
  options.max_tokens_per_mailbox = 2;
  StoreFixture f(StoreFixture::Backend::kRocks, options);
  const MailboxId box = f.NewMailbox();
  const Token good = f.AddToken(box, TokenClass::kContact);
  const Token short_lived = f.AddToken(box, TokenClass::kContact, /*ttl_seconds=*/10);
  CHECK(f.Send(box, good, "a").ok());
  CHECK(f.Send(box, RandomToken(f.rng), "b").status().code() == Code::kUnauthorized);
  CHECK(f.Send(box, short_lived, "c").ok());
  f.clock().Advance(10'000);
  CHECK(f.Send(box, short_lived, "d").status().code() == Code::kExpired);
  f.AddToken(box, TokenClass::kAlert);  // the expired one does not count
  auto over = Await<std::uint32_t>([&](auto done) {
    f.store().SetTokens(box, {TokenEntry{TokenClass::kAlert, HashToken(RandomToken(f.rng)), 0}},
                        std::move(done));
  });
  CHECK(over.status().code() == Code::kQuotaExceeded);
  f.ExpectClean();
}

TEST_CASE("intro tokens expire by their class default TTL and run out of sends",
          "[store][tokens]") {
  StoreOptions options;
  options.quotas[ClassIndex(TokenClass::kIntro)] = ClassQuota{5, 256 * 1024, 2, 1, 3600};
  StoreFixture f(StoreFixture::Backend::kRocks, options);
  const MailboxId box = f.NewMailbox();
  const Token intro = f.AddToken(box, TokenClass::kIntro);
  CHECK(f.Send(box, intro, "1").ok());
  f.Reopen();  // the send count is durable
  CHECK(f.Send(box, intro, "2").ok());
  CHECK(f.Send(box, intro, "3").status().code() == Code::kQuotaExceeded);
  const Token later = f.AddToken(box, TokenClass::kIntro);
  f.clock().Advance(3600 * 1000);
  CHECK(f.Send(box, later, "4").status().code() == Code::kExpired);
  f.ExpectClean();
}

TEST_CASE("queue quotas per class in messages and bytes", "[store][tokens]") {
  StoreOptions options;
  options.quotas[ClassIndex(TokenClass::kContact)] = ClassQuota{3, 0, 0, 0, 0};
  options.quotas[ClassIndex(TokenClass::kAlert)] = ClassQuota{0, 100, 0, 0, 0};
  StoreFixture f(StoreFixture::Backend::kRocks, options);
  const MailboxId box = f.NewMailbox();
  const Token contact = f.AddToken(box, TokenClass::kContact);
  const Token alert = f.AddToken(box, TokenClass::kAlert);
  SECTION("messages") {
    for (int i = 0; i < 3; ++i) REQUIRE(f.Send(box, contact, "m").ok());
    CHECK(f.Send(box, contact, "m").status().code() == Code::kQuotaExceeded);
    CHECK(f.Send(box, alert, "other class has its own quota").ok());
    REQUIRE(f.Ack(box, {1}).ok());  // acking frees a slot
    CHECK(f.Send(box, contact, "m").ok());
  }
  SECTION("bytes") {
    REQUIRE(f.Send(box, alert, std::string(60, 'a')).ok());
    CHECK(f.Send(box, alert, std::string(41, 'a')).status().code() == Code::kQuotaExceeded);
    CHECK(f.Send(box, alert, std::string(40, 'a')).ok());
    f.Reopen();  // usage is durable
    CHECK(f.Send(box, alert, "x").status().code() == Code::kQuotaExceeded);
  }
  f.ExpectClean();
}

TEST_CASE("rotation: the old token works during its grace, then is EXPIRED", "[store][tokens]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token old_token = f.AddToken(box, TokenClass::kContact);
  const Token new_token = RandomToken(f.rng);
  const std::uint64_t now = f.clock().now;
  struct Row {
    const char* name;
    std::optional<std::uint32_t> grace;
    std::uint64_t ends;
  };
  const Row rows[] = {{"explicit grace", 60, now + 60'000},
                      {"default grace", std::nullopt, now + 24ull * 3600 * 1000},
                      {"grace 0 revokes at once", 0, now}};
  for (const Row& row : rows) {
    SECTION(row.name) {
      auto ends = Await<std::uint64_t>([&](auto done) {
        f.store().RotateToken(box, HashToken(old_token),
                              TokenEntry{TokenClass::kContact, HashToken(new_token), 0}, row.grace,
                              std::move(done));
      });
      REQUIRE(ends.ok());
      CHECK(*ends == row.ends);
      CHECK(f.Send(box, new_token, "new").ok());
      if (row.ends > now) CHECK(f.Send(box, old_token, "old in grace").ok());
      f.clock().now = row.ends;
      CHECK(f.Send(box, old_token, "old after grace").status().code() == Code::kExpired);
      f.Reopen();
      CHECK(f.Send(box, old_token, "old after reopen").status().code() == Code::kExpired);
    }
  }
  SECTION("rotating an unknown token") {
    auto r = Await<std::uint64_t>([&](auto done) {
      f.store().RotateToken(box, HashToken(new_token), TokenEntry{}, 10, std::move(done));
    });
    CHECK(r.status().code() == Code::kNotFound);
  }
  f.ExpectClean();
}

TEST_CASE("RotateToken counts valid tokens / expired ones kept are bounded", "[store][tokens]") {
  StoreOptions options;
  options.max_tokens_per_mailbox = 2;
  StoreFixture f(StoreFixture::Backend::kRocks, options);
  const MailboxId box = f.NewMailbox();
  const Token kept = f.AddToken(box, TokenClass::kAlert);
  Token current = f.AddToken(box, TokenClass::kContact);
  auto rotate = [&](const Token& from, const Token& to, std::optional<std::uint32_t> grace) {
    return Await<std::uint64_t>([&](auto done) {
      f.store().RotateToken(box, HashToken(from),
                            TokenEntry{TokenClass::kContact, HashToken(to), 0}, grace,
                            std::move(done));
    });
  };
  SECTION("a grace keeps the old token valid, so it counts") {
    const Token next = RandomToken(f.rng);
    CHECK(rotate(current, next, 60).status().code() == Code::kQuotaExceeded);
    CHECK(rotate(current, next, std::nullopt).status().code() == Code::kQuotaExceeded);
    CHECK(f.Send(box, current, "old still works").ok());
    CHECK(f.Send(box, next, "never added").status().code() == Code::kUnauthorized);
    CHECK(rotate(current, current, 60).ok());  // rotating to itself adds nothing
    CHECK(rotate(current, next, 0).ok());      // grace 0: one out, one in
    CHECK(f.Send(box, current, "revoked").status().code() == Code::kExpired);
    CHECK(f.Send(box, next, "new").ok());
  }
  SECTION("revocations in a loop keep at most max_tokens_per_mailbox expired records") {
    std::vector<Token> revoked;
    for (int i = 0; i < 20; ++i) {
      const Token next = RandomToken(f.rng);
      REQUIRE(rotate(current, next, 0).ok());
      revoked.push_back(current);
      current = next;
      f.clock().Advance(1);  // distinct expiry times: the oldest is forgotten first
    }
    // Valid: `kept` and `current`; expired and still known: the last two revoked.
    CHECK(f.Send(box, kept, "a").ok());
    CHECK(f.Send(box, current, "b").ok());
    CHECK(f.Send(box, revoked[19], "c").status().code() == Code::kExpired);
    CHECK(f.Send(box, revoked[18], "d").status().code() == Code::kExpired);
    for (int i = 0; i < 18; ++i) {
      CHECK(f.Send(box, revoked[i], "e").status().code() == Code::kUnauthorized);
    }
    f.Reopen();  // the forgotten records are gone from the store too
    CHECK(f.Send(box, revoked[0], "f").status().code() == Code::kUnauthorized);
    CHECK(f.Send(box, revoked[19], "g").status().code() == Code::kExpired);
  }
  SECTION("short-lived tokens set in a loop are bounded the same way") {
    const MailboxId other = f.NewMailbox();
    const Token lasting = f.AddToken(other, TokenClass::kContact);
    std::vector<Token> lapsed;
    for (int i = 0; i < 10; ++i) {
      lapsed.push_back(f.AddToken(other, TokenClass::kIntro, /*ttl_seconds=*/1));
      f.clock().Advance(1000);
    }
    // Records: `lasting`, then three expired ones (two per valid token allowed).
    CHECK(f.Send(other, lapsed[9], "a").status().code() == Code::kExpired);
    CHECK(f.Send(other, lapsed[7], "b").status().code() == Code::kExpired);
    CHECK(f.Send(other, lapsed[6], "c").status().code() == Code::kUnauthorized);
    CHECK(f.Send(other, lapsed[0], "d").status().code() == Code::kUnauthorized);
    CHECK(f.Send(other, lasting, "e").ok());
  }
  f.ExpectClean();
}

TEST_CASE("expired tokens and invites go after their keep time", "[store][tokens][sweep]") {
  StoreOptions options;
  options.expired_keep_ms = 5000;
  StoreFixture f(StoreFixture::Backend::kRocks, options);
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact, 10);
  const std::string invite = f.NewInvite(1, f.clock().now + 10'000);
  f.clock().Advance(10'000);
  f.Sweep();
  CHECK(f.Send(box, token, "x").status().code() == Code::kExpired);
  CHECK(CreateWith(f, invite).status().code() == Code::kExpired);
  f.clock().Advance(5000);
  f.Sweep();
  CHECK(f.Send(box, token, "x").status().code() == Code::kUnauthorized);
  CHECK(CreateWith(f, invite).status().code() == Code::kUnauthorized);
  auto stats = f.store().Stats();
  REQUIRE(stats.ok());
  CHECK(stats->invites == 0);
  f.ExpectClean();
}

}  // namespace
}  // namespace tocsin::relay::test
