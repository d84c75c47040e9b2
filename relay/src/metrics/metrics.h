// Counters the relay exports as Prometheus text (metrics_server.h serves them).
// Everything is a relaxed atomic: updated from every thread, read by the scrape.
#ifndef TOCSIN_RELAY_METRICS_METRICS_H_
#define TOCSIN_RELAY_METRICS_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "store/mailbox_store.h"

namespace tocsin::relay {

// Request types in the order of relay.proto's Request.body (field 10 is index 0); the
// last index counts requests of a type this relay does not know.
inline constexpr std::size_t kRequestTypes = 15;
inline constexpr std::size_t kResultCodes = 12;  // wire ErrorCode 0..11

// The Prometheus label of request type `index` ("hello", ..., "unknown").
const char* RequestTypeName(std::size_t index);

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
