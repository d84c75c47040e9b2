// Redis Streams on the relay benchmark's scenarios (tests/load/peers/README.md): one
// stream per mailbox ("mb:<i>"), XADD to send, XREAD BLOCK to receive, XDEL to ack (an
// acked entry is gone, as an acked envelope is on the relay; a reconnecting reader
// reads its stream from 0). The server, its appendfsync policy and its TLS port are
// set by tests/load/compare.sh; this program only connects.
#include <atomic>
#include <cstdio>
#include <functional>
#include <iostream>

#include "arrivals.h"
#include "io_threads.h"
#include "peer_bench.h"
#include "resp_conn.h"

namespace tocsin::peers {
namespace {

struct Rig {
  explicit Rig(const Options& o)
      : options(o), endpoint(asio::ip::make_address(o.host), static_cast<std::uint16_t>(o.port)) {
    SetClientTls(&tls);
  }
  ~Rig() { receivers.Stop(); }
  const Options& options;
  asio::io_context io{1};
  asio::ssl::context tls{asio::ssl::context::tls_client};
  asio::ip::tcp::endpoint endpoint;
  IoThreads receivers;  // a fan-out's readers, when it spreads them
  std::vector<std::unique_ptr<RespConn>> conns;
  std::atomic<int> failures = 0;

  // The io_context of receiver `i`: a receiver thread's in turn, or the main one.
  asio::io_context& ReceiverIo(long i) {
    if (receivers.size() == 0) return io;
    return receivers.at(static_cast<std::size_t>(i) % receivers.size());
  }
  RespConn* NewConn(asio::io_context& on) {
    conns.push_back(std::make_unique<RespConn>(on, tls, options.tls));
    return conns.back().get();
  }
  RespConn* NewConn() { return NewConn(io); }
  template <typename Fn>
  void Spawn(asio::io_context& on, Fn fn) {
    asio::co_spawn(on, std::move(fn), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        if (failures.fetch_add(1) < 3) std::cerr << "connection failed: " << ex.what() << "\n";
      }
    });
  }
  template <typename Fn>
  void Spawn(Fn fn) {
    Spawn(io, std::move(fn));
  }
  awaitable<void> Sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(io, d);
    co_await t.async_wait(use_awaitable);
  }
  // Runs until `done()` (checked every millisecond), a failure, or the time limit.
  bool RunUntil(const std::function<bool()>& done) {
    const auto until = Clock::now() + std::chrono::seconds(options.timeout_s);
    while (!done() && failures == 0 && Clock::now() < until) {
      if (io.stopped()) io.restart();
      io.run_for(std::chrono::milliseconds(1));
    }
    return done() && failures == 0;
  }
};

std::string Stream(long i) { return "mb:" + std::to_string(i); }

int Fail(const std::string& what) {
  std::cerr << what << "\n";
  return 1;
}

// Reads mailbox `i` forever: XREAD BLOCK from the last id seen, then one XDEL of what
// was read, pipelined with the next XREAD. `on_entry` sees every entry.
awaitable<void> ReceiveLoop(RespConn& c, long i, int count,
                            std::function<void(std::string_view)> on_entry) {
  const std::string stream = Stream(i);
  const std::string batch = std::to_string(count);
  std::string last = "0-0";
  for (;;) {
    c.Queue({"XREAD", "COUNT", batch, "BLOCK", "0", "STREAMS", stream, last});
    co_await c.Flush();
    Reply reply = co_await c.Read();
    const std::vector<StreamEntry> entries = EntriesOf(*reply);
    if (entries.empty()) continue;
    std::vector<std::string_view> del = {"XDEL", stream};
    for (const StreamEntry& e : entries) {
      on_entry(e.value);
      del.push_back(e.id);
    }
    last = std::string(entries.back().id);
    c.Queue(del);  // answered before the next XREAD's answer
    co_await c.Flush();
    if ((co_await c.Read())->type == REDIS_REPLY_ERROR) throw std::runtime_error("XDEL refused");
  }
}

// Opens `count` receiving connections (mailboxes 0..count-1), at most
// options.setup_parallel in setup at once; true when all answered a PING.
bool OpenReceivers(Rig& rig, int count, int batch, std::function<void(std::string_view)> on_entry) {
  std::atomic<int> ready = 0;
  int launched = 0;
  return rig.RunUntil([&] {
    while (launched < count && launched - ready < rig.options.setup_parallel) {
      const long i = launched++;
      asio::io_context& io = rig.ReceiverIo(i);
      RespConn* c = rig.NewConn(io);
      rig.Spawn(io, [c, i, batch, on_entry, &ready, &rig]() -> awaitable<void> {
        co_await c->Open(rig.endpoint);
        const std::vector<std::string_view> ping = {"PING"};  // named: GCC 12 coroutines
        co_await c->Call(ping);
        ++ready;
        co_await ReceiveLoop(*c, i, batch, on_entry);
      });
    }
    return ready >= count;
  });
}

// Pipelines one XADD per mailbox [0, count) and reads every answer.
awaitable<void> AddToEach(RespConn& c, int count, const std::string& payload) {
  for (long i = 0; i < count; ++i) c.Queue({"XADD", Stream(i), "*", "m", payload});
  co_await c.Flush();
  for (int i = 0; i < count; ++i) {
    if ((co_await c.Read())->type == REDIS_REPLY_ERROR) throw std::runtime_error("XADD refused");
  }
}

// ---------------------------------------------------------------- fan-out

int FanOut(const Options& o) {
  Rig rig(o);
  rig.receivers.Start(o.receiver_threads);
  FanOutArrivals arrivals(static_cast<std::size_t>(o.alerts) + 1, o.n);
  auto on_entry = [&](std::string_view value) {
    if (const auto index = PayloadIndex(value)) arrivals.Arrived(*index);
  };
  const auto setup_start = Clock::now();
  if (!OpenReceivers(rig, o.n, 64, on_entry)) return Fail("fan-out: receivers failed");
  const double setup_s = Ms(Clock::now() - setup_start) / 1000;
  std::vector<double> latencies;
  bool done = false;
  RespConn* publisher = rig.NewConn();
  rig.Spawn([&]() -> awaitable<void> {
    co_await publisher->Open(rig.endpoint);
    for (std::size_t alert = 0; alert < arrivals.messages(); ++alert) {  // alert 0 warms up
      const auto start = Clock::now();
      co_await AddToEach(*publisher, o.n, MakePayload(static_cast<std::size_t>(o.size), alert));
      while (!arrivals.Complete(alert)) co_await rig.Sleep(std::chrono::milliseconds(1));
      if (alert > 0) latencies.push_back(Ms(arrivals.Last(alert) - start));
      co_await rig.Sleep(std::chrono::milliseconds(o.gap_ms));  // acks settle between alerts
    }
    done = true;
  });
  if (!rig.RunUntil([&] { return done; })) return Fail("fan-out did not finish");
  const Summary s = Summarise(latencies);
  std::printf("%s fanout N=%d: last delivery p50 %.1f ms, max %.1f ms (setup %.1f s)\n",
              o.system.c_str(), o.n, s.p50, s.max, setup_s);
  PrintResult(o, {Field("p50_ms", s.p50), Field("max_ms", s.max),
                  "receiver_threads=" + std::to_string(o.receiver_threads),
                  "runs=" + std::to_string(latencies.size())});
  return 0;
}

// ---------------------------------------------------------------- throughput

// One sender: `per_sender` XADDs, at most `window` unanswered.
awaitable<void> SendLoop(RespConn& c, const Options& o, long s) {
  const std::string payload = MakePayload(static_cast<std::size_t>(o.bulk_size), 0);
  long sent = 0;
  long answered = 0;
  while (answered < o.per_sender) {
    while (sent < o.per_sender && sent - answered < o.window) {
      c.Queue({"XADD", Stream((s * 7919 + sent++) % o.receivers), "*", "m", payload});
    }
    co_await c.Flush();
    if ((co_await c.Read())->type == REDIS_REPLY_ERROR) throw std::runtime_error("XADD refused");
    ++answered;
  }
}

int Throughput(const Options& o) {
  Rig rig(o);
  const long total = static_cast<long>(o.senders) * o.per_sender;
  long delivered = 0;
  Clock::time_point last_delivery;
  auto on_entry = [&](std::string_view) {
    if (++delivered == total) last_delivery = Clock::now();
  };
  if (!OpenReceivers(rig, o.receivers, 1024, on_entry)) return Fail("receivers failed");
  const auto start = Clock::now();
  for (long s = 0; s < o.senders; ++s) {
    RespConn* c = rig.NewConn();
    rig.Spawn([c, s, &rig]() -> awaitable<void> {
      co_await c->Open(rig.endpoint);
      co_await SendLoop(*c, rig.options, s);
    });
  }
  if (!rig.RunUntil([&] { return delivered >= total; })) {
    return Fail("throughput: " + std::to_string(delivered) + " delivered");
  }
  const double secs = Ms(last_delivery - start) / 1000;
  std::printf("%s throughput: %ld messages (%d B) send -> deliver -> ack in %.2f s: %.0f/s\n",
              o.system.c_str(), total, o.bulk_size, secs, static_cast<double>(total) / secs);
  Options shown = o;
  shown.n = o.receivers;
  PrintResult(shown, {Field("rate_per_s", static_cast<double>(total) / secs)});
  return 0;
}

// ---------------------------------------------------------------- offline drain

// A reconnecting reader: everything in its stream from 0, then one XDEL.
awaitable<void> DrainOne(RespConn& c, const Rig& rig, long i, long* received) {
  co_await c.Open(rig.endpoint);
  const std::string stream = Stream(i);
  std::vector<std::string> ids;
  std::string last = "0-0";
  while (ids.size() < static_cast<std::size_t>(rig.options.queued)) {
    const std::vector<std::string_view> xread = {"XREAD", "COUNT",   "1000", "BLOCK",
                                                 "0",     "STREAMS", stream, last};
    Reply reply = co_await c.Call(xread);
    for (const StreamEntry& e : EntriesOf(*reply)) ids.emplace_back(e.id);
    if (!ids.empty()) last = ids.back();
  }
  std::vector<std::string_view> del = {"XDEL", stream};
  del.insert(del.end(), ids.begin(), ids.end());
  co_await c.Call(del);
  *received += static_cast<long>(ids.size());
}

int Drain(const Options& o) {
  Rig rig(o);
  bool queued = false;
  RespConn* filler = rig.NewConn();
  rig.Spawn([&]() -> awaitable<void> {
    co_await filler->Open(rig.endpoint);
    const std::string payload = MakePayload(static_cast<std::size_t>(o.bulk_size), 0);
    for (int round = 0; round < o.queued; ++round) co_await AddToEach(*filler, o.n, payload);
    filler->Close();
    queued = true;
  });
  if (!rig.RunUntil([&] { return queued; })) return Fail("drain: queueing failed");
  const long total = static_cast<long>(o.n) * o.queued;
  long received = 0;
  int finished = 0;
  const auto start = Clock::now();
  for (long i = 0; i < o.n; ++i) {  // all at once
    RespConn* c = rig.NewConn();
    rig.Spawn([c, i, &rig, &received, &finished]() -> awaitable<void> {
      co_await DrainOne(*c, rig, i, &received);
      ++finished;
    });
  }
  if (!rig.RunUntil([&] { return finished >= o.n; }) || received != total) {
    return Fail("drain: " + std::to_string(received) + " of " + std::to_string(total));
  }
  const double secs = Ms(Clock::now() - start) / 1000;
  std::printf("%s drain: %d streams x %d entries, reconnect + read + XDEL: %.3f s\n",
              o.system.c_str(), o.n, o.queued, secs);
  PrintResult(o, {Field("seconds", secs)});
  return 0;
}

// ---------------------------------------------------------------- idle connections

int Idle(const Options& o) {
  Rig rig(o);
  const double before = RssMiB(o.server_pid);
  if (!OpenReceivers(rig, o.n, 64, [](std::string_view) {}))
    return Fail("idle: connections failed");
  rig.io.run_for(std::chrono::seconds(2));  // the server settles
  const double after = RssMiB(o.server_pid);
  std::printf("%s idle: %d blocked readers: server RSS %.1f MiB (%.1f before)\n", o.system.c_str(),
              o.n, after, before);
  PrintResult(o, {Field("rss_mib", after)});
  return 0;
}

}  // namespace
}  // namespace tocsin::peers

int main(int argc, char** argv) {
  using namespace tocsin::peers;
  const Options o = ParseOptions(argc, argv, "Redis Streams on the relay benchmark's scenarios");
  RaiseFileLimit();
  if (o.scenario == "fanout") return FanOut(o);
  if (o.scenario == "throughput") return Throughput(o);
  if (o.scenario == "drain") return Drain(o);
  return Idle(o);
}
