// What the relay benchmark's scenarios share: the real relay process, one client
// thread (one io_context) for every connection but a fan-out's receivers (one thread per
// core, StartReceivers), CPU accounting of both sides, the
// protocol steps every scenario needs, and the output: a human line and a
// machine-readable RESULT line (the format tests/load/compare.sh parses for every
// system it measures: `RESULT system=tocsin scenario=... n=... key=value ...`).
#ifndef TOCSIN_TESTS_LOAD_RELAY_BENCH_RIG_H_
#define TOCSIN_TESTS_LOAD_RELAY_BENCH_RIG_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "load_common.h"
#include "peers/io_threads.h"
#include "relay_bench_conn.h"
#include "relay_process.h"
#include "test_client.h"

namespace tocsin::bench {

// What the command line chose (relay_bench.cpp).
struct BenchOptions {
  int n = 0;           // recipients / mailboxes / connections; 0: the scenario's default
  int alerts = 20;     // fan-out: measured alerts (one more warms up)
  int messages = 0;    // throughput: envelopes in all; drain: per mailbox (0: default)
  bool resume = true;  // drain: owners resume their TLS sessions
  int gap_ms = 200;    // fan-out: pause between alerts (acks settle)
  bool trace = false;  // per-alert timings on stderr
  // fan-out: threads the receivers run on (0: the client thread); one per core, as the
  // peers' benchmarks (tests/load/peers/README.md)
  int receiver_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  testing::ConfigOverrides relay_settings;  // --set section.key=value
  double idle_s = 10;  // idle-alert: how long the subscribed connections idle first
  // soak and abuse
  double duration_s = 0;           // soak: the whole run (0: 3600); abuse: each phase (0: 20)
  double rate = 0;                 // steady envelopes per second (0: soak 500, abuse 20)
  double alert_every_s = 30;       // soak: one fan-out alert this often; 0: none
  int alert_to = 0;                // soak: mailboxes per alert (0: every receiver)
  double sample_s = 30;            // soak: sampling interval
  double row_s = 60;               // soak: one table row per this span of samples
  std::uint32_t blob_ttl_s = 120;  // soak: the alerts' TTL (their blobs go after it)
  double max_rss_growth_mib = 64;  // soak: RSS outside RocksDB's caches, second sample to last
  int attackers = 20;              // abuse: attacking connections
};

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

// The relay (fsync durability, TLS 1.3), started on a fresh data folder, one client
// thread and any receiver threads. When TOCSIN_BENCH_CALLGRIND is set, the relay's
// instrumentation is switched on only while a measurement runs (run the relay under
// callgrind with TOCSIN_RELAY_WRAPPER="valgrind --tool=callgrind --instr-atstart=no").
class Rig {
 public:
  Rig(const BenchOptions& options, testing::ConfigOverrides defaults);
  ~Rig();

  testing::RelayProcess relay;
  asio::io_context io{1};
  BenchTls tls;
  asio::ip::tcp::endpoint endpoint;
  std::atomic<int> failures = 0;
  // Connections live as long as the rig (their coroutines may still hold them).
  std::vector<std::unique_ptr<BenchConn>> conns;

  // A connection on the client thread, or on receiver thread `thread` (StartReceivers).
  BenchConn& NewConn();
  BenchConn& NewReceiverConn(int thread);
  template <typename Fn>
  void Spawn(Fn fn) {
    asio::co_spawn(io, std::move(fn), [this](std::exception_ptr e) { OnEnded(e); });
  }
  template <typename Fn>
  void SpawnOnReceiver(int thread, Fn fn) {
    asio::co_spawn(receivers_.at(static_cast<std::size_t>(thread)), std::move(fn),
                   [this](std::exception_ptr e) { OnEnded(e); });
  }
  // Starts `count` receiver threads, each with its own io_context, on which
  // OpenReceivers then puts its connections in turn: thousands of phones read and ack in
  // parallel, and one client thread would make them queue. 0 threads (the default):
  // every connection runs on the client thread.
  void StartReceivers(int count) { receivers_.Start(count); }
  int receiver_threads() const { return static_cast<int>(receivers_.size()); }
  awaitable<void> Sleep(std::chrono::milliseconds d);
  // Runs the client until done() (checked every millisecond) or `limit`.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(600));
  // Marks the measured span (CPU, and callgrind's instrumentation when asked).
  void BeginMeasure();
  void EndMeasure();
  const CpuMeter& cpu() const { return cpu_; }

 private:
  void OnEnded(std::exception_ptr e);
  void Callgrind(const char* what) const;
  CpuMeter cpu_;
  peers::IoThreads receivers_;
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
// The smallest sealed sender v1 envelope (a 1,024-byte bucket, proto/SPEC.md 10.1).
inline constexpr std::size_t kEnvelopeBytes = 1024 + 97;
// One Send request (queued, not flushed).
void QueueSend(BenchConn& c, const Mailbox& to, const std::string& envelope);
// One Ack of every seq in `seqs` (queued, not flushed); clears `seqs`. A quiet one is
// answered only if it fails (proto/SPEC.md 5.5).
void QueueAck(BenchConn& c, const std::string& mailbox, std::vector<std::uint64_t>* seqs,
              bool quiet);

// Reads pushes forever, acking each read's deliveries in one Ack; on_delivery(delivery)
// for each push. The Acks are quiet, as a real client's, unless on_acked is set: then
// on_acked(deleted) for each Acked answer, and
// - answer_at 0: every Ack is answered;
// - answer_at > 0: only the Ack that brings this connection's deliveries to answer_at
//   is, so its answer says that all of them are acked and committed (the relay's one
//   store writer commits a connection's Acks in order).
// An Error answer (a refused Ack) ends the receiver as a failure.
using OnDelivery = std::function<void(const wire::Delivery&)>;
using OnAcked = std::function<void(std::uint32_t)>;
awaitable<void> ReceiveAndAck(BenchConn& c, std::string mailbox, OnDelivery on_delivery,
                              OnAcked on_acked, std::uint64_t answer_at = 0);

// Opens `count` SEND connections (TLS, Hello) and waits until each is ready; exits the
// program with a message when one fails or the wait runs out.
std::vector<BenchConn*> OpenSenders(Rig& rig, int count);

// Opens `n` owner connections, each with a new mailbox subscribed with `window`, each
// then running ReceiveAndAck (receiver i with answer_at[i], or 0 when it is empty). At
// most 200 in setup at once.
std::vector<Mailbox> OpenReceivers(Rig& rig, int n, std::uint32_t window, OnDelivery on_delivery,
                                   OnAcked on_acked,
                                   const std::vector<std::uint64_t>& answer_at = {});

// ---- alerts: one PutBlob + SendViews to many mailboxes (DESIGN.md fan-out)

// The SendViews frames naming every mailbox (the handle is set per alert).
std::vector<wire::Request> ViewFrames(const std::vector<Mailbox>& mailboxes);
// The smallest sealed sender v2 blob (a 1,024-byte bucket, proto/SPEC.md section
// 10.1), numbered `alert` (0 to 65,535) so that AlertOf can tell the alerts apart.
std::string AlertBlob(int alert);
// The number of the alert a delivery carries; -1 for anything else (a Send's envelope).
int AlertOf(const wire::Delivery& d);
// Sends one alert on a SEND connection: PutBlob (living `ttl_seconds`), then every
// SendViews frame at once; returns once every frame was answered (the views stored).
awaitable<void> SendAlert(BenchConn& sender, int alert, std::vector<wire::Request>& frames,
                          std::uint32_t ttl_seconds = 3600);

// ---- steady traffic, for latency under load

// An envelope of kEnvelopeBytes carrying its number and the time it was due to be
// sent; ReadStamp gives them back (false for an envelope without a stamp).
std::string StampedEnvelope(std::uint64_t number, Clock::time_point due);
bool ReadStamp(const std::string& envelope, std::uint64_t* number, Clock::time_point* due);

// Sends stamped envelopes on a SEND connection at `rate_per_s` from `start` until
// `until`, to `to` in turn, numbered from *next_number (shared by the senders of one
// thread). Each is stamped with the time it was due, not the time the client got to
// it: a client or relay that falls behind adds to the measured latency instead of
// hiding it. Answers are read between sends (on_answer for each); returns once every
// envelope sent was answered.
struct PaceSpec {
  double rate_per_s = 100;
  Clock::time_point start;
  Clock::time_point until;
};
using OnAnswer = std::function<void(const wire::Response&)>;
awaitable<void> PacedSend(Rig& rig, BenchConn& c, const std::vector<Mailbox>& to, PaceSpec pace,
                          std::uint64_t* next_number, OnAnswer on_answer);

// One figure: the human line on stdout, then its RESULT line.
struct Figure {
  std::string scenario;
  int n = 0;
  std::vector<std::pair<std::string, double>> values;  // p50_ms, max_ms, rate_per_s, ...
  int runs = 1;
  bool has_durability = true;
  bool failed = false;  // a check of the scenario failed: the program exits 1
};
void PrintResult(const Figure& figure);
// The CPU line printed beside every scenario's figure.
void PrintCpu(const std::string& what, double wall_ms, const CpuMeter& cpu, double per = 1);

}  // namespace tocsin::bench

#endif  // TOCSIN_TESTS_LOAD_RELAY_BENCH_RIG_H_
