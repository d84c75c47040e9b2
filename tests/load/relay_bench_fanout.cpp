// Fan-out: one alert (PutBlob + SendViews) to N subscribed mailboxes, each on its own
// owner connection that only reads and acks (quiet Acks, as the client library sends). Latency is
// from the PutBlob to the last receiver's delivery; p50 and max over the alerts (one more alert
// warms up first).
#include <cstdio>
#include <iostream>

#include "peers/arrivals.h"
#include "relay_bench_rig.h"
#include "relay_bench_scenarios.h"

namespace tocsin::bench {
Figure FanOut(const BenchOptions& options) {
  const int n = options.n > 0 ? options.n : 1000;
  const int alerts = options.alerts;
  Rig rig(options, {});
  rig.StartReceivers(options.receiver_threads);
  peers::FanOutArrivals arrivals(static_cast<std::size_t>(alerts) + 1, n);
  auto on_delivery = [&](const wire::Delivery& d) {
    const int alert = AlertOf(d);
    if (alert >= 0) arrivals.Arrived(static_cast<std::size_t>(alert));
  };
  const auto setup_start = Clock::now();
  const std::vector<Mailbox> mailboxes =
      OpenReceivers(rig, n, 64, on_delivery, nullptr);  // quiet acks, as real clients
  if (rig.failures > 0) std::cerr << rig.failures << " receivers failed\n";
  const double setup_s = Ms(Clock::now() - setup_start) / 1000;
  const double rss_mib = static_cast<double>(rig.relay.RssKiB()) / 1024;

  std::vector<wire::Request> frames = ViewFrames(mailboxes);
  std::vector<double> latencies;
  Clock::time_point measure_start;
  // The relay's own side: push_latency_seconds (from a commit to a network thread's
  // last write of its pushes), summed over the measured alerts.
  const auto pushes = [&rig] {
    const std::string page = testing::HttpGet(rig.relay.metrics_port(), "/metrics");
    return std::pair{testing::MetricValue(page, "tocsin_relay_push_latency_seconds_sum"),
                     testing::MetricValue(page, "tocsin_relay_push_latency_seconds_count")};
  };
  std::pair<double, double> pushes_before{0, 0};
  bool done = false;
  BenchConn& sender = rig.NewConn();
  rig.Spawn([&]() -> awaitable<void> {
    co_await sender.Open(rig.endpoint);
    co_await sender.Call(Hello(wire::SEND));
    for (int alert = 0; alert <= alerts; ++alert) {  // alert 0 warms up
      if (alert == 1) {
        pushes_before = pushes();
        rig.BeginMeasure();
        measure_start = Clock::now();
      }
      const auto start = Clock::now();
      co_await SendAlert(sender, alert, frames);
      const auto stored = Clock::now();
      const auto a = static_cast<std::size_t>(alert);
      while (!arrivals.Complete(a)) co_await rig.Sleep(std::chrono::milliseconds(1));
      if (alert > 0) latencies.push_back(Ms(arrivals.Last(a) - start));
      if (options.trace) {
        std::fprintf(stderr, "alert %d: views stored %.1f ms, first %.1f, last %.1f\n", alert,
                     Ms(stored - start), Ms(arrivals.First(a) - start),
                     Ms(arrivals.Last(a) - start));
      }
      co_await rig.Sleep(std::chrono::milliseconds(options.gap_ms));  // acks settle
    }
    rig.EndMeasure();
    done = true;
  });
  if (!rig.RunUntil([&] { return done || rig.failures > 0; }) || latencies.empty()) {
    std::cerr << "fan-out did not finish\n";
    std::exit(1);
  }
  const double wall_ms = Ms(Clock::now() - measure_start);
  const auto pushes_after = pushes();
  const double push_count = pushes_after.second - pushes_before.second;
  std::sort(latencies.begin(), latencies.end());
  std::printf(
      "fanout N=%d: last delivery p50 %.1f ms, max %.1f ms over %d alerts (setup %.1f s, relay "
      "RSS with N subscribers %.1f MiB, receivers on %d threads)\n",
      n, Median(latencies), latencies.back(), alerts, setup_s, rss_mib, rig.receiver_threads());
  PrintCpu("per alert, its acks and the " + std::to_string(options.gap_ms) + " ms gap included",
           wall_ms, rig.cpu(), alerts);
  if (push_count > 0) {
    std::printf(
        "  relay side: a commit's pushes written %.1f ms after it, mean of %.0f (per network "
        "thread)\n",
        1000 * (pushes_after.first - pushes_before.first) / push_count, push_count);
  }
  return Figure{"fanout",
                n,
                {{"p50_ms", Median(latencies)},
                 {"max_ms", latencies.back()},
                 {"receiver_threads", options.receiver_threads}}};
}

}  // namespace tocsin::bench
