// What the relay benchmark's scenarios share: the real relay process, one client
// thread (one io_context) for every connection, CPU accounting of both sides, the
// protocol steps every scenario needs, and the output: a human line and a
// machine-readable RESULT line (the format tests/load/compare.sh parses for every
// system it measures: `RESULT system=tocsin scenario=... n=... key=value ...`).
#ifndef TOCSIN_TESTS_LOAD_RELAY_BENCH_RIG_H_
#define TOCSIN_TESTS_LOAD_RELAY_BENCH_RIG_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "relay_bench_conn.h"
#include "relay_process.h"
#include "test_client.h"

namespace tocsin::bench {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d);
double Median(std::vector<double> v);

// What the command line chose (relay_bench.cpp).
struct BenchOptions {
  int n = 0;           // recipients / mailboxes / connections; 0: the scenario's default
  int alerts = 20;     // fan-out: measured alerts (one more warms up)
  int messages = 0;    // throughput: envelopes in all; drain: per mailbox (0: default)
  bool resume = true;  // drain: owners resume their TLS sessions
  int gap_ms = 200;    // fan-out: pause between alerts (acks settle)
  bool trace = false;  // per-alert timings on stderr
  testing::ConfigOverrides relay_settings;  // --set section.key=value
};

// CPU seconds of a process so far (user + system), from /proc/<pid>/stat.
double ProcessCpuMs(pid_t pid);
// The relay's resident memory, KiB.
std::uint64_t RssKiB(pid_t pid);
// The machine's 1-minute load average (what it was doing besides this benchmark).
double LoadAverage();

// CPU of the relay and of this client between Start() and Stop().
class CpuMeter {
 public:
  explicit CpuMeter(pid_t relay) : relay_(relay) {}
  void Start();
  void Stop();
  double relay_ms() const { return relay_ms_; }
  double client_ms() const { return client_ms_; }

 private:
  pid_t relay_;
  double relay_start_ = 0, client_start_ = 0;
  double relay_ms_ = 0, client_ms_ = 0;
};

// The relay (fsync durability, TLS 1.3), started on a fresh data folder, and one client
// thread. When TOCSIN_BENCH_CALLGRIND is set, the relay's instrumentation is switched
// on only while a measurement runs (run the relay under callgrind with
// TOCSIN_RELAY_WRAPPER="valgrind --tool=callgrind --instr-atstart=no").
class Rig {
 public:
  Rig(const BenchOptions& options, testing::ConfigOverrides defaults);
  ~Rig();

  testing::RelayProcess relay;
  asio::io_context io{1};
  BenchTls tls;
  asio::ip::tcp::endpoint endpoint;
  int failures = 0;
  // Connections live as long as the rig (their coroutines may still hold them).
  std::vector<std::unique_ptr<BenchConn>> conns;

  BenchConn& NewConn();
  template <typename Fn>
  void Spawn(Fn fn) {
    asio::co_spawn(io, std::move(fn), [this](std::exception_ptr e) { OnEnded(e); });
  }
  awaitable<void> Sleep(std::chrono::milliseconds d);
  // Runs the client until done() (checked every millisecond) or `limit`.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::seconds limit = std::chrono::seconds(600));
  // Marks the measured span (CPU, and callgrind's instrumentation when asked).
  void BeginMeasure();
  void EndMeasure();
  const CpuMeter& cpu() const { return cpu_; }

 private:
  void OnEnded(std::exception_ptr e);
  void Callgrind(const char* what) const;
  CpuMeter cpu_;
};

wire::Request Hello(wire::ConnectionKind kind);

struct Mailbox {
  std::string id;
  std::string token;
  testing::AuthKeyPair key;
  TlsSession session;  // from the owner connection that created it
};

// Hello OWNER, CreateMailbox, SetTokens (alert class). Keeps the TLS ticket.
awaitable<Mailbox> CreateMailbox(BenchConn& c, const std::string& invite);
// Hello OWNER, Authenticate.
awaitable<void> Authenticate(BenchConn& c, const Mailbox& m);
awaitable<void> Subscribe(BenchConn& c, const std::string& mailbox, std::uint32_t window);
// One Send request (queued, not flushed).
void QueueSend(BenchConn& c, const Mailbox& to, const std::string& envelope);
// One Ack of every seq in `seqs` (queued, not flushed); clears `seqs`.
void QueueAck(BenchConn& c, const std::string& mailbox, std::vector<std::uint64_t>* seqs);

// Reads pushes forever, acking each read's deliveries in one Ack. on_delivery(delivery)
// for each push; on_acked(deleted) for each Acked answer.
using OnDelivery = std::function<void(const wire::Delivery&)>;
using OnAcked = std::function<void(std::uint32_t)>;
awaitable<void> ReceiveAndAck(BenchConn& c, std::string mailbox, OnDelivery on_delivery,
                              OnAcked on_acked);

// Opens `n` owner connections, each with a new mailbox subscribed with `window`, each
// then running ReceiveAndAck. At most 200 in setup at once.
std::vector<Mailbox> OpenReceivers(Rig& rig, int n, std::uint32_t window, OnDelivery on_delivery,
                                   OnAcked on_acked);

// One figure: the human line on stdout, then its RESULT line.
struct Figure {
  std::string scenario;
  int n = 0;
  std::vector<std::pair<std::string, double>> values;  // p50_ms, max_ms, rate_per_s, ...
  int runs = 1;
  bool has_durability = true;
};
void PrintResult(const Figure& figure);
// The CPU line printed beside every scenario's figure.
void PrintCpu(const std::string& what, double wall_ms, const CpuMeter& cpu, double per = 1);

}  // namespace tocsin::bench

#endif  // TOCSIN_TESTS_LOAD_RELAY_BENCH_RIG_H_
