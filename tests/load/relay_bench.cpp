// Relay benchmarks (DESIGN.md "Performance budget"): the real tocsin-relay with fsync
// durability and TLS 1.3, sender and receivers in this process on the same machine.
//   fanout N       one alert (PutBlob + SendViews) to N subscribed mailboxes: time from
//                  the send to the last delivery, p50 and max over 20 alerts
//   throughput     durable send -> deliver -> ack, envelopes per second
//   drain          1,000 mailboxes x 20 queued envelopes, all reconnecting
//   idle           relay RSS with 10,000 idle TLS connections
// Usage: tocsin_relay_bench [fanout|throughput|drain|idle|all] [N...]
#include <sodium.h>
#include <sys/resource.h>

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "relay_bench_conn.h"
#include "relay_process.h"
#include "test_client.h"

namespace tocsin::bench {
namespace {

using Clock = std::chrono::steady_clock;
using testing::RelayProcess;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::uint64_t RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

void RaiseFileLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);  // inherited by the relay we start
}

// Everything a benchmark shares: the relay, one io_context, the TLS client context.
struct Rig {
  explicit Rig(testing::ConfigOverrides overrides)
      : relay(std::move(overrides)), endpoint(asio::ip::address_v4::loopback(), 0) {
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_3_VERSION);
    tls.set_verify_mode(asio::ssl::verify_none);  // a real client pins; not measured here
    if (!relay.init_status().ok() || !relay.Start().ok()) {
      std::cerr << "relay did not start:\n" << relay.Log();
      std::exit(1);
    }
    endpoint.port(relay.port());
  }
  RelayProcess relay;
  asio::io_context io{1};
  asio::ssl::context tls{asio::ssl::context::tls_client};
  asio::ip::tcp::endpoint endpoint;
  int failures = 0;

  template <typename Fn>
  void Spawn(Fn fn) {
    asio::co_spawn(io, std::move(fn), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        if (++failures <= 3) std::cerr << "connection failed: " << ex.what() << "\n";
      }
    });
  }
  awaitable<void> Sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(io, d);
    co_await t.async_wait(use_awaitable);
  }
  // Runs until `done()` (checked every millisecond) or `limit`.
  template <typename Done>
  bool RunUntil(Done done, std::chrono::seconds limit = std::chrono::seconds(300)) {
    const auto until = Clock::now() + limit;
    while (!done() && Clock::now() < until) {
      if (io.stopped()) io.restart();  // it stops whenever it runs out of work
      io.run_for(std::chrono::milliseconds(1));
    }
    return done();
  }
};

wire::Request Hello(wire::ConnectionKind kind) {
  wire::Request r;
  r.mutable_hello()->set_version(1);
  r.mutable_hello()->set_kind(kind);
  return r;
}

struct Mailbox {
  std::string id;
  std::string token;
  testing::AuthKeyPair key;
};

// Hello, CreateMailbox, SetTokens (alert class) on an owner connection.
awaitable<Mailbox> CreateMailbox(BenchConn& c, const std::string& invite) {
  Mailbox m;
  m.key = testing::AuthKeyPair::Generate();
  wire::Response hello = co_await c.Call(Hello(wire::OWNER));
  const std::string nonce = hello.hello().server_nonce();
  wire::Request create;
  create.mutable_create_mailbox()->set_invite(invite);
  create.mutable_create_mailbox()->set_auth_public_key(m.key.public_key);
  create.mutable_create_mailbox()->set_signature(
      m.key.Sign(testing::CreateMailboxMessage(nonce, m.key.public_key)));
  wire::Response created = co_await c.Call(create);
  if (!created.has_mailbox_created()) throw std::runtime_error("create mailbox refused");
  m.id = created.mailbox_created().mailbox_id();
  m.token = testing::RandomToken();
  wire::Request set;
  set.mutable_set_tokens()->set_mailbox_id(m.id);
  auto* t = set.mutable_set_tokens()->add_tokens();
  t->set_token_class(wire::ALERT);
  t->set_token_hash(testing::TokenHash(m.token));
  if (!(co_await c.Call(set)).has_tokens_set()) throw std::runtime_error("set tokens refused");
  co_return m;
}

awaitable<void> Subscribe(BenchConn& c, const std::string& mailbox, std::uint32_t window) {
  wire::Request sub;
  sub.mutable_subscribe()->set_mailbox_id(mailbox);
  sub.mutable_subscribe()->set_window(window);
  if (!(co_await c.Call(sub)).has_subscribed()) throw std::runtime_error("subscribe refused");
}

// Reads pushes forever; acks each read chunk's deliveries in one Ack; calls on_delivery.
template <typename OnDelivery>
awaitable<void> ReceiveLoop(BenchConn& c, const std::string& mailbox, OnDelivery on_delivery) {
  for (;;) {
    wire::Frame frame = co_await c.Read();
    if (!frame.has_push()) continue;
    on_delivery(frame.push().delivery());
    wire::Request ack;
    ack.set_id(c.NextId());
    ack.mutable_ack()->set_mailbox_id(mailbox);
    ack.mutable_ack()->add_seqs(frame.push().delivery().seq());
    c.Queue(std::move(ack));
    co_await c.Flush();
  }
}

// Opens `n` owner connections with a subscribed mailbox each, `window` wide.
std::vector<Mailbox> OpenReceivers(Rig& rig, int n, std::uint32_t window,
                                   std::vector<std::unique_ptr<BenchConn>>* conns,
                                   std::function<void(const wire::Delivery&)> on_delivery) {
  const std::string invite = rig.relay.CreateInvite(n + 1, "1d");
  std::vector<Mailbox> mailboxes(static_cast<std::size_t>(n));
  int ready = 0;
  int launched = 0;
  auto launch_one = [&](int i) {
    conns->push_back(std::make_unique<BenchConn>(rig.io, rig.tls));
    BenchConn* c = conns->back().get();
    rig.Spawn([&rig, c, i, &invite, &mailboxes, &ready, window, on_delivery]() -> awaitable<void> {
      co_await c->Open(rig.endpoint);
      Mailbox m = co_await CreateMailbox(*c, invite);
      co_await Subscribe(*c, m.id, window);
      mailboxes[static_cast<std::size_t>(i)] = m;
      ++ready;
      co_await ReceiveLoop(*c, m.id, on_delivery);
    });
  };
  // At most 200 connections in setup at once: handshakes queue instead of timing out.
  rig.RunUntil([&] {
    while (launched < n && launched - ready < 200) launch_one(launched++);
    return ready + rig.failures >= n;
  });
  return mailboxes;
}

// ---------------------------------------------------------------- fan-out

int kGapMs = 200;

void FanOut(int n) {
  constexpr int kAlerts = 20;
  Rig rig({});
  std::vector<std::unique_ptr<BenchConn>> conns;
  std::vector<int> received(kAlerts + 1, 0);
  std::vector<Clock::time_point> last(kAlerts + 1);
  std::vector<Clock::time_point> first(kAlerts + 1);
  auto on_delivery = [&](const wire::Delivery& d) {
    const std::string& blob = d.view().blob();
    const int alert = blob.empty() ? 0 : static_cast<unsigned char>(blob[0]);
    if (alert <= kAlerts && received[static_cast<std::size_t>(alert)] == 0)
      first[static_cast<std::size_t>(alert)] = Clock::now();
    if (alert <= kAlerts && ++received[static_cast<std::size_t>(alert)] == n) {
      last[static_cast<std::size_t>(alert)] = Clock::now();
    }
  };
  const auto setup_start = Clock::now();
  std::vector<Mailbox> mailboxes = OpenReceivers(rig, n, 64, &conns, on_delivery);
  if (rig.failures > 0) std::cerr << rig.failures << " receivers failed\n";
  const double setup_ms = Ms(Clock::now() - setup_start);
  const std::uint64_t rss = RssKiB(rig.relay.pid());

  BenchConn sender(rig.io, rig.tls);
  std::vector<double> latencies;
  std::vector<double> stored_ms;
  std::vector<double> blob_ms;
  bool done = false;
  rig.Spawn([&]() -> awaitable<void> {
    co_await sender.Open(rig.endpoint);
    co_await sender.Call(Hello(wire::SEND));
    for (int alert = 0; alert <= kAlerts; ++alert) {  // alert 0 warms up
      std::string blob(1024, 'a');
      blob[0] = static_cast<char>(alert);
      const auto start = Clock::now();
      wire::Request put;
      put.mutable_put_blob()->set_blob(blob);
      put.mutable_put_blob()->set_ttl_seconds(3600);
      const std::string handle = (co_await sender.Call(put)).blob_stored().handle();
      if (alert > 0) blob_ms.push_back(Ms(Clock::now() - start));
      for (std::size_t from = 0; from < mailboxes.size(); from += 2000) {
        wire::Request views;
        views.set_id(sender.NextId());
        views.mutable_send_views()->set_handle(handle);
        for (std::size_t i = from; i < std::min(mailboxes.size(), from + 2000); ++i) {
          auto* v = views.mutable_send_views()->add_views();
          v->set_mailbox_id(mailboxes[i].id);
          v->set_token(mailboxes[i].token);
          v->set_view(std::string(48, 'v'));
        }
        sender.Queue(std::move(views));
      }
      co_await sender.Flush();
      const auto flushed = Clock::now();
      for (std::size_t answers = 0; answers < (mailboxes.size() + 1999) / 2000;) {
        if ((co_await sender.Read()).has_response()) ++answers;
      }
      if (alert > 0) stored_ms.push_back(Ms(Clock::now() - start));
      while (received[static_cast<std::size_t>(alert)] < n) {
        co_await rig.Sleep(std::chrono::milliseconds(1));
      }
      if (alert > 0) latencies.push_back(Ms(last[static_cast<std::size_t>(alert)] - start));
      if (std::getenv("TOCSIN_BENCH_TRACE"))
        std::fprintf(stderr, "alert %d flushed %.1f first %.1f last %.1f\n", alert,
                     Ms(flushed - start), Ms(first[static_cast<std::size_t>(alert)] - start),
                     Ms(last[static_cast<std::size_t>(alert)] - start));
      co_await rig.Sleep(std::chrono::milliseconds(kGapMs));  // acks settle between alerts
    }
    done = true;
  });
  if (!rig.RunUntil([&] { return done; })) std::cerr << "fan-out did not finish\n";
  std::sort(latencies.begin(), latencies.end());
  std::sort(stored_ms.begin(), stored_ms.end());
  if (latencies.empty()) return;
  std::sort(blob_ms.begin(), blob_ms.end());
  std::printf("  (BlobStored after p50 %.1f ms, ViewsResult after p50 %.1f ms)\n",
              blob_ms[blob_ms.size() / 2], stored_ms[stored_ms.size() / 2]);
  if (std::getenv("TOCSIN_BENCH_TRACE")) std::cerr << rig.relay.Log();
  std::printf(
      "fanout N=%-6d last delivery p50 %7.1f ms  max %7.1f ms  (setup %.1f s, relay "
      "RSS subscribed %.1f MiB)\n",
      n, latencies[latencies.size() / 2], latencies.back(), setup_ms / 1000,
      static_cast<double>(rss) / 1024);
}

// ---------------------------------------------------------------- throughput

const testing::ConfigOverrides kUnlimited = {
    {"rate_limits.connection_requests_per_second", "10000000"},
    {"rate_limits.connection_burst", "10000000"},
    {"rate_limits.mailbox_envelopes_per_second", "10000000"},
    {"rate_limits.mailbox_burst", "10000000"},
    {"limits.max_inflight_requests", "4096"}};

void Throughput() {
  constexpr int kReceivers = 100;
  constexpr int kSenders = 4;
  constexpr int kPerSender = 50000;
  constexpr int kOutstanding = 512;
  constexpr int kTotal = kSenders * kPerSender;
  Rig rig(kUnlimited);
  std::vector<std::unique_ptr<BenchConn>> conns;
  int delivered = 0;
  Clock::time_point last_delivery;
  auto on_delivery = [&](const wire::Delivery&) {
    if (++delivered == kTotal) last_delivery = Clock::now();
  };
  std::vector<Mailbox> mailboxes = OpenReceivers(rig, kReceivers, 1024, &conns, on_delivery);
  const auto start = Clock::now();
  std::vector<std::unique_ptr<BenchConn>> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(std::make_unique<BenchConn>(rig.io, rig.tls));
    BenchConn* c = senders.back().get();
    rig.Spawn([&, c, s]() -> awaitable<void> {
      co_await c->Open(rig.endpoint);
      co_await c->Call(Hello(wire::SEND));
      int sent = 0;
      int answered = 0;
      std::string envelope(1024, 'e');
      while (answered < kPerSender) {
        while (sent < kPerSender && sent - answered < kOutstanding) {
          const Mailbox& m = mailboxes[static_cast<std::size_t>((s * 7919 + sent) % kReceivers)];
          wire::Request r;
          r.set_id(c->NextId());
          r.mutable_send()->set_mailbox_id(m.id);
          r.mutable_send()->set_token(m.token);
          r.mutable_send()->set_envelope(envelope);
          c->Queue(std::move(r));
          ++sent;
        }
        co_await c->Flush();
        wire::Frame f = co_await c->Read();
        if (f.has_response()) {
          if (!f.response().has_stored()) throw std::runtime_error(f.response().error().message());
          ++answered;
        }
      }
    });
  }
  if (!rig.RunUntil([&] { return delivered >= kTotal || rig.failures > 0; })) {
    std::cerr << "throughput run did not finish: " << delivered << " delivered\n";
    return;
  }
  const double seconds = Ms(last_delivery - start) / 1000;
  std::printf("throughput: %d envelopes (1 KiB) send -> deliver -> ack in %.2f s: %.0f/s\n", kTotal,
              seconds, kTotal / seconds);
}

// ---------------------------------------------------------------- offline drain

void Drain() {
  constexpr int kMailboxes = 1000;
  constexpr int kEach = 20;
  Rig rig(kUnlimited);
  std::vector<Mailbox> mailboxes;
  std::vector<std::unique_ptr<BenchConn>> first_conns;  // kept: Asio may still hold them
  {
    std::vector<std::unique_ptr<BenchConn>>& conns = first_conns;
    mailboxes = OpenReceivers(rig, kMailboxes, 64, &conns, [](const wire::Delivery&) {});
    for (auto& c : conns) {
      asio::error_code ec;
      c->stream().next_layer().close(ec);
    }
    rig.io.run_for(std::chrono::milliseconds(200));
    rig.failures = 0;  // the receive loops just ended with their connections
  }
  BenchConn sender(rig.io, rig.tls);
  bool queued = false;
  rig.Spawn([&]() -> awaitable<void> {
    co_await sender.Open(rig.endpoint);
    co_await sender.Call(Hello(wire::SEND));
    int pending = 0;
    int refused = 0;
    for (int round = 0; round < kEach; ++round) {
      for (const Mailbox& m : mailboxes) {
        wire::Request r;
        r.set_id(sender.NextId());
        r.mutable_send()->set_mailbox_id(m.id);
        r.mutable_send()->set_token(m.token);
        r.mutable_send()->set_envelope(std::string(1024, 'q'));
        sender.Queue(std::move(r));
        ++pending;
      }
      co_await sender.Flush();
      while (pending > 0) {
        wire::Frame f = co_await sender.Read();
        if (!f.has_response()) continue;
        --pending;
        if (!f.response().has_stored() && ++refused <= 3) {
          std::cerr << "send refused: " << f.response().error().message() << "\n";
        }
      }
    }
    queued = true;
  });
  rig.RunUntil([&] { return queued || rig.failures > 0; });
  std::vector<std::unique_ptr<BenchConn>> conns;
  int finished = 0;
  const auto start = Clock::now();
  for (const Mailbox& m : mailboxes) {
    conns.push_back(std::make_unique<BenchConn>(rig.io, rig.tls));
    BenchConn* c = conns.back().get();
    rig.Spawn([&, c, m]() -> awaitable<void> {
      co_await c->Open(rig.endpoint);
      const std::string nonce = (co_await c->Call(Hello(wire::OWNER))).hello().server_nonce();
      wire::Request auth;
      auth.mutable_authenticate()->set_mailbox_id(m.id);
      auth.mutable_authenticate()->set_signature(m.key.Sign(testing::AuthMessage(nonce, m.id)));
      co_await c->Call(auth);
      co_await Subscribe(*c, m.id, 64);
      wire::Request ack;
      ack.mutable_ack()->set_mailbox_id(m.id);
      while (ack.ack().seqs_size() < kEach) {
        wire::Frame f = co_await c->Read();
        if (f.has_push()) ack.mutable_ack()->add_seqs(f.push().delivery().seq());
      }
      co_await c->Call(ack);
      ++finished;
    });
  }
  rig.RunUntil([&] { return finished + rig.failures >= kMailboxes; });
  std::printf(
      "offline drain: %d mailboxes x %d envelopes, reconnect (full TLS handshakes) + "
      "deliver + ack: %.0f ms\n",
      kMailboxes, kEach, Ms(Clock::now() - start));
}

// ---------------------------------------------------------------- idle connections

void Idle() {
  constexpr int kConnections = 10000;
  Rig rig({});
  const std::uint64_t before = RssKiB(rig.relay.pid());
  std::vector<std::unique_ptr<BenchConn>> conns;
  int ready = 0;
  int launched = 0;
  rig.RunUntil([&] {
    while (launched < kConnections && launched - ready < 200) {
      conns.push_back(std::make_unique<BenchConn>(rig.io, rig.tls));
      BenchConn* c = conns.back().get();
      ++launched;
      rig.Spawn([&, c]() -> awaitable<void> {
        co_await c->Open(rig.endpoint);
        co_await c->Call(Hello(wire::OWNER));
        ++ready;
      });
    }
    return ready + rig.failures >= kConnections;
  });
  rig.io.run_for(std::chrono::seconds(2));  // the relay settles
  const std::uint64_t after = RssKiB(rig.relay.pid());
  std::printf(
      "idle: %d TLS owner connections: relay RSS %.1f MiB (%.1f MiB before; %.1f KiB "
      "per connection)\n",
      ready, static_cast<double>(after) / 1024, static_cast<double>(before) / 1024,
      static_cast<double>(after - before) / ready);
}

}  // namespace
}  // namespace tocsin::bench

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  tocsin::bench::RaiseFileLimit();
  const std::string what = argc > 1 ? argv[1] : "all";
  std::vector<int> sizes;
  for (int i = 2; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {1000, 5000, 10000};
  if (const char* gap = std::getenv("TOCSIN_BENCH_GAP_MS")) tocsin::bench::kGapMs = std::atoi(gap);
  std::printf(
      "relay bench (fsync, TLS 1.3, sender and receivers on this machine; shared "
      "machine: figures are noisy)\n");
  if (what == "fanout" || what == "all") {
    for (int n : sizes) tocsin::bench::FanOut(n);
  }
  if (what == "throughput" || what == "all") tocsin::bench::Throughput();
  if (what == "drain" || what == "all") tocsin::bench::Drain();
  if (what == "idle" || what == "all") tocsin::bench::Idle();
  return 0;
}
