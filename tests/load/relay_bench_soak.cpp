// Soak: a steady rate for a long time (default one hour). Senders pipeline stamped
// envelopes at a fixed rate round-robin to N subscribed mailboxes, and one fan-out alert
// goes to M of them every K seconds; receivers ack everything. A sampler thread reads
// the relay every interval (RSS, CPU, `stats` through the admin socket, the store's size
// on disk) together with the latencies measured since the last sample, and prints one
// row per row span. At the end every delivery must have come exactly once, the queue
// must be empty after the acks (and the alerts' blobs gone after their TTL), the store
// must pass `check`, and the relay's memory outside RocksDB's caches (RSS less the
// memtables, block cache and table readers that `stats` reports, each bounded by its own
// cap) must not have grown by more than a bound from the second sample to the last: the
// verdict, and the exit status, say so.
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "relay_bench_rig.h"
#include "relay_bench_scenarios.h"

namespace tocsin::bench {
namespace {

constexpr int kSenders = 4;
constexpr double kMiB = 1024.0 * 1024.0;

// What the client thread measured since the last sample; the sampler takes it.
struct Window {
  std::mutex mutex;
  std::vector<double> envelope_ms;  // send (when due) -> delivery, per envelope
  std::vector<double> alert_ms;     // alert sent -> its last delivery, per alert
  std::uint64_t stored = 0;         // envelopes answered Stored
};

struct Sample {
  double t_s = 0, wall_ms = 0, relay_cpu_ms = 0, rss_mib = 0, disk_mib = 0;
  double rocks_mib = 0;  // RocksDB's memtables, block cache and table readers
  double other_mib() const { return rss_mib - rocks_mib; }
  std::uint64_t stored = 0, queued = 0, queued_bytes = 0, blobs = 0;
  std::vector<double> envelope_ms, alert_ms;
};

// Samples merged into one printed row.
struct Row {
  double t_s = 0, rss_mib = 0, rocks_mib = 0, cpu_percent = 0, rate = 0, disk_mib = 0;
  LatencySummary envelopes, alerts;
  std::uint64_t queued = 0, queued_bytes = 0, blobs = 0;
};

Row Merge(const std::vector<Sample>& samples) {
  Row row;
  double wall_ms = 0, cpu_ms = 0, stored = 0;
  std::vector<double> envelopes, alerts;
  for (const Sample& s : samples) {
    wall_ms += s.wall_ms;
    cpu_ms += s.relay_cpu_ms;
    stored += static_cast<double>(s.stored);
    envelopes.insert(envelopes.end(), s.envelope_ms.begin(), s.envelope_ms.end());
    alerts.insert(alerts.end(), s.alert_ms.begin(), s.alert_ms.end());
  }
  const Sample& last = samples.back();
  row.t_s = last.t_s;
  row.rss_mib = last.rss_mib;
  row.rocks_mib = last.rocks_mib;
  row.disk_mib = last.disk_mib;
  row.queued = last.queued;
  row.queued_bytes = last.queued_bytes;
  row.blobs = last.blobs;
  row.cpu_percent = wall_ms > 0 ? 100 * cpu_ms / wall_ms : 0;
  row.rate = wall_ms > 0 ? stored * 1000 / wall_ms : 0;
  row.envelopes = Summarize(std::move(envelopes));
  row.alerts = Summarize(std::move(alerts));
  return row;
}

void PrintHeader() {
  std::printf("  %7s %8s %8s %7s %7s | %8s %8s %8s | %7s %8s | %7s %9s %5s %8s\n", "t (s)",
              "RSS MiB", "RocksDB", "CPU %", "sent/s", "p50 ms", "p99 ms", "max ms", "alerts",
              "last ms", "queued", "queued KiB", "blobs", "disk MiB");
}

void PrintRow(const Row& r, const char* label = "") {
  std::printf(
      "  %7.0f %8.1f %8.1f %7.1f %7.0f | %8.2f %8.2f %8.2f | %7zu %8.1f | %7llu %9.1f %5llu "
      "%8.1f%s\n",
      r.t_s, r.rss_mib, r.rocks_mib, r.cpu_percent, r.rate, r.envelopes.p50, r.envelopes.p99,
      r.envelopes.max, r.alerts.count, r.alerts.max, static_cast<unsigned long long>(r.queued),
      static_cast<double>(r.queued_bytes) / 1024, static_cast<unsigned long long>(r.blobs),
      r.disk_mib, label);
  std::fflush(stdout);
}

// Samples the relay on its own thread, so that `stats` (a process started for each
// sample) never holds up the client thread's reads.
class Sampler {
 public:
  Sampler(const testing::RelayProcess& relay, Window& window, double sample_s, int per_row)
      : relay_(relay), window_(window), sample_s_(sample_s), per_row_(per_row) {}
  ~Sampler() { Stop(); }

  void Start(Clock::time_point start) {
    start_ = last_time_ = start;
    last_cpu_ms_ = ProcessCpuMs(relay_.pid());
    thread_ = std::thread([this] { Run(); });
  }
  // Joins the thread; prints the row being filled.
  void Stop() {
    {
      std::lock_guard lock(stop_mutex_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (!pending_.empty()) AddRow();
  }
  // One sample now (also the final one, after the acks).
  Sample Take() {
    Sample s;
    const auto now = Clock::now();
    const double cpu_ms = ProcessCpuMs(relay_.pid());
    s.t_s = Ms(now - start_) / 1000;
    s.wall_ms = Ms(now - last_time_);
    s.relay_cpu_ms = cpu_ms - last_cpu_ms_;
    last_time_ = now;
    last_cpu_ms_ = cpu_ms;
    {
      std::lock_guard lock(window_.mutex);
      s.envelope_ms.swap(window_.envelope_ms);
      s.alert_ms.swap(window_.alert_ms);
      s.stored = window_.stored;
      window_.stored = 0;
    }
    s.rss_mib = static_cast<double>(relay_.RssKiB()) / 1024;
    auto stats = StoreStats(relay_);
    s.queued = stats["queued envelopes"];
    s.queued_bytes = stats["queued bytes"];
    s.blobs = stats["blobs"];
    s.rocks_mib =
        static_cast<double>(stats["store memtable bytes"] + stats["store block cache bytes"] +
                            stats["store table reader bytes"]) /
        kMiB;
    s.disk_mib = static_cast<double>(DirBytes(relay_.data_dir() + "/store")) / kMiB;
    return s;
  }
  const std::vector<Sample>& samples() const { return samples_; }
  const std::vector<Row>& rows() const { return rows_; }

 private:
  void Run() {
    for (int k = 1;; ++k) {
      const auto at = start_ + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(sample_s_ * k));
      std::unique_lock lock(stop_mutex_);
      if (stop_cv_.wait_until(lock, at, [this] { return stop_; })) return;
      lock.unlock();
      pending_.push_back(Take());
      if (static_cast<int>(pending_.size()) >= per_row_) AddRow();
    }
  }
  void AddRow() {
    rows_.push_back(Merge(pending_));
    PrintRow(rows_.back());
    for (Sample& s : pending_) {  // the raw latencies are in the row now
      s.envelope_ms = {};
      s.alert_ms = {};
      samples_.push_back(std::move(s));
    }
    pending_.clear();
  }

  const testing::RelayProcess& relay_;
  Window& window_;
  const double sample_s_;
  const int per_row_;
  Clock::time_point start_, last_time_;
  double last_cpu_ms_ = 0;
  std::vector<Sample> pending_, samples_;
  std::vector<Row> rows_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Every delivery, checked against what was sent (client thread only).
struct Ledger {
  std::vector<std::uint8_t> envelopes;            // deliveries per envelope number (saturating)
  std::vector<std::vector<std::uint8_t>> alerts;  // per alert, per receiver
  std::vector<Clock::time_point> alert_start;
  std::vector<int> alert_received;
  std::unordered_map<std::string, std::size_t> receiver;  // mailbox id -> index
  std::size_t alert_to = 0;
  std::uint64_t next_number = 0, stored = 0, refused = 0;
  std::uint64_t unique = 0, duplicates = 0, strays = 0, acked = 0;

  void StartAlert() {
    alert_start.push_back(Clock::now());
    alerts.emplace_back(alert_to, 0);
    alert_received.push_back(0);
  }
  std::uint64_t Expected() const { return stored + alert_start.size() * alert_to; }
  std::uint64_t Lost() const { return Expected() > unique ? Expected() - unique : 0; }
  // Counts one delivery of a slot; true for the first.
  bool Count(std::uint8_t& slot) {
    if (slot > 0) ++duplicates;
    if (slot < 255) ++slot;
    if (slot == 1) ++unique;
    return slot == 1;
  }
  void OnDelivery(const wire::Delivery& d, Window& window) {
    const auto now = Clock::now();
    const int alert = AlertOf(d);
    if (alert >= 0) {
      OnAlert(d, static_cast<std::size_t>(alert), now, window);
      return;
    }
    std::uint64_t number = 0;
    Clock::time_point due;
    if (!ReadStamp(d.envelope(), &number, &due) || number >= next_number) {
      ++strays;
      return;
    }
    if (number >= envelopes.size()) envelopes.resize(number + 1);
    if (!Count(envelopes[number])) return;
    std::lock_guard lock(window.mutex);
    window.envelope_ms.push_back(Ms(now - due));
  }
  void OnAlert(const wire::Delivery& d, std::size_t alert, Clock::time_point now, Window& window) {
    const auto it = receiver.find(d.mailbox_id());
    if (alert >= alerts.size() || it == receiver.end() || it->second >= alert_to) {
      ++strays;
      return;
    }
    if (!Count(alerts[alert][it->second])) return;
    if (++alert_received[alert] != static_cast<int>(alert_to)) return;
    std::lock_guard lock(window.mutex);
    window.alert_ms.push_back(Ms(now - alert_start[alert]));
  }
};

struct Plan {
  int n = 1000;
  double rate = 500, duration_s = 3600, every_s = 30, sample_s = 30;
  int per_row = 2;
  std::size_t alert_to = 1000;
  std::uint32_t blob_ttl_s = 120;
};

Plan PlanOf(const BenchOptions& o) {
  Plan p;
  p.n = o.n > 0 ? o.n : 1000;
  p.rate = o.rate > 0 ? o.rate : 500;
  p.duration_s = o.duration_s > 0 ? o.duration_s : 3600;
  p.every_s = o.alert_every_s;
  p.sample_s = o.sample_s > 0 ? o.sample_s : 30;
  p.per_row = std::max(1, static_cast<int>(o.row_s / p.sample_s + 0.5));
  p.alert_to = static_cast<std::size_t>(o.alert_to > 0 ? std::min(o.alert_to, p.n) : p.n);
  p.blob_ttl_s = o.blob_ttl_s;
  return p;
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// One alert every plan.every_s until `until`, to the first plan.alert_to mailboxes.
awaitable<void> AlertLoop(Rig& rig, BenchConn& c, Ledger& ledger, std::vector<wire::Request> frames,
                          Plan plan, Clock::time_point start, Clock::time_point until) {
  if (plan.every_s <= 0) co_return;
  for (int a = 0; a < 65536; ++a) {
    const auto at = start + Seconds(plan.every_s * (a + 1));
    if (at >= until) co_return;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(at - Clock::now());
    if (wait.count() > 0) co_await rig.Sleep(wait);
    ledger.StartAlert();
    co_await SendAlert(c, a, frames, plan.blob_ttl_s);
  }
}

// Polls `stats` (every half second, the client still running) until nothing is queued
// and no blob is left, or `limit`. Returns the last answer.
std::map<std::string, std::uint64_t> WaitForEmptyStore(Rig& rig, std::chrono::milliseconds limit) {
  std::map<std::string, std::uint64_t> stats;
  auto next = Clock::now();
  rig.RunUntil(
      [&] {
        if (Clock::now() < next) return false;
        next = Clock::now() + std::chrono::milliseconds(500);
        stats = StoreStats(rig.relay);
        return !stats.empty() && stats["queued envelopes"] == 0 && stats["queued bytes"] == 0 &&
               stats["blobs"] == 0;
      },
      limit);
  return stats;
}

// Least-squares slope of `mib` against time over the second half of the samples, MiB/h.
double SlopePerHour(const std::vector<Sample>& samples, double (*mib)(const Sample&)) {
  const std::size_t from = samples.size() / 2;
  const double count = static_cast<double>(samples.size() - from);
  if (count < 2) return 0;
  double st = 0, sr = 0, stt = 0, str = 0;
  for (std::size_t i = from; i < samples.size(); ++i) {
    const double t = samples[i].t_s / 3600;
    st += t;
    sr += mib(samples[i]);
    stt += t * t;
    str += t * mib(samples[i]);
  }
  const double denominator = count * stt - st * st;
  return denominator > 0 ? (count * str - st * sr) / denominator : 0;
}

// What a run ended with, and whether it passes.
struct Outcome {
  const Ledger* ledger = nullptr;
  std::vector<Sample> samples;  // during the traffic
  std::vector<Row> rows;
  Sample last;  // after the acks and the blobs' TTL
  bool connections_ok = true, drained = true, stats_ok = true, check_ok = true;
  double wall_s = 0;
  const Sample& second() const { return samples[samples.size() > 1 ? 1 : 0]; }
  double slope() const {
    return SlopePerHour(samples, [](const Sample& s) { return s.rss_mib; });
  }
  double other_slope() const {
    return SlopePerHour(samples, [](const Sample& s) { return s.other_mib(); });
  }
  double growth() const { return last.rss_mib - second().rss_mib; }
  // RocksDB's caches fill up to their caps over the first minutes of traffic: the rest of
  // the relay's memory is what must not grow.
  double other_growth() const { return last.other_mib() - second().other_mib(); }
  double rocks_max() const {
    double max = last.rocks_mib;
    for (const Sample& s : samples) max = std::max(max, s.rocks_mib);
    return max;
  }
  double p99_first() const { return rows.empty() ? 0 : rows.front().envelopes.p99; }
  double p99_last() const { return rows.empty() ? 0 : rows.back().envelopes.p99; }
};

std::vector<std::string> Failures(const Outcome& o, double max_growth_mib) {
  std::vector<std::string> failures;
  const auto require = [&](bool ok, const std::string& what) {
    if (!ok) failures.push_back(what);
  };
  const Ledger& l = *o.ledger;
  require(o.connections_ok, "a connection failed");
  require(o.drained, "not everything was delivered and acked within 120 s");
  require(l.Lost() == 0, std::to_string(l.Lost()) + " lost");
  require(l.duplicates == 0, std::to_string(l.duplicates) + " delivered twice");
  require(l.strays == 0, std::to_string(l.strays) + " unknown deliveries");
  require(l.refused == 0, std::to_string(l.refused) + " sends refused");
  require(o.stats_ok, "stats failed");
  require(o.last.queued == 0 && o.last.queued_bytes == 0, "the queue is not empty after the acks");
  require(o.last.blobs == 0, "blobs left after their TTL");
  require(o.check_ok, "the store check failed");
  require(o.other_growth() <= max_growth_mib,
          "RSS outside RocksDB's caches grew by more than the bound");
  return failures;
}

void PrintVerdict(const Outcome& o, const Plan& plan, double max_growth_mib,
                  const std::vector<std::string>& failures) {
  const Ledger& l = *o.ledger;
  double disk_max = 0;
  for (const Sample& s : o.samples) disk_max = std::max(disk_max, s.disk_mib);
  const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "soak verdict: %llu envelopes (%.0f/s) and %zu alerts x %zu in %.0f s: lost %llu, "
      "delivered twice %llu; RSS slope %+.1f MiB/h (least squares, second half), %.1f MiB at "
      "the second sample -> %.1f MiB at the end (%+.1f); RocksDB's caches %.1f -> %.1f MiB (max "
      "%.1f); outside them %.1f -> %.1f MiB (%+.1f, bound %.0f; slope %+.1f MiB/h); envelope "
      "p99 %.2f ms in the first row, %.2f ms in the last; after the acks: %llu envelopes / %llu "
      "bytes queued, "
      "%llu blobs; store on disk %.1f -> %.1f MiB (max %.1f; %.1f at the end); check %s: %s",
      u(l.stored), static_cast<double>(l.stored) / plan.duration_s, l.alert_start.size(),
      plan.alert_to, o.wall_s, u(l.Lost()), u(l.duplicates), o.slope(), o.second().rss_mib,
      o.last.rss_mib, o.growth(), o.second().rocks_mib, o.last.rocks_mib, o.rocks_max(),
      o.second().other_mib(), o.last.other_mib(), o.other_growth(), max_growth_mib, o.other_slope(),
      o.p99_first(), o.p99_last(), u(o.last.queued), u(o.last.queued_bytes), u(o.last.blobs),
      o.samples.front().disk_mib, o.samples.back().disk_mib, disk_max, o.last.disk_mib,
      o.check_ok ? "ok" : "FAILED", failures.empty() ? "PASS" : "FAIL");
  for (const std::string& f : failures) std::printf(" [%s]", f.c_str());
  std::printf("\n");
}

Figure MakeFigure(const Outcome& o, const Plan& plan, bool failed) {
  const Ledger& l = *o.ledger;
  const auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  Figure figure{"soak",
                plan.n,
                {{"rate_per_s", d(l.stored) / plan.duration_s},
                 {"duration_s", plan.duration_s},
                 {"rss_slope_mib_per_h", o.slope()},
                 {"rss_growth_mib", o.growth()},
                 {"rocksdb_max_mib", o.rocks_max()},
                 {"other_growth_mib", o.other_growth()},
                 {"other_slope_mib_per_h", o.other_slope()},
                 {"p99_first_ms", o.p99_first()},
                 {"p99_last_ms", o.p99_last()},
                 {"queued_after", d(o.last.queued)},
                 {"lost", d(l.Lost())},
                 {"duplicates", d(l.duplicates)},
                 {"disk_first_mib", o.samples.front().disk_mib},
                 {"disk_last_mib", o.last.disk_mib},
                 {"pass", failed ? 0.0 : 1.0}}};
  figure.failed = failed;
  return figure;
}

}  // namespace

Figure Soak(const BenchOptions& options) {
  const Plan plan = PlanOf(options);
  Rig rig(options, Unlimited());
  Window window;
  Ledger ledger;
  ledger.alert_to = plan.alert_to;
  // Answered Acks: the ledger's acked count decides when everything sent is drained.
  const std::vector<Mailbox> mailboxes = OpenReceivers(
      rig, plan.n, 64, [&](const wire::Delivery& d) { ledger.OnDelivery(d, window); },
      [&](std::uint32_t deleted) { ledger.acked += deleted; });
  for (std::size_t i = 0; i < mailboxes.size(); ++i) ledger.receiver[mailboxes[i].id] = i;
  const std::vector<BenchConn*> senders = OpenSenders(rig, kSenders + 1);
  if (rig.failures > 0) {
    std::cerr << "soak: setup failed\n";
    std::exit(1);
  }
  const std::vector<Mailbox> alerted(
      mailboxes.begin(), mailboxes.begin() + static_cast<std::ptrdiff_t>(plan.alert_to));
  std::printf(
      "soak: %.0f envelopes/s to %d mailboxes (%d senders), an alert to %zu of them every %.0f "
      "s (blob TTL %u s), for %.0f s; a sample every %.0f s\n",
      plan.rate, plan.n, kSenders, plan.alert_to, plan.every_s, plan.blob_ttl_s, plan.duration_s,
      plan.sample_s);
  PrintHeader();
  Sampler sampler(rig.relay, window, plan.sample_s, plan.per_row);
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto until = start + Seconds(plan.duration_s);
  rig.BeginMeasure();
  sampler.Start(start);
  int running = kSenders + 1;
  OnAnswer on_answer = [&](const wire::Response& r) {
    if (!r.has_stored()) {
      if (++ledger.refused <= 3) std::cerr << "send refused: " << r.error().message() << "\n";
      return;
    }
    ++ledger.stored;
    std::lock_guard lock(window.mutex);
    ++window.stored;
  };
  for (int s = 0; s < kSenders; ++s) {
    rig.Spawn([&, c = senders[static_cast<std::size_t>(s)]]() -> awaitable<void> {
      co_await PacedSend(rig, *c, mailboxes, {plan.rate / kSenders, start, until},
                         &ledger.next_number, on_answer);
      --running;
    });
  }
  rig.Spawn([&]() -> awaitable<void> {
    co_await AlertLoop(rig, *senders.back(), ledger, ViewFrames(alerted), plan, start, until);
    --running;
  });
  rig.RunUntil([&] { return running == 0 || rig.failures > 0; },
               std::chrono::ceil<std::chrono::milliseconds>(Seconds(plan.duration_s + 600)));
  const bool drained = rig.RunUntil(
      [&] {
        return rig.failures > 0 ||
               (ledger.unique >= ledger.Expected() && ledger.acked >= ledger.Expected());
      },
      std::chrono::seconds(120));
  rig.EndMeasure();
  sampler.Stop();

  Outcome o;
  o.ledger = &ledger;
  o.drained = drained;
  o.connections_ok = rig.failures == 0;
  o.wall_s = Ms(Clock::now() - start) / 1000;
  // The store after the last acks, once the alerts' blobs are past their TTL.
  o.stats_ok = !WaitForEmptyStore(rig, std::chrono::seconds(plan.blob_ttl_s + 60)).empty();
  o.last = sampler.Take();
  PrintRow(Merge({o.last}), "  (after the acks and the blobs' TTL)");
  const testing::CommandResult check = rig.relay.RunCommand({"check"});
  o.check_ok = check.exit_code == 0;
  if (!o.check_ok) std::printf("store check: %s%s\n", check.output.c_str(), check.errors.c_str());
  o.samples = sampler.samples();
  o.rows = sampler.rows();
  if (o.samples.empty()) o.samples.push_back(o.last);  // a run shorter than one sample
  const std::vector<std::string> failures = Failures(o, options.max_rss_growth_mib);
  PrintVerdict(o, plan, options.max_rss_growth_mib, failures);
  PrintCpu("all of it", o.wall_s * 1000, rig.cpu());
  return MakeFigure(o, plan, !failures.empty());
}

}  // namespace tocsin::bench
