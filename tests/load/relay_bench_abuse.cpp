// Abuse: a legitimate sender and receiver exchange stamped envelopes at a steady, modest
// rate, first alone (the baseline) and then while K attacking connections hammer the
// relay as fast as it answers, each keeping kWindow requests in flight: Sends and
// GetPrekeyBundles with made-up tokens, to the receiver's own mailbox and to made-up
// mailbox ids. The relay runs its default configuration: its rate limits are part of
// what is measured. The attackers have their own client thread, so the legitimate pair
// is not queued behind them inside this program (all of it shares the machine's cores
// with the relay).
#include <atomic>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "relay_bench_rig.h"
#include "relay_bench_scenarios.h"

namespace tocsin::bench {
namespace {

constexpr int kWindow = 64;  // requests in flight per attacking connection

// The attackers: their own io_context and thread. Counters are read after Stop().
class Attack {
 public:
  Attack(const asio::ip::tcp::endpoint& endpoint, std::string target, int connections)
      : endpoint_(endpoint), target_(std::move(target)), connections_(connections) {}
  ~Attack() { Stop(); }

  void Start() {
    for (int i = 0; i < connections_; ++i) {
      asio::co_spawn(io_, Hammer(static_cast<std::uint64_t>(i)), asio::detached);
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  void Stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t answered() const { return answered_.load(); }
  // Answers by code name ("UNAUTHORIZED", ...; "OK" for an accepted request).
  const std::map<std::string, std::uint64_t>& codes() const { return codes_; }
  std::uint64_t disconnects() const { return disconnects_; }

 private:
  // One attacking connection; opened again whenever the relay closes it.
  awaitable<void> Hammer(std::uint64_t seed) {
    std::mt19937_64 random(seed);
    for (;;) {
      conns_.push_back(std::make_unique<BenchConn>(io_, tls_));
      BenchConn& c = *conns_.back();
      try {
        co_await c.Open(endpoint_);
        co_await c.Call(Hello(wire::SEND));
        co_await Flood(c, random);
      } catch (const std::exception&) {
        ++disconnects_;
      }
      asio::steady_timer pause(io_, std::chrono::milliseconds(10));  // no busy reconnect loop
      co_await pause.async_wait(use_awaitable);
    }
  }
  awaitable<void> Flood(BenchConn& c, std::mt19937_64& random) {
    int outstanding = 0;
    std::uint64_t k = 0;
    for (;;) {
      for (; outstanding < kWindow; ++outstanding) c.Queue(Forged(c, random, k++));
      co_await c.Flush();
      co_await c.ReadSome([&](const wire::Frame& f) {
        if (!f.has_response()) return;
        --outstanding;
        ++answered_;
        const wire::Response& r = f.response();
        ++codes_[r.has_error() ? wire::ErrorCode_Name(r.error().code()) : "OK"];
      });
    }
  }
  // Send or GetPrekeyBundle, to the target or a made-up mailbox, with a made-up token.
  wire::Request Forged(BenchConn& c, std::mt19937_64& random, std::uint64_t k) {
    const auto bytes16 = [&random] {
      std::string s(16, '\0');
      for (std::size_t i = 0; i < 16; i += 8) {
        const std::uint64_t v = random();
        std::memcpy(&s[i], &v, 8);
      }
      return s;
    };
    const std::string mailbox = k % 2 == 0 ? target_ : bytes16();
    wire::Request r;
    r.set_id(c.NextId());
    if (k % 4 < 2) {
      r.mutable_send()->set_mailbox_id(mailbox);
      r.mutable_send()->set_token(bytes16());
      r.mutable_send()->set_envelope(envelope_);
    } else {
      r.mutable_get_prekey_bundle()->set_mailbox_id(mailbox);
      r.mutable_get_prekey_bundle()->set_token(bytes16());
    }
    return r;
  }

  asio::io_context io_{1};
  BenchTls tls_;
  std::vector<std::unique_ptr<BenchConn>> conns_;  // before io_ in destruction
  asio::ip::tcp::endpoint endpoint_;
  const std::string target_;
  const int connections_;
  const std::string envelope_ = std::string(kEnvelopeBytes, 'x');
  std::atomic<std::uint64_t> answered_{0};
  std::map<std::string, std::uint64_t> codes_;
  std::uint64_t disconnects_ = 0;
  std::thread thread_;
};

// One phase of the legitimate pair: its latencies, answers and the relay's CPU.
struct Phase {
  std::vector<double> latency_ms;
  std::uint64_t first_number = 0, sent = 0, stored = 0, delivered = 0;
  std::map<std::string, std::uint64_t> refused;
  double wall_ms = 0, relay_cpu_ms = 0;
};

// Runs the legitimate pair for `seconds` at `rate` and waits for its deliveries.
void RunPhase(Rig& rig, BenchConn& sender, const std::vector<Mailbox>& to, double rate,
              double seconds, std::uint64_t* next_number, Phase& phase) {
  phase.first_number = *next_number;
  CpuMeter cpu(rig.relay.pid());
  cpu.Start();
  const auto start = Clock::now();
  const auto until =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  bool sent = false;
  rig.Spawn([&]() -> awaitable<void> {
    co_await PacedSend(rig, sender, to, {rate, start, until}, next_number,
                       [&](const wire::Response& r) {
                         if (r.has_stored()) {
                           ++phase.stored;
                         } else {
                           ++phase.refused[wire::ErrorCode_Name(r.error().code())];
                         }
                       });
    sent = true;
  });
  rig.RunUntil([&] { return (sent && phase.delivered >= phase.stored) || rig.failures > 0; },
               std::chrono::seconds(static_cast<std::int64_t>(seconds) + 120));
  phase.sent = *next_number - phase.first_number;
  cpu.Stop();
  phase.wall_ms = Ms(Clock::now() - start);
  phase.relay_cpu_ms = cpu.relay_ms();
}

std::string Codes(const std::map<std::string, std::uint64_t>& codes) {
  std::string out;
  for (const auto& [name, count] : codes) {
    out += (out.empty() ? "" : ", ") + name + " " + std::to_string(count);
  }
  return out.empty() ? "none" : out;
}

void PrintPhase(const char* name, const Phase& p) {
  const LatencySummary s = Summarize(p.latency_ms);
  std::printf(
      "  %-13s send -> deliver p50 %.2f ms, p99 %.2f ms, max %.2f ms (%zu envelopes of %llu "
      "sent; refused: %s); relay CPU %.0f%% of a core\n",
      name, s.p50, s.p99, s.max, s.count, static_cast<unsigned long long>(p.sent),
      Codes(p.refused).c_str(), 100 * p.relay_cpu_ms / std::max(p.wall_ms, 1.0));
}

}  // namespace

Figure Abuse(const BenchOptions& options) {
  const double rate = options.rate > 0 ? options.rate : 20;
  const double seconds = options.duration_s > 0 ? options.duration_s : 20;
  const int attackers = options.attackers;
  Rig rig(options, {});
  Phase phases[2];
  int phase = 0;
  auto on_delivery = [&](const wire::Delivery& d) {
    std::uint64_t number = 0;
    Clock::time_point due;
    if (!ReadStamp(d.envelope(), &number, &due)) return;
    Phase& p = phases[number >= phases[1].first_number && phase == 1 ? 1 : 0];
    p.latency_ms.push_back(Ms(Clock::now() - due));
    ++p.delivered;
  };
  const std::vector<Mailbox> receiver =
      OpenReceivers(rig, 1, 64, on_delivery, nullptr);  // quiet acks, as real clients
  BenchConn& sender = *OpenSenders(rig, 1).front();
  if (rig.failures > 0) std::exit(1);
  std::printf(
      "abuse: a legitimate pair at %.0f envelopes/s, %.0f s alone, then %.0f s while %d "
      "connections send forged requests (%d in flight each)\n",
      rate, seconds, seconds, attackers, kWindow);
  std::uint64_t next_number = 0;
  RunPhase(rig, sender, receiver, rate, seconds, &next_number, phases[0]);

  Attack attack(rig.endpoint, receiver.front().id, attackers);
  attack.Start();
  rig.RunUntil([&] { return attack.answered() > 0; }, std::chrono::seconds(30));
  const double client_before = SelfCpuMs();
  const std::uint64_t answered_before = attack.answered();
  phases[1].first_number = next_number;
  phase = 1;
  RunPhase(rig, sender, receiver, rate, seconds, &next_number, phases[1]);
  const double attack_rate =
      static_cast<double>(attack.answered() - answered_before) / (phases[1].wall_ms / 1000);
  const double client_cpu = SelfCpuMs() - client_before;
  attack.Stop();

  PrintPhase("alone:", phases[0]);
  PrintPhase("under attack:", phases[1]);
  std::printf(
      "  attackers: %.0f answers/s (%s); connections closed by the relay %llu; this program's "
      "CPU (both threads) %.0f%% of a core\n",
      attack_rate, Codes(attack.codes()).c_str(),
      static_cast<unsigned long long>(attack.disconnects()),
      100 * client_cpu / std::max(phases[1].wall_ms, 1.0));
  const LatencySummary alone = Summarize(phases[0].latency_ms);
  const LatencySummary attacked = Summarize(phases[1].latency_ms);
  const auto code = [&](const char* name) {
    const auto it = attack.codes().find(name);
    return it == attack.codes().end() ? 0.0 : static_cast<double>(it->second);
  };
  Figure figure{"abuse",
                attackers,
                {{"p50_alone_ms", alone.p50},
                 {"p99_alone_ms", alone.p99},
                 {"p50_attack_ms", attacked.p50},
                 {"p99_attack_ms", attacked.p99},
                 {"attack_answers_per_s", attack_rate},
                 {"unauthorized", code("UNAUTHORIZED")},
                 {"not_found", code("NOT_FOUND")},
                 {"rate_limited", code("RATE_LIMITED")},
                 {"accepted", code("OK")},
                 {"relay_cpu_alone_pct", 100 * phases[0].relay_cpu_ms / phases[0].wall_ms},
                 {"relay_cpu_attack_pct", 100 * phases[1].relay_cpu_ms / phases[1].wall_ms}}};
  // Forged requests accepted, or legitimate envelopes lost: not a figure, a failure.
  figure.failed = code("OK") > 0 || rig.failures > 0;
  for (const Phase& p : phases) figure.failed = figure.failed || p.delivered < p.stored;
  return figure;
}

}  // namespace tocsin::bench
