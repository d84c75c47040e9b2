#include "metrics/metrics.h"

#include <sstream>
#include <string_view>

#include "tocsin/status.h"

namespace tocsin::relay {
namespace {

constexpr std::array<const char*, kRequestTypes> kTypeNames = {
    "hello",       "create_mailbox",    "authenticate",   "subscribe",  "ack",
    "send",        "put_blob",          "send_views",     "set_tokens", "rotate_token",
    "put_prekeys", "get_prekey_bundle", "delete_mailbox", "ping",       "unknown"};

void Metric(std::ostringstream& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out << "# HELP tocsin_relay_" << name << ' ' << help << "\n# TYPE tocsin_relay_" << name << ' '
      << type << '\n';
}

void Value(std::ostringstream& out, std::string_view name, std::uint64_t v) {
  out << "tocsin_relay_" << name << ' ' << v << '\n';
}

void RenderConnections(std::ostringstream& out, const RelayMetrics& m) {
  Metric(out, "connections", "gauge", "Open connections by kind");
  const char* kinds[] = {"pending", "owner", "send"};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::int64_t v = m.connections[i].load(std::memory_order_relaxed);
    out << "tocsin_relay_connections{kind=\"" << kinds[i] << "\"} " << (v < 0 ? 0 : v) << '\n';
  }
  struct Row {
    const char* name;
    const RelayMetrics::Counter& c;
    const char* help;
  };
  const Row rows[] = {
      {"connections_accepted_total", m.connections_accepted, "Connections accepted"},
      {"connections_refused_total", m.connections_refused, "Connections refused (max_connections)"},
      {"handshake_failures_total", m.handshake_failures, "TLS handshakes that failed or timed out"},
      {"slow_reader_disconnects_total", m.slow_reader_disconnects,
       "Connections closed for an outbound backlog over the limit"},
      {"idle_timeouts_total", m.timeouts, "Connections closed by the idle or handshake timeout"},
      {"envelopes_delivered_total", m.envelopes_delivered, "Entries pushed to subscribers"},
      {"bytes_received_total", m.bytes_received, "Bytes of frames received"},
      {"bytes_sent_total", m.bytes_sent, "Bytes of frames sent"},
  };
  for (const Row& r : rows) {
    Metric(out, r.name, "counter", r.help);
    Value(out, r.name, r.c.load(std::memory_order_relaxed));
  }
}

void RenderRequests(std::ostringstream& out, const RelayMetrics& m) {
  Metric(out, "requests_total", "counter", "Requests by type and result code");
  for (std::size_t t = 0; t < kRequestTypes; ++t) {
    for (std::size_t c = 0; c < kResultCodes; ++c) {
      const std::uint64_t v = m.requests[t][c].load(std::memory_order_relaxed);
      if (v == 0) continue;
      out << "tocsin_relay_requests_total{type=\"" << kTypeNames[t] << "\",code=\""
          << CodeName(static_cast<Code>(c)) << "\"} " << v << '\n';
    }
  }
}

void RenderCommits(std::ostringstream& out, const RelayMetrics& m) {
  m.commit_batch_size.Render(out, "commit_batch_size",
                             "Requests per store commit (group commit batch size)", 1);
  m.commit_latency.Render(out, "commit_latency_seconds",
                          "Time of one store commit: write and fsync", 1e6);
  m.push_latency.Render(out, "push_latency_seconds",
                        "From a commit to one network worker's last write of its pushes to "
                        "live subscribers",
                        1e6);
}

void RenderStore(std::ostringstream& out, const StoreCounters& c, const StoreStats* s) {
  struct Row {
    const char* name;
    const char* type;
    std::uint64_t v;
    const char* help;
  };
  const Row rows[] = {
      {"envelopes_stored_total", "counter", c.entries_stored, "Entries stored (envelopes, views)"},
      {"envelopes_acked_total", "counter", c.entries_acked, "Entries deleted by an ack"},
      {"envelopes_expired_total", "counter", c.entries_expired,
       "Entries deleted unacked at expiry"},
      {"stored_bytes_total", "counter", c.bytes_stored, "Bytes of entries and blobs stored"},
      {"commits_total", "counter", c.commits, "Store commits (one batch, one fsync each)"},
      {"committed_ops_total", "counter", c.committed_ops,
       "Requests committed (committed_ops / commits is the mean batch size)"},
      {"commit_seconds_total", "counter", c.commit_micros / 1000000,
       "Time spent committing, whole seconds"},
      {"commit_microseconds_total", "counter", c.commit_micros, "Time spent committing"},
      {"commit_failures_total", "counter", c.commit_failures, "Commits that failed"},
      {"disk_full_refusals_total", "counter", c.disk_full_refusals,
       "Write batches refused because the disk is below limits.min_free_disk_bytes"},
      {"store_recoveries_total", "counter", c.recoveries,
       "Times the store was reopened after a failed write"},
      {"store_writable", "gauge", c.writable ? 1u : 0u,
       "1 while the store takes writes, 0 from a failed write until it recovers"},
  };
  for (const Row& r : rows) {
    Metric(out, r.name, r.type, r.help);
    Value(out, r.name, r.v);
  }
  if (s == nullptr) return;
  const Row gauges[] = {
      {"mailboxes", "gauge", s->mailboxes, "Mailboxes"},
      {"queued_entries", "gauge", s->queued_entries, "Entries waiting in mailboxes"},
      {"queued_bytes", "gauge", s->queued_bytes, "Bytes waiting in mailboxes"},
      {"blobs", "gauge", s->blobs, "Multi-recipient blobs stored"},
      {"blob_bytes", "gauge", s->blob_bytes, "Bytes of blobs stored"},
      {"store_memtable_bytes", "gauge", s->memory.memtables,
       "RocksDB memtables, active and being flushed (flushes start at 64 MiB)"},
      {"store_block_cache_bytes", "gauge", s->memory.block_cache,
       "RocksDB block cache in use (at most 64 MiB)"},
      {"store_table_reader_bytes", "gauge", s->memory.table_readers,
       "RocksDB table files' indexes and filters held in memory"},
  };
  for (const Row& r : gauges) {
    Metric(out, r.name, r.type, r.help);
    Value(out, r.name, r.v);
  }
}

}  // namespace

Histogram::Histogram(std::initializer_list<std::uint64_t> bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(std::uint64_t value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

void Histogram::Render(std::ostringstream& out, std::string_view name, std::string_view help,
                       double scale) const {
  Metric(out, name, "histogram", help);
  // Integers stay exact; scaled values get enough digits for microseconds.
  const auto print = [&out, scale](std::uint64_t v) {
    if (scale == 1) {
      out << v;
    } else {
      const auto old_precision = out.precision(15);
      out << static_cast<double>(v) / scale;
      out.precision(old_precision);
    }
  };
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    out << "tocsin_relay_" << name << "_bucket{le=\"";
    if (i < bounds_.size()) {
      print(bounds_[i]);
    } else {
      out << "+Inf";
    }
    out << "\"} " << cumulative << '\n';
  }
  out << "tocsin_relay_" << name << "_sum ";
  print(sum_.load(std::memory_order_relaxed));
  out << '\n';
  out << "tocsin_relay_" << name << "_count " << cumulative << '\n';
}

const char* RequestTypeName(std::size_t index) {
  return index < kRequestTypes ? kTypeNames[index] : "unknown";
}

std::string RenderMetrics(const RelayMetrics& metrics, const StoreCounters& counters,
                          const StoreStats* stats) {
  std::ostringstream out;
  RenderConnections(out, metrics);
  RenderRequests(out, metrics);
  RenderCommits(out, metrics);
  RenderStore(out, counters, stats);
  return out.str();
}

}  // namespace tocsin::relay
