#include "admin/serve.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>
#include <csignal>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "admin/admin_server.h"
#include "metrics/log_throttle.h"
#include "metrics/metrics_server.h"
#include "net/server.h"

// jemalloc's control entry point: set when the binary runs on jemalloc, null otherwise.
extern "C" int mallctl(const char*, void*, std::size_t*, void*, std::size_t) __attribute__((weak));

namespace tocsin::relay {
namespace {

namespace fs = std::filesystem;

void SetUpLogging(const Config& config) {
  LogToStderr();
  spdlog::set_level(spdlog::level::from_str(config.log_level));
}

std::string EndpointText(const asio::ip::tcp::endpoint& e) {
  const std::string host = e.address().to_string();
  return (e.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(e.port());
}

void WriteServingFile(const Config& config, const std::string& listen, const std::string& metrics) {
  const fs::path path = fs::path(config.data_dir) / kServingFile;
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << "listen " << listen << "\nmetrics " << metrics << "\npid " << ::getpid() << "\n";
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);  // atomic: a reader sees all of it or nothing
}

struct Services {
  std::unique_ptr<MailboxStore> store;
  std::unique_ptr<Server> server;
};

int Fail(const std::string& what, const Status& status) {
  spdlog::error("{}: {}", what, status.ToString());
  return 1;
}

// RocksDB's messages: its routine ones (flushes, compactions) at debug level, trouble
// (a failed write, a full disk) at warn or error.
void LogStorageEngine(KvLogLevel level, std::string_view message) {
  switch (level) {
    case KvLogLevel::kDebug:
    case KvLogLevel::kInfo:
      spdlog::debug("rocksdb: {}", message);
      break;
    case KvLogLevel::kWarn:
      spdlog::warn("rocksdb: {}", message);
      break;
    case KvLogLevel::kError:
      spdlog::error("rocksdb: {}", message);
      break;
  }
}

// The store's options, with its commits feeding the metrics and, when they fail, the
// log (throttled: a full disk fails every commit). No id or path is logged here.
StoreOptions StoreOptionsFor(const Config& config, RelayMetrics& metrics, LogThrottle& failures) {
  StoreOptions options = config.MakeStoreOptions();
  options.engine_log = LogStorageEngine;
  options.on_commit = [&metrics, &failures](std::uint64_t ops, std::uint64_t micros, bool ok) {
    if (ok) return metrics.ObserveCommit(ops, micros);
    if (const std::uint64_t n = failures.Note()) {
      spdlog::error(
          "store commit failed ({} since the last report): writes are answered UNAVAILABLE; "
          "check the disk of the data folder (free space, errors)",
          n);
    }
  };
  return options;
}

// Says which allocator the relay runs on, and on glibc's keeps large blocks mapped.
// RocksDB's memtables are arenas of large blocks, freed when a memtable has been flushed
// (about every 64 MiB written). glibc maps a large block on its own, and gives it back at
// free, only above its mmap threshold, which it raises to the size of every mapped block
// freed: after the first flush the blocks came from the heap, and the heap kept the freed
// ones. At 500 envelopes/s the relay's RSS grew ~60 MiB in 4 minutes while RocksDB's own
// figures fell. A fixed threshold (which also stops glibc raising it) maps every block of
// 256 KiB or more and unmaps it at free. Smaller allocations (TLS buffers, frames) are as
// before. Only for glibc's malloc: jemalloc (which the release binary links, with
// main.cpp's options) purges what is freed by itself, and has no such threshold.
void SetUpAllocator() {
  if (mallctl != nullptr) {
    spdlog::info("memory: jemalloc");
    return;
  }
  spdlog::info("memory: the C library's malloc");
  constexpr int kMmapThresholdBytes = 256 << 10;
  if (::mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) != 1) {
    spdlog::warn("mallopt(M_MMAP_THRESHOLD) failed: memory freed by the store may stay resident");
  }
}

// Each connection takes a file descriptor, and RocksDB and the listeners some more. A
// soft limit below the hard one (1,024 is common outside systemd) is raised to it, as
// the relay can take as many as it is allowed; a limit that still leaves less than
// max_connections is said once at start, not found by the connection that fails.
void RaiseOpenFileLimit(const Config& config) {
  constexpr rlim_t kOwnFiles = 256;  // the store's files, listeners, the admin socket
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    const rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) limit.rlim_cur = before;
  }
  const rlim_t wanted = static_cast<rlim_t>(config.max_connections) + kOwnFiles;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    spdlog::warn(
        "open-file limit {} is below limits.max_connections ({}) + {}: connections beyond "
        "~{} will fail to be accepted (raise LimitNOFILE or ulimit -n)",
        limit.rlim_cur, config.max_connections, kOwnFiles,
        limit.rlim_cur > kOwnFiles ? limit.rlim_cur - kOwnFiles : 0);
  }
}

}  // namespace

void LogToStderr() {
  if (spdlog::get("tocsin-relay") != nullptr) return;
  spdlog::set_default_logger(spdlog::stderr_color_mt("tocsin-relay"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

int RunServe(const Config& config) {
  std::signal(SIGPIPE, SIG_IGN);  // a peer gone mid-write is an error code, not a signal
  // A file size limit (ulimit -f, LimitFSIZE=) makes a write fail with EFBIG: a failed
  // commit answered UNAVAILABLE, like a full disk, rather than a killed relay.
  std::signal(SIGXFSZ, SIG_IGN);
  SetUpLogging(config);
  SetUpAllocator();
  RaiseOpenFileLimit(config);
  Result<Identity> identity = LoadIdentity(config.data_dir);
  if (!identity.ok()) return Fail("identity", identity.status());
  Result<SslCtxPtr> tls = MakeServerTlsContext(*identity);
  if (!tls.ok()) return Fail("tls", tls.status());
  RelayMetrics metrics;
  LogThrottle commit_failures(std::chrono::seconds(10));
  auto opened =
      MailboxStore::Open(config.StoreDir(), StoreOptionsFor(config, metrics, commit_failures));
  if (!opened.ok()) return Fail("store", opened.status());
  std::unique_ptr<MailboxStore> store = std::move(*opened);
  auto server = std::make_unique<Server>(config, std::move(*tls), *store, metrics);
  Fanout& fanout = server->fanout();
  store->SetStoredListener([&fanout](std::span<const QueuedEntry> e) { fanout.OnStored(e); });
  if (Status s = server->Start(); !s.ok()) return Fail("listen", s);

  asio::io_context control(1);
  AdminServer admin(control, *store, config);
  if (Status s = admin.Start(); !s.ok()) return Fail("admin socket", s);
  // Stats() scans every mailbox: scrapes reuse a result up to 10 s old.
  std::optional<StoreStats> stats_cache;
  auto stats_time = std::chrono::steady_clock::time_point();
  MetricsServer metrics_server(control, [&] {
    const auto now = std::chrono::steady_clock::now();
    if (!stats_cache || now - stats_time > std::chrono::seconds(10)) {
      Result<StoreStats> stats = store->Stats();
      stats_cache.reset();
      if (stats.ok()) stats_cache = *stats;
      stats_time = now;
    }
    return RenderMetrics(metrics, store->counters(), stats_cache ? &*stats_cache : nullptr);
  });
  std::string metrics_at = "-";
  if (!config.metrics_listen.empty()) {
    if (Status s = metrics_server.Start(config.metrics_listen); !s.ok()) return Fail("metrics", s);
    metrics_at = EndpointText(metrics_server.local_endpoint());
  }
  asio::signal_set signals(control, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code&, int signal) {
    spdlog::info("signal {}: shutting down", signal);
    control.stop();
  });
  WriteServingFile(config, EndpointText(server->local_endpoint()), metrics_at);
  spdlog::info("serving on port {} ({} durability)", server->local_endpoint().port(),
               config.durability);
  control.run();

  admin.Stop();
  metrics_server.Stop();
  server->StopAccepting();
  store->Close();  // commits what is queued; its answers still reach the sessions
  server->Shutdown(std::chrono::milliseconds(2000));
  server.reset();
  store.reset();
  std::error_code ec;
  fs::remove(fs::path(config.data_dir) / kServingFile, ec);
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace tocsin::relay
