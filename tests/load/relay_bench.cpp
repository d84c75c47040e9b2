// Relay benchmarks (docs/design.md, "Performance budget"): the real tocsin-relay with fsync
// durability and TLS 1.3; the client (every sender and receiver, one thread) runs on the
// same machine and shares its cores. Scenarios (relay_bench_scenarios.h):
//   fanout      one alert to N subscribed mailboxes (default 1,000 / 5,000 / 10,000)
//   throughput  durable send -> deliver -> ack to N mailboxes (default 100)
//   drain       N mailboxes (default 1,000) x M queued envelopes, all reconnecting
//   idle        relay RSS with N idle TLS connections (default 10,000)
//   idle-alert  N subscribed owner connections (default 10,000) idle for --idle seconds,
//               then one alert (PutBlob + SendViews) to all of them: relay RSS fresh,
//               idle and after the alert; time from the PutBlob to the first and the
//               last delivery
//   soak        --rate envelopes/s (default 500) round-robin to N mailboxes (default
//               1,000), plus an alert to --alert-to of them every --alert-every s, for
//               --duration s (default 3600); receivers ack everything. Every --sample s
//               (default 30): relay RSS and CPU, send -> deliver p50/p99/max, queued
//               envelopes, bytes and blobs (`tocsin-relay stats` through the admin
//               socket), the store's size on disk; one row per --row s (default 60).
//               Then a verdict: RSS slope (MiB/h, least squares over the second half),
//               p99 of the first and last rows, the store after the acks and the blobs'
//               TTL, lost and duplicated deliveries, `check`. Exits 1 when anything was
//               lost or delivered twice, the store is not empty after the acks, the
//               check fails or the RSS outside RocksDB's caches grew more than
//               --max-rss-growth MiB from the second sample to the end (the ctest
//               soak_short runs it for 45 s)
//   abuse       a legitimate sender and receiver at --rate (default 20/s) for --duration
//               s (default 20) alone, then again while --attackers connections (default
//               20) flood the relay with forged Sends and GetPrekeyBundles (bad tokens,
//               made-up mailbox ids), 64 in flight each; default relay limits. Prints
//               both p50/p99 pairs, the attackers' answer codes and the relay's CPU
// Each figure is printed as a human line, a CPU line (relay and client CPU beside the
// wall time) and a RESULT line for tests/load/compare.sh. `all` runs the first four
// (what compare.sh compares); the others are run by name. docs/load.md says more.
//
// Examples:
//   tocsin_relay_bench fanout -n 5000 --alerts 20
//   tocsin_relay_bench drain --resume off --runs 3
//   tocsin_relay_bench throughput --set server.io_threads=1
//   tocsin_relay_bench idle-alert -n 10000
//   tocsin_relay_bench soak --duration 3600 --rate 500
//   tocsin_relay_bench abuse --attackers 20
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "relay_bench_scenarios.h"

namespace tocsin::bench {
namespace {

// Runs `scenario` `runs` times (a fresh relay each time) and prints the medians. False
// when a run failed its checks.
bool Measure(Figure (*scenario)(const BenchOptions&), const BenchOptions& options, int runs) {
  std::vector<Figure> figures;
  for (int i = 0; i < runs; ++i) figures.push_back(scenario(options));
  Figure median = figures.front();
  median.runs = runs;
  for (const Figure& f : figures) median.failed = median.failed || f.failed;
  for (std::size_t k = 0; k < median.values.size(); ++k) {
    std::vector<double> values;
    for (const Figure& f : figures) values.push_back(f.values[k].second);
    median.values[k].second = Median(values);
  }
  PrintResult(median);
  return !median.failed;
}

int Run(const std::string& what, std::vector<int> sizes, BenchOptions options, int runs) {
  std::printf(
      "relay bench (fsync, TLS 1.3, client on the same cores; load average %.1f: on a shared "
      "machine figures are noisy)\n",
      LoadAverage());
  const bool all = what == "all";
  bool ok = true;
  if (what == "fanout" || all) {
    if (sizes.empty()) sizes = {1000, 5000, 10000};
    for (const int n : sizes) {
      options.n = n;
      ok = Measure(FanOut, options, runs) && ok;
    }
    options.n = 0;
  } else if (!sizes.empty()) {
    options.n = sizes.front();
  }
  if (what == "throughput" || all) ok = Measure(Throughput, options, runs) && ok;
  if (what == "drain" || all) ok = Measure(Drain, options, runs) && ok;
  if (what == "idle" || all) ok = Measure(Idle, options, runs) && ok;
  if (what == "idle-alert") ok = Measure(IdleAlert, options, runs) && ok;
  if (what == "soak") ok = Measure(Soak, options, runs) && ok;
  if (what == "abuse") ok = Measure(Abuse, options, runs) && ok;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tocsin::bench

int main(int argc, char** argv) {
  using tocsin::bench::BenchOptions;
  if (sodium_init() < 0) return 1;
  tocsin::bench::RaiseFileLimit();
  CLI::App app{"Benchmarks of the real tocsin-relay (fsync, TLS 1.3)"};
  std::string what = "all";
  std::vector<int> sizes;
  BenchOptions options;
  int runs = 1;
  std::string resume = "on";
  std::vector<std::string> settings;
  app.add_option("scenario", what,
                 "fanout, throughput, drain, idle, all (those four), idle-alert, soak or abuse")
      ->check(CLI::IsMember(
          {"fanout", "throughput", "drain", "idle", "all", "idle-alert", "soak", "abuse"}));
  app.add_option("-n,--n", sizes, "recipients / mailboxes / connections (fan-out: several)");
  app.add_option("--alerts", options.alerts, "fan-out: measured alerts")
      ->check(CLI::PositiveNumber);
  app.add_option("--messages", options.messages,
                 "throughput: envelopes in all; drain: envelopes per mailbox");
  app.add_option("--resume", resume, "drain: owners resume their TLS sessions")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--gap-ms", options.gap_ms, "fan-out: pause between alerts");
  app.add_option("--runs", runs, "runs of each scenario (fresh relay each); medians printed")
      ->check(CLI::PositiveNumber);
  app.add_option("--set", settings, "relay.toml setting for the relay, section.key=value");
  app.add_flag("--trace", options.trace, "fan-out: per-alert timings on stderr");
  app.add_option("--receiver-threads", options.receiver_threads,
                 "fan-out: threads the receivers run on (0: the client thread)")
      ->check(CLI::Range(0, 64));
  app.add_option("--idle", options.idle_s, "idle-alert: seconds idle before the alert")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--duration", options.duration_s,
                 "soak: seconds in all (3600); abuse: seconds per phase (20)")
      ->check(CLI::PositiveNumber);
  app.add_option("--rate", options.rate, "soak (500), abuse (20): envelopes per second")
      ->check(CLI::PositiveNumber);
  app.add_option("--alert-every", options.alert_every_s, "soak: seconds between alerts; 0: none")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--alert-to", options.alert_to, "soak: mailboxes per alert (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--sample", options.sample_s, "soak: seconds between samples")
      ->check(CLI::PositiveNumber);
  app.add_option("--row", options.row_s, "soak: seconds of samples per printed row")
      ->check(CLI::PositiveNumber);
  app.add_option("--blob-ttl", options.blob_ttl_s, "soak: the alerts' TTL, seconds")
      ->check(CLI::Range(1, 86400));
  app.add_option("--max-rss-growth", options.max_rss_growth_mib,
                 "soak: fail above this growth (MiB) of the RSS outside RocksDB's caches, second "
                 "sample to the end");
  app.add_option("--attackers", options.attackers, "abuse: attacking connections")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  options.resume = resume == "on";
  for (const std::string& s : settings) {
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos) {
      std::cerr << "--set needs section.key=value: " << s << "\n";
      return 2;
    }
    options.relay_settings[s.substr(0, eq)] = s.substr(eq + 1);
  }
  return tocsin::bench::Run(what, sizes, options, runs);
}
