// Owner requests through the pool against the real relay: tokens, rotation, deletion,
// requests on a created mailbox after a reconnect, removal, and the keepalive.
#include <algorithm>
#include <atomic>
#include <thread>

#include "net/relay_connection.h"
#include "net/relay_pool.h"
#include "net_test_util.h"

namespace tocsin::net::testing {
namespace {

Result<std::uint64_t> Rotate(PoolHarness& h, const TestMailbox& m, const Token& old_token,
                             const Token& new_token, std::optional<std::uint32_t> grace) {
  wire::RotateToken rotate;
  rotate.set_old_token_hash(TokenHash(old_token));
  rotate.mutable_new_token()->set_token_class(wire::CONTACT);
  rotate.mutable_new_token()->set_token_hash(TokenHash(new_token));
  if (grace) rotate.set_grace_seconds(*grace);
  auto answer = std::make_shared<std::optional<Result<std::uint64_t>>>();
  h.pool().RotateToken(m.relay, m.id, rotate, [&h, answer](Result<std::uint64_t> r) {
    h.Note([&] { answer->emplace(std::move(r)); });
  });
  REQUIRE(h.WaitFor([&] { return answer->has_value(); }));
  return **answer;
}

Status Delete(PoolHarness& h, const TestMailbox& m) {
  auto answer = std::make_shared<std::optional<Status>>();
  h.pool().DeleteMailbox(
      m.relay, m.id, [&h, answer](Status s) { h.Note([&] { answer->emplace(std::move(s)); }); });
  REQUIRE(h.WaitFor([&] { return answer->has_value(); }));
  return **answer;
}

TEST_CASE("tokens are set and rotated and a deleted mailbox is gone", "[net][owner]") {
  auto relay = StartRelay();
  PoolHarness h;
  TestMailbox m = NewMailbox(h, *relay);
  const Token second = RandomToken();
  Result<std::uint32_t> count = h.SetToken(m.relay, m.id, second);
  REQUIRE(count.ok());
  CHECK(*count == 2);
  const Token third = RandomToken();
  Result<std::uint64_t> until = Rotate(h, m, second, third, 0);  // revoked at once
  INFO(until.status().ToString());
  REQUIRE(until.ok());
  CHECK(h.Send(m.relay, m.id, second, "old token").code() != Code::kOk);
  CHECK(h.Send(m.relay, m.id, third, "new token").ok());
  CHECK(Rotate(h, m, RandomToken(), RandomToken(), std::nullopt).status().code() ==
        Code::kNotFound);

  REQUIRE(Delete(h, m).ok());
  CHECK(h.Send(m.relay, m.id, m.token, "after delete").code() == Code::kNotFound);
  // The link no longer owns it: a request naming it is refused by the relay.
  CHECK(h.SetToken(m.relay, m.id, RandomToken()).status().code() == Code::kUnauthorized);
}

TEST_CASE("a mailbox created on the pool stays usable for owner requests after a reconnect",
          "[net][owner]") {
  auto relay = StartRelay();
  PoolHarness h;
  TestMailbox m = NewMailbox(h, *relay, /*subscribe=*/false);
  relay->Kill9();
  REQUIRE(h.WaitFor([&] { return h.SawState(LinkState::kFailing, Code::kUnavailable); }));
  REQUIRE(relay->Start().ok());
  REQUIRE(h.WaitFor([&] { return h.states.back().state == LinkState::kConnected; }));
  // The new connection authenticated the created mailbox again: requests work.
  Result<std::uint32_t> count = h.SetToken(m.relay, m.id, RandomToken());
  INFO(count.status().ToString());
  REQUIRE(count.ok());
  CHECK(*count == 2);
  CHECK(h.Locked([&] { return h.authenticated.size(); }) >= 1);
  CHECK(h.Deliveries().empty());  // created, not added: never subscribed
}

TEST_CASE("removing the last mailbox closes the owner connection and drops its deliveries",
          "[net][owner]") {
  auto relay = StartRelay();
  PoolHarness h;
  TestMailbox m = NewMailbox(h, *relay);
  REQUIRE(WaitForMetric(*relay, "tocsin_relay_connections{kind=\"owner\"}", 1));
  h.pool().RemoveMailbox(m.relay, m.id);
  REQUIRE(WaitForMetric(*relay, "tocsin_relay_connections{kind=\"owner\"}", 0));
  REQUIRE(h.Send(m.relay, m.id, m.token, "kept for later").ok());
  CHECK(relay->WaitForStat("queued envelopes: 1"));
  // Added again, it gets what was queued meanwhile.
  REQUIRE(h.AddMailbox(m.relay, m.id, m.key).ok());
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 1; }));
  CHECK(h.Deliveries()[0].envelope == "kept for later");
}

TEST_CASE("an idle owner connection sends Pings and tracks the relay's clock", "[net][owner]") {
  auto relay = StartRelay();
  RelayPoolOptions options = FastOptions();
  options.ping_interval = milliseconds(200);
  PoolHarness h(options);
  TestMailbox m = NewMailbox(h, *relay);
  REQUIRE(WaitForMetric(*relay, "tocsin_relay_requests_total{type=\"ping\",code=\"OK\"}", 3));
  CHECK(h.pool().State(m.relay) == LinkState::kConnected);
  // Same machine, same clock: the skew is the noise of one round trip.
  CHECK(std::abs(h.pool().ClockSkewMs(m.relay)) < 2000);
}

TEST_CASE("the relay's clock is measured against the device's own clock, at Hello and by Pings",
          "[net][owner]") {
  auto relay = StartRelay();
  constexpr std::int64_t kHourMs = 3600 * 1000;
  auto shift_ms = std::make_shared<std::atomic<std::int64_t>>(kHourMs);  // an hour ahead
  RelayPoolOptions options = FastOptions();
  options.ping_interval = milliseconds(200);
  options.wall_clock = [shift_ms] { return WallClockMs() + shift_ms->load(); };
  PoolHarness h(options);
  CHECK_FALSE(h.pool().ClockOffsetMs());  // nothing measured yet
  TestMailbox m = NewMailbox(h, *relay);
  CHECK(std::abs(h.pool().ClockSkewMs(m.relay) + kHourMs) < 2000);
  REQUIRE(h.pool().ClockOffsetMs());
  CHECK(std::abs(*h.pool().ClockOffsetMs() + kHourMs) < 2000);
  // The device's clock is set half an hour behind: the next Pong tells.
  shift_ms->store(-kHourMs / 2);
  const auto until = std::chrono::steady_clock::now() + kWait;
  while (std::abs(h.pool().ClockSkewMs(m.relay) - kHourMs / 2) >= 2000 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  CHECK(std::abs(h.pool().ClockSkewMs(m.relay) - kHourMs / 2) < 2000);
  CHECK(std::abs(*h.pool().ClockOffsetMs() - kHourMs / 2) < 2000);
}

TEST_CASE("a relay reached only through a send link does not set the device's clock offset",
          "[net][owner]") {
  // Two relays whose clocks are the machine's; the device is an hour ahead of them. Its
  // own mailbox is on `own`; `theirs` is a contact's relay it only sends to. A relay a
  // contact names could answer with any time: only the device's own relays count.
  auto own = StartRelay();
  auto theirs = StartRelay();
  constexpr std::int64_t kHourMs = 3600 * 1000;
  auto shift_ms = std::make_shared<std::atomic<std::int64_t>>(kHourMs);
  RelayPoolOptions options = FastOptions();
  options.wall_clock = [shift_ms] { return WallClockMs() + shift_ms->load(); };
  PoolHarness device(options);
  PoolHarness contact;
  TestMailbox contact_box = NewMailbox(contact, *theirs);
  REQUIRE(device.Send(contact_box.relay, contact_box.id, contact_box.token, "sealed").ok());
  // The send link measured the contact's relay, and that is shown per relay...
  CHECK(std::abs(device.pool().ClockSkewMs(contact_box.relay) + kHourMs) < 2000);
  // ...but it is not the device's offset.
  CHECK_FALSE(device.pool().ClockOffsetMs());
  // The device's clock is set half an hour behind and it opens its own mailbox: the
  // offset is its own relay's alone. Counting the contact's relay's stale hour (the
  // lower middle of two) would give -1 h.
  shift_ms->store(-kHourMs / 2);
  TestMailbox own_box = NewMailbox(device, *own);
  CHECK(std::abs(device.pool().ClockSkewMs(own_box.relay) - kHourMs / 2) < 2000);
  REQUIRE(device.pool().ClockOffsetMs());
  CHECK(std::abs(*device.pool().ClockOffsetMs() - kHourMs / 2) < 2000);
}

TEST_CASE("a relay that stops answering is noticed through the keepalive", "[net][owner]") {
  auto relay = StartRelay();
  RelayPoolOptions options = FastOptions();
  options.ping_interval = milliseconds(200);
  options.request_timeout = milliseconds(1500);
  PoolHarness h(options);
  TestMailbox m = NewMailbox(h, *relay);
  // Frozen, the relay keeps the TCP connection open: only an unanswered Ping tells.
  REQUIRE(FreezeRelay(*relay));
  REQUIRE(h.WaitFor([&] {
    return std::any_of(h.states.begin(), h.states.end(), [](const StateEvent& e) {
      return e.state == LinkState::kFailing && e.status.message() == "relay did not answer in time";
    });
  }));
  relay->Kill9();
  REQUIRE(relay->Start().ok());
  REQUIRE(h.WaitFor([&] { return h.states.back().state == LinkState::kConnected; }));
  REQUIRE(h.Send(m.relay, m.id, m.token, "after the freeze").ok());
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 1; }));
}

}  // namespace
}  // namespace tocsin::net::testing
