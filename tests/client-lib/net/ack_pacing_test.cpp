// Acks under the relay's per-connection request limit: an owner link paces its Acks (one
// per mailbox per ack interval), and an Ack the relay refuses with RATE_LIMITED is sent
// again, so a backlog drained one ack at a time never stalls the subscription; acks still
// waiting for their flush when the pool closes are sent, not dropped.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "net/relay_pool.h"
#include "net_test_util.h"

namespace tocsin::net::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Queues `count` envelopes for `m`, numbered, all sent at once on one send connection.
void QueueBacklog(PoolHarness& h, const TestMailbox& m, int count) {
  std::mutex mu;
  std::condition_variable cv;
  int answered = 0;
  int stored = 0;
  for (int i = 0; i < count; ++i) {
    h.pool().Send(m.relay, m.id, m.token, "envelope " + std::to_string(i), 0, [&](Status s) {
      std::lock_guard lock(mu);
      ++answered;
      if (s.ok()) ++stored;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  REQUIRE(cv.wait_for(lock, kWait, [&] { return answered == count; }));
  REQUIRE(stored == count);
}

// `count` envelopes queued for a mailbox while the pool does not hold it, then the
// mailbox added (and subscribed): returns once all of them were delivered, none acked.
TestMailbox DeliveredBacklog(PoolHarness& h, const RelayProcess& relay, int count) {
  TestMailbox m = NewMailbox(h, relay, /*subscribe=*/false);
  QueueBacklog(h, m, count);
  REQUIRE(relay.WaitForStat("queued envelopes: " + std::to_string(count)));
  REQUIRE(h.AddMailbox(m.relay, m.id, m.key).ok());
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == static_cast<std::size_t>(count); }));
  return m;
}

std::size_t DistinctEnvelopes(PoolHarness& h) {
  return h.Locked([&] {
    std::set<std::string> envelopes;
    for (const IncomingDelivery& d : h.deliveries) envelopes.insert(d.envelope);
    return envelopes.size();
  });
}

// The application's side of a receiver: each delivery is recorded and then acked by
// itself on a thread of its own, after a short pause standing for the commit that comes
// before an ack, so that the acks reach the pool one at a time.
class AckingApp {
 public:
  explicit AckingApp(PoolHarness& h) : h_(h), thread_([this] { io_.run(); }) {
    h_.pool().SetDeliveryHandler([this](IncomingDelivery d) {
      asio::post(io_, [this, d = std::move(d)]() mutable { Commit(std::move(d)); });
    });
  }
  ~AckingApp() {
    work_.reset();
    io_.stop();
    thread_.join();
  }

 private:
  void Commit(IncomingDelivery d) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    h_.pool().Ack(d.relay, d.mailbox, d.seq);
    h_.Note([&] { h_.deliveries.push_back(std::move(d)); });
  }

  PoolHarness& h_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread thread_;
};

TEST_CASE("a backlog acked one delivery at a time drains under a low request limit",
          "[net][owner][ack]") {
  constexpr int kBacklog = 500;
  // The backlog is queued under roomy limits while the mailbox is not subscribed...
  auto relay = StartRelay({{"rate_limits.token_envelopes_per_second", "100000"},
                           {"rate_limits.token_burst", "100000"}});
  PoolHarness h;
  AckingApp app(h);
  TestMailbox m = NewMailbox(h, *relay, /*subscribe=*/false);
  QueueBacklog(h, m, kBacklog);
  REQUIRE(relay->WaitForStat("queued envelopes: " + std::to_string(kBacklog)));
  // ... then the relay comes back allowing 10 requests a second per connection: far
  // fewer than the deliveries its owner will ack one by one.
  REQUIRE(relay->Terminate() == 0);
  REQUIRE(relay
              ->Reconfigure({{"rate_limits.connection_requests_per_second", "10"},
                             {"rate_limits.connection_burst", "10"}})
              .ok());
  REQUIRE(relay->Start().ok());

  const auto start = Clock::now();
  REQUIRE(h.AddMailbox(m.relay, m.id, m.key).ok());
  // The owner connection is never re-established here (no ping falls due, and nothing
  // closes it): a refused Ack that were simply dropped would hold its window slots until
  // then, and the subscription would stop short of the backlog.
  const bool all_delivered =
      h.WaitFor([&] { return DistinctEnvelopes(h) == kBacklog; }, std::chrono::seconds(30));
  CHECK(DistinctEnvelopes(h) == kBacklog);
  REQUIRE(all_delivered);
  CHECK(relay->WaitForStat("queued envelopes: 0", std::chrono::seconds(30)));
  INFO("drained in " << std::chrono::duration_cast<milliseconds>(Clock::now() - start).count()
                     << " ms");
  CHECK(Clock::now() - start < std::chrono::seconds(30));
  // The limit was reached: some Acks were refused and sent again.
  const std::string page = Metrics(*relay);
  CHECK(MetricValue(page, "tocsin_relay_requests_total{type=\"ack\",code=\"RATE_LIMITED\"}") > 0);
  CHECK(MetricValue(page, "tocsin_relay_connections{kind=\"owner\"}") == 1);
  CHECK(h.pool().State(m.relay) == LinkState::kConnected);
}

TEST_CASE("acks made one by one go out at most once per ack interval", "[net][owner][ack]") {
  auto relay = StartRelay();
  RelayPoolOptions options = FastOptions();
  options.ack_interval = milliseconds(3000);
  PoolHarness h(options);
  const TestMailbox m = DeliveredBacklog(h, *relay, 10);

  // Ten acks, each in its own io turn, well within one interval: the first goes out at
  // once (nothing was acked for longer than the interval), the other nine together at
  // the interval's end.
  const std::vector<std::uint64_t> seqs = h.Seqs(m.id);
  const auto first_ack = Clock::now();
  for (std::uint64_t seq : seqs) {
    h.pool().Ack(m.relay, m.id, seq);
    std::this_thread::sleep_for(milliseconds(20));
  }
  const auto acked = Clock::now() - first_ack;
  CHECK(relay->WaitForStat("queued envelopes: 9"));
  CHECK(relay->WaitForStat("queued envelopes: 0"));
  CHECK(MetricValue(Metrics(*relay), "tocsin_relay_requests_total{type=\"ack\",code=\"OK\"}") == 2);
  CHECK(Clock::now() - first_ack >= options.ack_interval);
  INFO("acks made over " << std::chrono::duration_cast<milliseconds>(acked).count() << " ms");
  CHECK(acked < options.ack_interval);
}

TEST_CASE("acks still waiting for their flush are sent when the pool closes", "[net][owner][ack]") {
  auto relay = StartRelay();
  RelayPoolOptions options = FastOptions();
  options.ack_interval = milliseconds(60000);
  PoolHarness h(options);
  const TestMailbox m = DeliveredBacklog(h, *relay, 3);
  const std::vector<std::uint64_t> seqs = h.Seqs(m.id);
  h.pool().Ack(m.relay, m.id, seqs[0]);  // goes out at once
  REQUIRE(relay->WaitForStat("queued envelopes: 2"));
  h.pool().Ack(m.relay, m.id, seqs[1]);  // these two wait for the interval's end
  h.pool().Ack(m.relay, m.id, seqs[2]);
  // The io thread stops, then the pool closes (as a client closes): the two are sent.
  h.WhilePaused([] {});
  h.Destroy();
  CHECK(relay->WaitForStat("queued envelopes: 0"));
}

}  // namespace
}  // namespace tocsin::net::testing
