// What every peer benchmark shares (tests/load/peers: Mosquitto and Redis Streams
// measured on the relay benchmark's scenarios, for tests/load/compare.sh): the command
// line, the payload layout, the statistics and the RESULT lines.
#ifndef TOCSIN_TESTS_LOAD_PEERS_PEER_BENCH_H_
#define TOCSIN_TESTS_LOAD_PEERS_PEER_BENCH_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::peers {

using Clock = std::chrono::steady_clock;

// One benchmark invocation. The scenarios are those of tests/load/relay_bench.cpp:
//   fanout      one message to `n` subscribers, `alerts` times (plus one warm-up)
//   throughput  `senders` x `per_sender` messages to `receivers` mailboxes, at most
//               `window` unanswered per sender: send -> deliver -> ack per second
//   drain       `n` mailboxes x `queued` messages stored while offline, then all
//               reconnecting at once
//   idle        `n` idle connections; the server's RSS (needs `server_pid`)
// One per core: the fan-out's receivers stand for thousands of phones, which read in
// parallel (tests/load/peers/README.md).
int DefaultReceiverThreads();

struct Options {
  std::string system;      // the RESULT label, e.g. "redis-always-tls"
  std::string durability;  // the RESULT label, e.g. "always" or "ram"
  std::string scenario = "fanout";
  std::string host = "127.0.0.1";
  int port = 0;
  bool tls = false;
  int n = 1000;
  int alerts = 20;
  int gap_ms = 200;
  int size = 512;  // bytes per message (fan-out); throughput and drain use `bulk_size`
  int bulk_size = 1024;
  int receivers = 100;
  int senders = 4;
  int per_sender = 50000;
  int window = 512;
  int queued = 20;
  int setup_parallel = 200;  // connections in setup at once (as relay_bench.cpp)
  // fanout: threads the subscribers are spread over (0: the publisher's thread); default:
  // one per core, as relay_bench.cpp
  int receiver_threads = DefaultReceiverThreads();
  int server_pid = 0;
  int timeout_s = 300;
};

// Parses the command line (CLI11); exits on --help or an error.
Options ParseOptions(int argc, char** argv, const std::string& description);

// Raises RLIMIT_NOFILE to its hard limit: 10,000 connections need more than 1,024.
void RaiseFileLimit();

double Ms(Clock::duration d);

// A message of `size` bytes (at least 8) whose first 8 bytes carry `index`: the
// receivers find which message arrived without a lookup table.
std::string MakePayload(std::size_t size, std::uint64_t index);
// The index MakePayload wrote, or nullopt for a payload shorter than 8 bytes.
std::optional<std::uint64_t> PayloadIndex(std::string_view payload);

struct Summary {
  double p50 = 0;
  double max = 0;
};
// Median and maximum; REQUIRES: !values.empty().
Summary Summarise(std::vector<double> values);

// The server's resident memory in MiB, or 0 when `pid` is not readable.
double RssMiB(int pid);

// Prints one RESULT line (docs: tests/load/peers/README.md) for `options`' system with
// the given "key=value" fields appended.
void PrintResult(const Options& options, const std::vector<std::string>& fields);
std::string Field(const char* key, double value);

}  // namespace tocsin::peers

#endif  // TOCSIN_TESTS_LOAD_PEERS_PEER_BENCH_H_
