#include "peer_bench.h"

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

namespace tocsin::peers {

int DefaultReceiverThreads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

Options ParseOptions(int argc, char** argv, const std::string& description) {
  Options o;
  CLI::App app{description};
  app.add_option("--system", o.system, "label of the RESULT lines")->required();
  app.add_option("--durability", o.durability, "durability label of the RESULT lines");
  app.add_option("--scenario", o.scenario, "fanout | throughput | drain | idle")
      ->check(CLI::IsMember({"fanout", "throughput", "drain", "idle"}));
  app.add_option("--host", o.host, "server address (loopback)");
  app.add_option("--port", o.port, "server port")->required()->check(CLI::Range(1, 65535));
  app.add_flag("--tls", o.tls, "TLS 1.3 to the server");
  app.add_option("-n,--n", o.n, "subscribers (fanout), mailboxes (drain), connections (idle)")
      ->check(CLI::Range(1, 20000));
  app.add_option("--alerts", o.alerts, "fan-out messages measured")->check(CLI::Range(1, 1000));
  app.add_option("--gap-ms", o.gap_ms, "pause between fan-out messages (acks settle)");
  app.add_option("--size", o.size, "fan-out message bytes")->check(CLI::Range(8, 1 << 20));
  app.add_option("--bulk-size", o.bulk_size, "throughput and drain message bytes")
      ->check(CLI::Range(8, 1 << 20));
  app.add_option("--receivers", o.receivers, "throughput receiving mailboxes");
  app.add_option("--senders", o.senders, "throughput sending connections");
  app.add_option("--per-sender", o.per_sender, "throughput messages per sender");
  app.add_option("--window", o.window, "throughput unanswered sends per sender");
  app.add_option("--queued", o.queued, "drain messages queued per mailbox");
  app.add_option("--setup-parallel", o.setup_parallel, "connections in setup at once");
  app.add_option("--server-pid", o.server_pid, "server process (idle: its RSS)");
  app.add_option("--timeout", o.timeout_s, "seconds before a scenario gives up");
  app.add_option("--receiver-threads", o.receiver_threads,
                 "fanout: threads the subscribers run on (0: the publisher's)")
      ->check(CLI::Range(0, 64));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  if (o.durability.empty()) o.durability = "ram";
  return o;
}

void RaiseFileLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string MakePayload(std::size_t size, std::uint64_t index) {
  std::string payload(std::max<std::size_t>(size, 8), 'p');
  std::memcpy(payload.data(), &index, sizeof index);
  return payload;
}

std::optional<std::uint64_t> PayloadIndex(std::string_view payload) {
  std::uint64_t index = 0;
  if (payload.size() < sizeof index) return std::nullopt;
  std::memcpy(&index, payload.data(), sizeof index);
  return index;
}

Summary Summarise(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return {values[values.size() / 2], values.back()};
}

double RssMiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024;
  }
  return 0;
}

std::string Field(const char* key, double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%s=%.3f", key, value);
  return text;
}

void PrintResult(const Options& options, const std::vector<std::string>& fields) {
  std::string line = "RESULT system=" + options.system + " scenario=" + options.scenario;
  line += " n=" + std::to_string(options.n);
  for (const std::string& f : fields) line += " " + f;
  line += " durability=" + options.durability + " tls=" + (options.tls ? "1" : "0");
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace tocsin::peers
