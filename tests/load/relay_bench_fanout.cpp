// Fan-out: one alert (PutBlob + SendViews) to N subscribed mailboxes, each on its own
// owner connection that only reads and acks. Latency is from the PutBlob to the last
// receiver's delivery; p50 and max over the alerts (one more alert warms up first).
#include <cstdio>
#include <iostream>

#include "relay_bench_rig.h"
#include "relay_bench_scenarios.h"

namespace tocsin::bench {
namespace {

// The smallest sealed sender v2 blob (a 1,024-byte bucket, proto/SPEC.md section 10.1):
// what a short alert costs on the wire.
constexpr std::size_t kBlobBytes = 1024 + 49;

struct AlertTimes {
  int received = 0;
  Clock::time_point first;
  Clock::time_point last;
};

// The SendViews frames naming every mailbox (the handle is set per alert).
std::vector<wire::Request> ViewFrames(const std::vector<Mailbox>& mailboxes) {
  constexpr std::size_t kPerFrame = 2000;  // max_views_per_frame
  std::vector<wire::Request> frames;
  for (std::size_t from = 0; from < mailboxes.size(); from += kPerFrame) {
    wire::Request& r = frames.emplace_back();
    for (std::size_t i = from; i < std::min(mailboxes.size(), from + kPerFrame); ++i) {
      wire::View* v = r.mutable_send_views()->add_views();
      v->set_mailbox_id(mailboxes[i].id);
      v->set_token(mailboxes[i].token);
      v->set_view(std::string(48, 'v'));
    }
  }
  return frames;
}

std::string AlertBlob(int alert) {
  std::string blob(kBlobBytes, 'a');
  blob[0] = '\x02';
  blob[1] = static_cast<char>(alert & 0xff);
  blob[2] = static_cast<char>(alert >> 8);
  return blob;
}

int AlertOf(const wire::Delivery& d) {
  const std::string& blob = d.view().blob();
  if (blob.size() < 3) return -1;
  return static_cast<unsigned char>(blob[1]) | (static_cast<unsigned char>(blob[2]) << 8);
}

// Sends one alert: PutBlob, then every SendViews frame at once; waits for the answers.
awaitable<void> SendAlert(BenchConn& sender, int alert, std::vector<wire::Request>& frames) {
  wire::Request put;
  put.mutable_put_blob()->set_blob(AlertBlob(alert));
  put.mutable_put_blob()->set_ttl_seconds(3600);
  const wire::Response stored = co_await sender.Call(put);
  if (!stored.has_blob_stored()) throw std::runtime_error("PutBlob refused");
  for (wire::Request& r : frames) {
    r.set_id(sender.NextId());
    r.mutable_send_views()->set_handle(stored.blob_stored().handle());
    sender.Queue(r);
  }
  co_await sender.Flush();
  std::size_t answers = 0;
  while (answers < frames.size()) {
    co_await sender.ReadSome([&](const wire::Frame& f) {
      if (!f.has_response()) return;
      if (!f.response().has_views_result()) throw std::runtime_error("SendViews refused");
      ++answers;
    });
  }
}

}  // namespace

Figure FanOut(const BenchOptions& options) {
  const int n = options.n > 0 ? options.n : 1000;
  const int alerts = options.alerts;
  Rig rig(options, {});
  std::vector<AlertTimes> times(static_cast<std::size_t>(alerts) + 1);
  auto on_delivery = [&](const wire::Delivery& d) {
    const int alert = AlertOf(d);
    if (alert < 0 || alert > alerts) return;
    AlertTimes& t = times[static_cast<std::size_t>(alert)];
    const auto now = Clock::now();
    if (t.received == 0) t.first = now;
    if (++t.received == n) t.last = now;
  };
  const auto setup_start = Clock::now();
  const std::vector<Mailbox> mailboxes =
      OpenReceivers(rig, n, 64, on_delivery, [](std::uint32_t) {});
  if (rig.failures > 0) std::cerr << rig.failures << " receivers failed\n";
  const double setup_s = Ms(Clock::now() - setup_start) / 1000;
  const double rss_mib = static_cast<double>(RssKiB(rig.relay.pid())) / 1024;

  std::vector<wire::Request> frames = ViewFrames(mailboxes);
  std::vector<double> latencies;
  Clock::time_point measure_start;
  bool done = false;
  BenchConn& sender = rig.NewConn();
  rig.Spawn([&]() -> awaitable<void> {
    co_await sender.Open(rig.endpoint);
    co_await sender.Call(Hello(wire::SEND));
    for (int alert = 0; alert <= alerts; ++alert) {  // alert 0 warms up
      if (alert == 1) {
        rig.BeginMeasure();
        measure_start = Clock::now();
      }
      const auto start = Clock::now();
      co_await SendAlert(sender, alert, frames);
      const auto stored = Clock::now();
      AlertTimes& t = times[static_cast<std::size_t>(alert)];
      while (t.received < n) co_await rig.Sleep(std::chrono::milliseconds(1));
      if (alert > 0) latencies.push_back(Ms(t.last - start));
      if (options.trace) {
        std::fprintf(stderr, "alert %d: views stored %.1f ms, first %.1f, last %.1f\n", alert,
                     Ms(stored - start), Ms(t.first - start), Ms(t.last - start));
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
  std::sort(latencies.begin(), latencies.end());
  std::printf(
      "fanout N=%d: last delivery p50 %.1f ms, max %.1f ms over %d alerts (setup %.1f s, relay "
      "RSS with N subscribers %.1f MiB)\n",
      n, Median(latencies), latencies.back(), alerts, setup_s, rss_mib);
  PrintCpu("per alert, its acks and the " + std::to_string(options.gap_ms) + " ms gap included",
           wall_ms, rig.cpu(), alerts);
  return Figure{"fanout", n, {{"p50_ms", Median(latencies)}, {"max_ms", latencies.back()}}};
}

}  // namespace tocsin::bench
