// Pre-keys: uploads, bundles, durable deletion, limits (RocksDB).
#include <catch2/catch.hpp>

#include "store_test_util.h"

namespace tocsin::relay::test {
namespace {

PrekeyUpload Upload(std::vector<std::uint32_t> ids, bool with_signed = true) {
  PrekeyUpload upload;
  upload.registration_id = 77;
  upload.device_id = 1;
  if (with_signed)
    upload.signed_prekey = SignedPrekey{9, std::string(33, 'S'), std::string(64, 's')};
  for (std::uint32_t id : ids)
    upload.one_time.push_back({id, std::string(33, static_cast<char>(id))});
  return upload;
}

Result<std::uint32_t> Put(StoreFixture& f, const MailboxId& box, PrekeyUpload upload) {
  return Await<std::uint32_t>(
      [&](auto done) { f.store().PutPrekeys(box, std::move(upload), std::move(done)); });
}

Result<PrekeyBundle> Take(StoreFixture& f, const MailboxId& box, const Token& token) {
  return Await<PrekeyBundle>(
      [&](auto done) { f.store().TakePrekeyBundle(box, token, std::move(done)); });
}

TEST_CASE("the lowest one-time pre-key is deleted durably before it is returned",
          "[store][prekeys]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  REQUIRE(*Put(f, box, Upload({30, 10, 20})) == 3);
  auto bundle = Take(f, box, token);
  REQUIRE(bundle.ok());
  CHECK(bundle->registration_id == 77);
  CHECK(bundle->signed_prekey.id == 9);
  CHECK(bundle->signed_prekey.signature == std::string(64, 's'));
  REQUIRE(bundle->one_time.has_value());
  CHECK(bundle->one_time->id == 10);
  CHECK(bundle->one_time->public_key == std::string(33, '\x0a'));
  f.Reopen();  // gone for good
  CHECK(f.store().GetMailbox(box)->one_time_prekeys_left == 2);
  CHECK(Take(f, box, token)->one_time->id == 20);
  CHECK(Take(f, box, token)->one_time->id == 30);
  SECTION("then the signed pre-key alone") {
    auto last = Take(f, box, token);
    REQUIRE(last.ok());
    CHECK_FALSE(last->one_time.has_value());
    CHECK(last->signed_prekey.public_key == std::string(33, 'S'));
  }
  f.ExpectClean();
}

TEST_CASE("pre-key fetch errors", "[store][prekeys]") {
  StoreOptions options;
  options.max_one_time_prekeys = 3;
  options.quotas[ClassIndex(TokenClass::kIntro)] = ClassQuota{5, 0, 5, 1, 0};
  StoreFixture f(StoreFixture::Backend::kRocks, options);
  const MailboxId box = f.NewMailbox();
  const Token intro = f.AddToken(box, TokenClass::kIntro);
  SECTION("no signed pre-key ever uploaded") {
    REQUIRE(*Put(f, box, Upload({1}, false)) == 1);
    CHECK(Take(f, box, intro).status().code() == Code::kNotFound);
  }
  SECTION("a wrong token") {
    REQUIRE(Put(f, box, Upload({1})).ok());
    CHECK(Take(f, box, RandomToken(f.rng)).status().code() == Code::kUnauthorized);
  }
  SECTION("an intro token fetches once") {
    REQUIRE(Put(f, box, Upload({1, 2})).ok());
    CHECK(Take(f, box, intro).ok());
    f.Reopen();
    CHECK(Take(f, box, intro).status().code() == Code::kQuotaExceeded);
    const Token contact = f.AddToken(box, TokenClass::kContact);
    CHECK(Take(f, box, contact)->one_time->id == 2);
  }
  SECTION("over the maximum stores nothing") {
    REQUIRE(*Put(f, box, Upload({1, 2})) == 2);
    CHECK(Put(f, box, Upload({3, 4})).status().code() == Code::kQuotaExceeded);
    CHECK(*Put(f, box, Upload({2, 3})) == 3);  // a known id is replaced, not added
    CHECK(f.store().GetMailbox(box)->one_time_prekeys_left == 3);
  }
  SECTION("an unknown mailbox") {
    MailboxId unknown{};
    CHECK(Put(f, unknown, Upload({1})).status().code() == Code::kNotFound);
    CHECK(Take(f, unknown, intro).status().code() == Code::kNotFound);
  }
  f.ExpectClean();
}

TEST_CASE("racing fetches never hand out one pre-key twice", "[store][prekeys]") {
  StoreFixture f;
  const MailboxId box = f.NewMailbox();
  const Token token = f.AddToken(box, TokenClass::kContact);
  REQUIRE(Put(f, box, Upload({1, 2, 3, 4, 5})).ok());
  std::vector<std::promise<Result<PrekeyBundle>>> answers(8);
  for (auto& answer : answers) {
    f.store().TakePrekeyBundle(
        box, token, [&answer](Result<PrekeyBundle> r) { answer.set_value(std::move(r)); });
  }
  std::vector<std::uint32_t> ids;
  int without = 0;
  for (auto& answer : answers) {
    auto r = answer.get_future().get();
    REQUIRE(r.ok());
    if (r->one_time) {
      ids.push_back(r->one_time->id);
    } else {
      ++without;
    }
  }
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::uint32_t>{1, 2, 3, 4, 5});
  CHECK(without == 3);
  f.ExpectClean();
}

}  // namespace
}  // namespace tocsin::relay::test
