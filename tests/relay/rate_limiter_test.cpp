// relay/src/protocol/rate_limiter: the envelope buckets per (mailbox, delivery token)
// and per mailbox, with the clock passed in.
#include "protocol/rate_limiter.h"

#include <catch2/catch.hpp>
#include <cstring>

namespace tocsin::relay {
namespace {

MailboxId Mailbox(std::uint8_t fill) {
  MailboxId id;
  id.fill(fill);
  return id;
}

Token TokenOf(std::uint8_t fill) {
  Token t;
  t.fill(fill);
  t[0] = 0xA5;  // not all one byte, so that a stored raw token would be found below
  return t;
}

DeliveryRates Rates(double token_rate, double token_burst, double mailbox_rate,
                    double mailbox_burst) {
  return DeliveryRates{token_rate, token_burst, mailbox_rate, mailbox_burst};
}

constexpr std::uint64_t kStart = 1'000'000;

TEST_CASE("a token that used its burst waits, and another token of the mailbox does not",
          "[relay][rate]") {
  DeliveryRateLimiter limiter(Rates(1, 3, 1000, 1000));
  const auto flooding = limiter.KeyFor(Mailbox(1), TokenOf(1));
  const auto other = limiter.KeyFor(Mailbox(1), TokenOf(2));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(limiter.Check(flooding, kStart) == 0);
    limiter.Charge(flooding, 1, kStart);
  }
  CHECK(limiter.Check(flooding, kStart) == 1000);  // one token per second
  CHECK(limiter.Check(other, kStart) == 0);
  limiter.Charge(other, 1, kStart);
  CHECK(limiter.Check(other, kStart) == 0);
  const std::uint32_t later = limiter.Check(flooding, kStart + 600);
  CHECK(later > 0);
  CHECK(later <= 401);
  CHECK(limiter.Check(flooding, kStart + 1000) == 0);
}

TEST_CASE("Admit counts what it lets through and refuses past the burst without counting",
          "[relay][rate]") {
  DeliveryRateLimiter limiter(Rates(1, 3, 1000, 1000));
  DeliveryGate& gate = limiter;
  const auto key = limiter.KeyFor(Mailbox(1), TokenOf(1));
  for (int i = 0; i < 3; ++i) CHECK(gate.Admit(key, kStart) == 0);
  CHECK(gate.Admit(key, kStart) == 1000);
  CHECK(limiter.Check(key, kStart) == 1000);
  // A refusal took nothing: one second later exactly one more goes through.
  CHECK(gate.Admit(key, kStart + 1000) == 0);
  CHECK(gate.Admit(key, kStart + 1000) > 0);
}

TEST_CASE("Refund gives an admitted envelope back to both buckets, never past the burst",
          "[relay][rate]") {
  DeliveryRateLimiter limiter(Rates(1, 3, 1, 2));
  DeliveryGate& gate = limiter;
  const auto key = limiter.KeyFor(Mailbox(1), TokenOf(1));
  const auto other = limiter.KeyFor(Mailbox(1), TokenOf(2));
  CHECK(gate.Admit(key, kStart) == 0);
  CHECK(gate.Admit(key, kStart) == 0);
  CHECK(gate.Admit(other, kStart) == 1000);  // the mailbox's burst of 2 is used
  gate.Refund(key, kStart);
  CHECK(gate.Admit(other, kStart) == 0);  // the mailbox's bucket had one back

  // More refunds than admissions: the bucket stops at its burst.
  DeliveryRateLimiter roomy(Rates(1, 3, 1000, 1000));
  const auto k = roomy.KeyFor(Mailbox(2), TokenOf(1));
  CHECK(roomy.Admit(k, kStart) == 0);
  for (int i = 0; i < 5; ++i) roomy.Refund(k, kStart);
  for (int i = 0; i < 3; ++i) CHECK(roomy.Admit(k, kStart) == 0);
  CHECK(roomy.Admit(k, kStart) == 1000);
}

TEST_CASE("the mailbox's total bucket limits many tokens together", "[relay][rate]") {
  DeliveryRateLimiter limiter(Rates(1000, 1000, 2, 4));
  for (std::uint8_t t = 1; t <= 4; ++t) {
    const auto key = limiter.KeyFor(Mailbox(1), TokenOf(t));
    REQUIRE(limiter.Check(key, kStart) == 0);
    limiter.Charge(key, 1, kStart);
  }
  // A fifth token, never charged itself, waits for the mailbox: 2 per second.
  CHECK(limiter.Check(limiter.KeyFor(Mailbox(1), TokenOf(5)), kStart) == 500);
  // Another mailbox has its own total.
  CHECK(limiter.Check(limiter.KeyFor(Mailbox(2), TokenOf(5)), kStart) == 0);
  CHECK(limiter.Check(limiter.KeyFor(Mailbox(1), TokenOf(5)), kStart + 500) == 0);
}

TEST_CASE("the wait is the longer of the token's and the mailbox's", "[relay][rate]") {
  DeliveryRateLimiter limiter(Rates(10, 1, 1, 1));
  const auto key = limiter.KeyFor(Mailbox(1), TokenOf(1));
  limiter.Charge(key, 1, kStart);
  CHECK(limiter.Check(key, kStart) == 1000);
  CHECK(limiter.Check(key, kStart + 100) == 900);  // the token is ready, the mailbox not
}

TEST_CASE("a pair's key is stable, tells tokens and mailboxes apart, and holds no token",
          "[relay][rate]") {
  DeliveryRateLimiter limiter(Rates(1, 1, 1, 1));
  const Token token = TokenOf(7);
  const auto key = limiter.KeyFor(Mailbox(1), token);
  CHECK(key.mailbox == Mailbox(1));
  CHECK(limiter.KeyFor(Mailbox(1), token).token_digest == key.token_digest);
  CHECK(limiter.KeyFor(Mailbox(1), TokenOf(8)).token_digest != key.token_digest);
  CHECK(limiter.KeyFor(Mailbox(2), token).token_digest != key.token_digest);
  CHECK(std::memcmp(key.token_digest.data(), token.data(), token.size()) != 0);
  // Keyed per limiter: the digest means nothing to another process.
  DeliveryRateLimiter second(Rates(1, 1, 1, 1));
  CHECK(second.KeyFor(Mailbox(1), token).token_digest != key.token_digest);
}

TEST_CASE("checking charges nothing, and full buckets are pruned", "[relay][rate]") {
  DeliveryRateLimiter limiter(Rates(1, 2, 100, 100));
  const auto key = limiter.KeyFor(Mailbox(1), TokenOf(1));
  for (int i = 0; i < 10; ++i) CHECK(limiter.Check(key, kStart) == 0);
  CHECK(limiter.BucketCount() == 0);
  for (std::uint8_t m = 1; m <= 5; ++m)
    limiter.Charge(limiter.KeyFor(Mailbox(m), TokenOf(1)), 1, kStart);
  CHECK(limiter.BucketCount() == 10);
  // 20 s later every bucket is full again: the next charge drops them.
  limiter.Charge(key, 1, kStart + 20000);
  CHECK(limiter.BucketCount() == 2);
}

}  // namespace
}  // namespace tocsin::relay
