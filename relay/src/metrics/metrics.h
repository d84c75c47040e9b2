// Counters the relay exports as Prometheus text (metrics_server.h serves them).
// Everything is a relaxed atomic: updated from every thread, read by the scrape.
#ifndef TOCSIN_RELAY_METRICS_METRICS_H_
#define TOCSIN_RELAY_METRICS_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "store/mailbox_store.h"

namespace tocsin::relay {

// Request types in the order of relay.proto's Request.body (field 10 is index 0); the
// last index counts requests of a type this relay does not know.
inline constexpr std::size_t kRequestTypes = 15;
inline constexpr std::size_t kResultCodes = 12;  // wire ErrorCode 0..11

// The Prometheus label of request type `index` ("hello", ..., "unknown").
const char* RequestTypeName(std::size_t index);

// A Prometheus histogram over integer observations (microseconds, counts) with fixed
// bucket bounds. Observe is lock-free; a scrape reads each bucket once, so it may miss
// an observation that lands meanwhile but never shows buckets that disagree with _count.
class Histogram {
 public:
  // `bounds`: increasing upper bounds (inclusive), in the unit observed; +Inf follows.
  Histogram(std::initializer_list<std::uint64_t> bounds);
  void Observe(std::uint64_t value);
  // Writes `tocsin_relay_<name>_bucket{le=...}`, `_sum` and `_count`, with values and
  // bounds divided by `scale` (1e6 turns microseconds into seconds).
  void Render(std::ostringstream& out, std::string_view name, std::string_view help,
              double scale) const;

 private:
  std::vector<std::uint64_t> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1, not cumulative
  std::atomic<std::uint64_t> sum_{0};
};

struct RelayMetrics {
  using Counter = std::atomic<std::uint64_t>;
  // Open connections by kind: 0 handshaking or before Hello, 1 owner, 2 send.
  std::array<std::atomic<std::int64_t>, 3> connections{};
  Counter connections_accepted{0};
  Counter connections_refused{0};  // over max_connections
  Counter handshake_failures{0};
  Counter slow_reader_disconnects{0};
  Counter timeouts{0};
  std::array<std::array<Counter, kResultCodes>, kRequestTypes> requests{};
  Counter envelopes_delivered{0};
  Counter bytes_received{0};
  Counter bytes_sent{0};
  // Per store commit that wrote something: requests in the batch, and the time of its
  // write and fsync (microseconds). Filled by the store's commit hook (admin/serve.cpp).
  Histogram commit_batch_size{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
  Histogram commit_latency{100,   250,   500,    1000,   2500,   5000,    10000,
                           25000, 50000, 100000, 250000, 500000, 1000000, 2500000};

  // Per commit with pushes, per network worker that had some: the time from the end of
  // the commit to the end of that worker's writes of them (microseconds): how long the
  // relay takes to hand an alert to its live subscribers' sockets.
  Histogram push_latency{100,   250,   500,    1000,   2500,   5000,    10000,
                         25000, 50000, 100000, 250000, 500000, 1000000, 2500000};

  void ObserveCommit(std::uint64_t ops, std::uint64_t micros) {
    commit_batch_size.Observe(ops);
    commit_latency.Observe(micros);
  }

  void CountRequest(std::size_t type, int code) {
    if (type < kRequestTypes && code >= 0 && static_cast<std::size_t>(code) < kResultCodes) {
      requests[type][static_cast<std::size_t>(code)].fetch_add(1, std::memory_order_relaxed);
    }
  }
  static void Add(Counter& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

// Prometheus text exposition of `metrics` plus the store's counters and sizes.
std::string RenderMetrics(const RelayMetrics& metrics, const StoreCounters& counters,
                          const StoreStats* stats);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_METRICS_METRICS_H_
