// Relay benchmarks (docs/design.md, "Performance budget"): the real tocsin-relay with fsync
// durability and TLS 1.3; the client (every sender and receiver, one thread) runs on the
// same machine and shares its cores. Scenarios (relay_bench_scenarios.h):
//   fanout      one alert to N subscribed mailboxes (default 1,000 / 5,000 / 10,000)
//   throughput  durable send -> deliver -> ack to N mailboxes (default 100)
//   drain       N mailboxes (default 1,000) x M queued envelopes, all reconnecting
//   idle        relay RSS with N idle TLS connections (default 10,000)
// Each figure is printed as a human line, a CPU line (relay and client CPU beside the
// wall time) and a RESULT line for tests/load/compare.sh.
//
// Examples:
//   tocsin_relay_bench fanout -n 5000 --alerts 20
//   tocsin_relay_bench drain --resume off --runs 3
//   tocsin_relay_bench throughput --set server.io_threads=1
#include <sodium.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "relay_bench_scenarios.h"

namespace tocsin::bench {
namespace {

void RaiseFileLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);  // inherited by the relay we start
}

// Runs `scenario` `runs` times (a fresh relay each time) and prints the medians.
void Measure(Figure (*scenario)(const BenchOptions&), const BenchOptions& options, int runs) {
  std::vector<Figure> figures;
  for (int i = 0; i < runs; ++i) figures.push_back(scenario(options));
  Figure median = figures.front();
  median.runs = runs;
  for (std::size_t k = 0; k < median.values.size(); ++k) {
    std::vector<double> values;
    for (const Figure& f : figures) values.push_back(f.values[k].second);
    median.values[k].second = Median(values);
  }
  PrintResult(median);
}

int Run(const std::string& what, std::vector<int> sizes, BenchOptions options, int runs) {
  std::printf(
      "relay bench (fsync, TLS 1.3, client on the same cores; load average %.1f: on a shared "
      "machine figures are noisy)\n",
      LoadAverage());
  const bool all = what == "all";
  if (what == "fanout" || all) {
    if (sizes.empty()) sizes = {1000, 5000, 10000};
    for (const int n : sizes) {
      options.n = n;
      Measure(FanOut, options, runs);
    }
    options.n = 0;
  } else if (!sizes.empty()) {
    options.n = sizes.front();
  }
  if (what == "throughput" || all) Measure(Throughput, options, runs);
  if (what == "drain" || all) Measure(Drain, options, runs);
  if (what == "idle" || all) Measure(Idle, options, runs);
  return 0;
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
  app.add_option("scenario", what, "fanout, throughput, drain, idle or all")
      ->check(CLI::IsMember({"fanout", "throughput", "drain", "idle", "all"}));
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
