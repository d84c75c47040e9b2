// What the load programs of tests/load share: timing and percentiles, the relay
// process's CPU and memory from /proc, the relay store's figures (`tocsin-relay stats`
// through the admin socket) and the size of its folder on disk.
#ifndef TOCSIN_TESTS_LOAD_LOAD_COMMON_H_
#define TOCSIN_TESTS_LOAD_LOAD_COMMON_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "relay_process.h"

namespace tocsin::bench {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d);
double Median(std::vector<double> v);
// The p-th percentile (0 <= p <= 100) by nearest rank; 0 for no values.
double Percentile(std::vector<double> v, double p);

// A set of latencies (ms) reduced to what the programs print.
struct LatencySummary {
  std::size_t count = 0;
  double p50 = 0, p99 = 0, max = 0;
};
LatencySummary Summarize(std::vector<double> ms);

// CPU seconds of a process so far (user + system), from /proc/<pid>/stat, in ms.
double ProcessCpuMs(pid_t pid);
// This process's CPU so far (user + system), ms.
double SelfCpuMs();
// The machine's 1-minute load average (what it was doing besides this program).
double LoadAverage();
// Open files up to the hard limit (thousands of connections); the relay started
// afterwards inherits it.
void RaiseFileLimit();

// `tocsin-relay stats` of a running relay, by label: "mailboxes", "queued envelopes",
// "queued bytes", "blobs", "blob bytes", ... Empty when the command failed.
std::map<std::string, std::uint64_t> StoreStats(const testing::RelayProcess& relay);
// Bytes of every file under `dir` (the relay's RocksDB folder); 0 when it is missing.
std::uint64_t DirBytes(const std::string& dir);

}  // namespace tocsin::bench

#endif  // TOCSIN_TESTS_LOAD_LOAD_COMMON_H_
