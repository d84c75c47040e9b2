// What the pool does when a relay is not what it should be: a wrong pin (a hard failure,
// never retried by itself) and a listener that never speaks TLS (deadlines).
#include <atomic>

#include "net/relay_pool.h"
#include "net_test_util.h"

namespace tocsin::net::testing {
namespace {

TEST_CASE("a wrong pin is a hard failure reported as relay pin mismatch and never retried silently",
          "[net][pool]") {
  auto relay = StartRelay();
  PoolHarness h;
  RelayAddress wrong = relay->address();
  wrong.pin[31] ^= 0x80;
  const AuthKeyPair key = AuthKeyPair::Generate();
  const Status added = h.AddMailbox(wrong, RandomMailboxId(), key);
  CHECK(added.code() == Code::kUnauthorized);
  CHECK(added.message() == "relay pin mismatch");
  REQUIRE(h.WaitFor([&] { return h.SawState(LinkState::kFailing, Code::kUnauthorized); }));
  CHECK(h.pool().State(wrong) == LinkState::kFailing);
  const Status sent = h.Send(wrong, RandomMailboxId(), RandomToken(), "x");
  CHECK(sent.code() == Code::kUnauthorized);
  CHECK(sent.message() == "relay pin mismatch");

  // With a 50-500 ms backoff a retrying link would have tried again several times in
  // 3 s, each attempt reported as kConnecting then kFailing.
  CHECK_FALSE(h.WaitFor([&] { return h.states.size() > 2; }, milliseconds(3000)));
  CHECK(h.Locked([&] { return h.states.size(); }) == 2);
  // The right address still works from the same pool.
  TestMailbox m = NewMailbox(h, *relay);
  CHECK(h.Send(m.relay, m.id, m.token, "fine").ok());
}

// A TCP listener that accepts (the kernel's backlog does) and never says a word.
struct SilentListener {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::address_v4::loopback(), 0}};
  RelayAddress address() {
    RelayAddress a;
    a.pin.fill(7);
    a.host = "127.0.0.1";
    a.port = acceptor.local_endpoint().port();
    return a;
  }
};

TEST_CASE("a relay that accepts TCP but never answers times the requests out", "[net][pool]") {
  SilentListener silent;
  RelayPoolOptions options = FastOptions();
  options.connect_timeout = milliseconds(1500);
  options.request_timeout = milliseconds(2000);
  PoolHarness h(options);
  const auto started = std::chrono::steady_clock::now();
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto result = std::make_shared<Status>();
  h.pool().Send(silent.address(), RandomMailboxId(), RandomToken(), "x", 0,
                [&h, calls, result](Status s) {
                  h.Note([&] {
                    *result = s;
                    ++*calls;
                  });
                });
  REQUIRE(h.WaitFor([&] { return *calls > 0; }));
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(result->code() == Code::kUnavailable);
  CHECK(waited >= milliseconds(1400));
  // The owner side retries such a relay with backoff and reports it failing meanwhile.
  const AuthKeyPair key = AuthKeyPair::Generate();
  h.pool().AddMailbox(silent.address(), RandomMailboxId(), key, [](Status) {});
  REQUIRE(h.WaitFor([&] { return h.SawState(LinkState::kFailing, Code::kUnavailable); }));
  CHECK(*calls == 1);
}

}  // namespace
}  // namespace tocsin::net::testing
