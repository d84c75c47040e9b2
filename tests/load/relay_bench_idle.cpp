// Idle connections: relay memory with N idle TLS connections (idle), and with N idle
// subscribed owner connections that then all receive one alert (idle-alert).
#include <cstdio>
#include <iostream>

#include "peers/arrivals.h"
#include "relay_bench_rig.h"
#include "relay_bench_scenarios.h"

namespace tocsin::bench {
namespace {

double MiB(std::uint64_t kib) { return static_cast<double>(kib) / 1024; }

}  // namespace

Figure Idle(const BenchOptions& options) {
  const int n = options.n > 0 ? options.n : 10000;
  Rig rig(options, {});
  const std::uint64_t before = rig.relay.RssKiB();
  int ready = 0;
  int launched = 0;
  rig.RunUntil([&] {
    while (launched < n && launched - ready - rig.failures < 200) {
      BenchConn* c = &rig.NewConn();
      rig.Spawn([&rig, c, &ready]() -> awaitable<void> {
        co_await c->Open(rig.endpoint);
        co_await c->Call(Hello(wire::OWNER));
        ++ready;
      });
      ++launched;
    }
    return ready + rig.failures >= n;
  });
  rig.RunUntil([] { return false; }, std::chrono::seconds(2));  // the relay settles
  const std::uint64_t after = rig.relay.RssKiB();
  const double mib = static_cast<double>(after) / 1024;
  std::printf(
      "idle: %d TLS owner connections: relay RSS %.1f MiB (%.1f MiB before; %.1f KiB per "
      "connection)\n",
      ready, mib, static_cast<double>(before) / 1024,
      static_cast<double>(after - before) / std::max(ready, 1));
  Figure figure{"idle", n, {{"rss_mib", mib}}};
  figure.has_durability = false;
  return figure;
}

Figure IdleAlert(const BenchOptions& options) {
  const int n = options.n > 0 ? options.n : 10000;
  Rig rig(options, {});
  const std::uint64_t fresh = rig.relay.RssKiB();
  peers::FanOutArrivals arrivals(1, n);  // the one alert
  int acked = 0;
  auto on_delivery = [&](const wire::Delivery& d) {
    if (AlertOf(d) == 0) arrivals.Arrived(0);
  };
  const auto setup_start = Clock::now();
  // Answered Acks: their deleted counts end the run once every ack is committed, which
  // the alert's measured CPU includes.
  std::vector<Mailbox> mailboxes = OpenReceivers(
      rig, n, 64, on_delivery, [&](std::uint32_t deleted) { acked += static_cast<int>(deleted); });
  if (rig.failures > 0) {
    std::cerr << rig.failures << " receivers failed\n";
    std::exit(1);
  }
  const double setup_s = Ms(Clock::now() - setup_start) / 1000;
  BenchConn& sender = *OpenSenders(rig, 1).front();
  // Nothing moves for idle_s: the relay's memory as it holds N quiet subscribers.
  rig.RunUntil([] { return false; },
               std::chrono::milliseconds(static_cast<std::int64_t>(options.idle_s * 1000)));
  const std::uint64_t idle = rig.relay.RssKiB();

  std::vector<wire::Request> frames = ViewFrames(mailboxes);
  Clock::time_point stored;
  bool sent = false;
  rig.BeginMeasure();
  const auto start = Clock::now();
  rig.Spawn([&]() -> awaitable<void> {
    co_await SendAlert(sender, 0, frames);
    stored = Clock::now();
    sent = true;
  });
  const bool done =
      rig.RunUntil([&] { return (sent && arrivals.Complete(0) && acked >= n) || rig.failures > 0; },
                   std::chrono::seconds(300));
  rig.EndMeasure();
  if (!done || rig.failures > 0) {
    std::cerr << "idle-alert did not finish: " << arrivals.Count(0) << " of " << n << " delivered, "
              << acked << " acked\n";
    std::exit(1);
  }
  const double wall_ms = Ms(Clock::now() - start);
  rig.RunUntil([] { return false; }, std::chrono::seconds(2));  // the relay settles
  const std::uint64_t after = rig.relay.RssKiB();
  const double first_ms = Ms(arrivals.First(0) - start);
  const double last_ms = Ms(arrivals.Last(0) - start);
  std::printf(
      "idle-alert N=%d: relay RSS %.1f MiB with N subscribed owner connections idle for %.0f s "
      "(%.1f MiB fresh, %.1f KiB per connection; setup %.1f s); one alert to all: first delivery "
      "%.1f ms, last delivery %.1f ms (views stored %.1f ms); relay RSS after it %.1f MiB\n",
      n, MiB(idle), options.idle_s, MiB(fresh), static_cast<double>(idle - fresh) / std::max(n, 1),
      setup_s, first_ms, last_ms, Ms(stored - start), MiB(after));
  PrintCpu("the alert, its acks included", wall_ms, rig.cpu());
  return Figure{"idle-alert",
                n,
                {{"rss_idle_mib", MiB(idle)},
                 {"rss_after_mib", MiB(after)},
                 {"first_ms", first_ms},
                 {"last_ms", last_ms}}};
}

}  // namespace tocsin::bench
