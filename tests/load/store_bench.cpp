// MailboxStore benchmark (RocksDB in a temporary folder, fsync durability): medians of
// several runs, printed as Markdown for docs/PERFORMANCE.md.
// `tocsin_store_bench [runs] [dir]` (default 7 runs, under the system temp folder).
//
// - Fan-out store time: one PutBlob + AppendViews in frames of 2,000 views to N =
//   1,000 / 5,000 / 10,000 mailboxes, all submitted at once, until the last answer.
// - Durable appends per second from 8 threads, each keeping K appends in flight
//   (K = 1: 8 callers; K = 128: 1,024 callers, as many connections would).
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/mailbox_store.h"

namespace {

using namespace tocsin;
using namespace tocsin::relay;
using Clock = std::chrono::steady_clock;

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark failed: %s\n", what);
    std::exit(1);
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// CPU time of the whole process (all threads, RocksDB's included), in ms: on a shared
// machine it moves less than wall time.
double ProcessCpuMs() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Counts answers down to zero; Wait() blocks until then.
class Latch {
 public:
  explicit Latch(std::size_t n) : left_(n) {}
  void Done() {
    std::lock_guard lock(mutex_);
    if (--left_ == 0) cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return left_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t left_;
};

struct Recipient {
  MailboxId id{};
  Token token{};
};

std::vector<Recipient> MakeRecipients(MailboxStore& store, std::size_t n) {
  std::vector<Recipient> out(n);
  Latch latch(n);
  for (Recipient& r : out) {
    randombytes_buf(r.token.data(), r.token.size());
    store.CreateInvite(1, 0, [&store, &r, &latch](Result<std::string> invite) {
      Require(invite.ok(), "invite");
      store.CreateMailbox(*invite, AuthKey{}, [&store, &r, &latch](Result<MailboxId> id) {
        Require(id.ok(), "mailbox");
        r.id = *id;
        store.SetTokens(r.id, {TokenEntry{TokenClass::kAlert, HashToken(r.token), 0}},
                        [&latch](Result<std::uint32_t> t) {
                          Require(t.ok(), "tokens");
                          latch.Done();
                        });
      });
    });
  }
  latch.Wait();
  return out;
}

// One alert to the first n recipients: PutBlob, then every frame at once.
double FanOutMs(MailboxStore& store, const std::vector<Recipient>& recipients, std::size_t n) {
  constexpr std::size_t kFrame = 2000;
  const auto start = Clock::now();
  std::promise<BlobHandle> handle_promise;
  store.PutBlob(std::string(1200, 'b'), 3600, [&](Result<BlobHandle> h) {
    Require(h.ok(), "put blob");
    handle_promise.set_value(*h);
  });
  const BlobHandle handle = handle_promise.get_future().get();
  Latch latch((n + kFrame - 1) / kFrame);
  for (std::size_t from = 0; from < n; from += kFrame) {
    std::vector<ViewRequest> views;
    for (std::size_t i = from; i < std::min(n, from + kFrame); ++i) {
      views.push_back(
          ViewRequest{recipients[i].id, recipients[i].token, std::string(48, 'v'), std::nullopt});
    }
    store.AppendViews(handle, std::move(views), [&latch](Result<std::vector<Code>> codes) {
      Require(codes.ok(), "views");
      for (Code c : *codes) Require(c == Code::kOk, "view code");
      latch.Done();
    });
  }
  latch.Wait();
  return MsSince(start);
}

// Appends per second from `threads` threads with `window` appends in flight each.
double AppendsPerSecond(MailboxStore& store, const std::vector<Recipient>& recipients, int threads,
                        int window, int per_thread) {
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mutex m;
      std::condition_variable cv;
      int in_flight = 0;
      for (int i = 0; i < per_thread; ++i) {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return in_flight < window; });
        ++in_flight;
        lock.unlock();
        const Recipient& r = recipients[(t * per_thread + i) % recipients.size()];
        store.Append(r.id, r.token, std::string(700, 'e'), 3600, [&](Result<std::uint64_t> s) {
          Require(s.ok(), "append");
          std::lock_guard done(m);
          --in_flight;
          cv.notify_one();
        });
      }
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return in_flight == 0; });
    });
  }
  for (auto& w : workers) w.join();
  return threads * per_thread / (MsSince(start) / 1000);
}

// Check, Stats and a reopen (metadata is loaded at open) of the store as the runs left it.
void PrintAdminTimes(std::unique_ptr<MailboxStore> store, const std::string& dir,
                     const StoreOptions& options) {
  auto start = Clock::now();
  const auto report = store->Check();
  const double check_ms = MsSince(start);
  Require(report.ok() && report->ok(), "check");
  start = Clock::now();
  const auto stats = store->Stats();
  const double stats_ms = MsSince(start);
  Require(stats.ok(), "stats");
  store->Close();
  store.reset();
  start = Clock::now();
  auto reopened = MailboxStore::Open(dir, options);
  const double open_ms = MsSince(start);
  Require(reopened.ok(), "reopen");
  std::printf(
      "\nwith %llu mailboxes, %llu queued entries: Check %.0f ms, Stats %.0f ms, open %.0f ms\n",
      static_cast<unsigned long long>(stats->mailboxes),
      static_cast<unsigned long long>(stats->queued_entries), check_ms, stats_ms, open_ms);
  (*reopened)->Close();
}

}  // namespace

int main(int argc, char** argv) {
  Require(sodium_init() >= 0, "sodium");
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  const std::filesystem::path parent =
      argc > 2 ? std::filesystem::path(argv[2]) : std::filesystem::temp_directory_path();
  const std::filesystem::path dir = parent / ("tocsin-store-bench-" + std::to_string(getpid()));
  StoreOptions options;
  options.sweep_interval_ms = 0;
  if (std::getenv("BENCH_WAL")) options.durability = Durability::kWal;
  auto store = MailboxStore::Open(dir.string(), options);
  Require(store.ok(), "open");
  const auto recipients = MakeRecipients(**store, 10000);
  std::printf("| scenario | median | runs |\n|---|---|---|\n");
  for (std::size_t n : {1000u, 5000u, 10000u}) {
    std::vector<double> ms;
    std::vector<double> cpu;
    for (int i = 0; i < runs; ++i) {
      const StoreCounters before = (*store)->counters();
      const double cpu_before = ProcessCpuMs();
      ms.push_back(FanOutMs(**store, recipients, n));
      cpu.push_back(ProcessCpuMs() - cpu_before);
      const StoreCounters after = (*store)->counters();
      if (std::getenv("BENCH_VERBOSE")) {
        std::fprintf(stderr, "fan-out %zu: %.1f ms, %llu commits, %llu us in commits\n", n,
                     ms.back(), static_cast<unsigned long long>(after.commits - before.commits),
                     static_cast<unsigned long long>(after.commit_micros - before.commit_micros));
      }
    }
    std::printf("| fan-out store time, %zu views, fsync | %.1f ms (CPU %.1f ms) | %d |\n", n,
                Median(ms), Median(cpu), runs);
  }
  for (int window : {1, 128}) {
    if (std::getenv("BENCH_FANOUT_ONLY")) break;
    std::vector<double> rates;
    const int per_thread = window == 1 ? 2000 : 20000;
    for (int i = 0; i < runs; ++i) {
      rates.push_back(AppendsPerSecond(**store, recipients, 8, window, per_thread));
    }
    std::printf("| durable appends/s, 8 threads x %d in flight | %.0f /s | %d |\n", window,
                Median(rates), runs);
  }
  const StoreCounters c = (*store)->counters();
  std::printf("\ncommits %llu, ops %llu (%.1f per commit), %.0f us per commit\n",
              static_cast<unsigned long long>(c.commits),
              static_cast<unsigned long long>(c.committed_ops),
              static_cast<double>(c.committed_ops) / static_cast<double>(c.commits),
              static_cast<double>(c.commit_micros) / static_cast<double>(c.commits));
  PrintAdminTimes(std::move(store).value(), dir.string(), options);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
