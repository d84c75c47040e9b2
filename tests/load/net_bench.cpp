// Benchmark of the client's relay links (client-lib/src/net) against the real relay on
// 127.0.0.1: owner link set-up (TCP, TLS, Hello, Authenticate, Subscribe) with a fresh
// and with a resumed TLS session; pipelined Sends on one send connection; the time from
// Send to the delivery on the owner link; SendToMany with 2,000 views.
//
// TOCSIN_BENCH_DURABILITY=wal runs the relay without fsync (default: fsync).
// Client and relay share the machine's cores: figures are medians of several rounds.
#include <sodium.h>

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "net/relay_pool.h"
#include "relay_process.h"

namespace tocsin::net::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// A pool on its own io thread.
struct Rig {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<RelayPool> pool;
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Clock::time_point> deliveries;

  Rig() {
    RelayPoolOptions o;
    o.io = &io;
    pool = std::make_unique<RelayPool>(o);
    pool->SetDeliveryHandler([this](IncomingDelivery d) {
      std::lock_guard lock(mu);
      deliveries.push_back(Clock::now());
      pool->Ack(d.relay, d.mailbox, d.seq);
      cv.notify_all();
    });
    thread = std::thread([this] { io.run(); });
  }
  ~Rig() {
    work.reset();
    io.stop();
    thread.join();
  }
  void WaitDeliveries(std::size_t n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return deliveries.size() >= n; });
  }
};

template <typename T>
T Await(const std::function<void(std::function<void(T)>)>& start) {
  auto promise = std::make_shared<std::promise<T>>();
  start([promise](T value) { promise->set_value(std::move(value)); });
  return promise->get_future().get();
}

void Check(const Status& s, const char* what) {
  if (s.ok()) return;
  std::cerr << what << ": " << s.ToString() << "\n";
  std::exit(1);
}

struct Mailbox {
  MailboxId id{};
  AuthKeyPair key;
  Token token{};
};

Mailbox MakeMailbox(Rig& rig, const testing::RelayProcess& relay) {
  Mailbox m;
  m.key = AuthKeyPair::Generate();
  auto id = Await<Result<MailboxId>>([&](auto done) {
    rig.pool->CreateMailbox(relay.address(), relay.CreateInvite(), m.key, done);
  });
  Check(id.status(), "create mailbox");
  m.id = *id;
  randombytes_buf(m.token.data(), m.token.size());
  wire::TokenEntry entry;
  entry.set_token_class(wire::CONTACT);
  std::string hash(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), 32, m.token.data(), 16, nullptr,
                     0);
  entry.set_token_hash(hash);
  auto set = Await<Result<std::uint32_t>>(
      [&](auto done) { rig.pool->SetTokens(relay.address(), m.id, {entry}, done); });
  Check(set.status(), "set tokens");
  return m;
}

double TimeAddMailbox(Rig& rig, const RelayAddress& relay, const Mailbox& m) {
  const auto start = Clock::now();
  Check(Await<Status>([&](auto done) { rig.pool->AddMailbox(relay, m.id, m.key, done); }),
        "add mailbox");
  return Ms(Clock::now() - start).count();
}

void OwnerSetUp(const testing::RelayProcess& relay, const Mailbox& m) {
  std::vector<double> fresh, resumed;
  for (int i = 0; i < 15; ++i) {
    Rig rig;  // a new pool: no ticket
    fresh.push_back(TimeAddMailbox(rig, relay.address(), m));
    rig.pool->RemoveMailbox(relay.address(), m.id);  // closes; the ticket stays
    resumed.push_back(TimeAddMailbox(rig, relay.address(), m));
  }
  std::printf(
      "owner link set-up (connect, TLS, Hello, Authenticate, Subscribe), median: "
      "fresh %.2f ms, resumed %.2f ms\n",
      Median(fresh), Median(resumed));
}

void PipelinedSends(Rig& rig, const RelayAddress& relay, const Mailbox& m) {
  constexpr int kSends = 2000;
  std::vector<double> rates;
  for (int round = 0; round < 5; ++round) {
    std::atomic<int> left{kSends};
    std::promise<void> all;
    const auto start = Clock::now();
    for (int i = 0; i < kSends; ++i) {
      rig.pool->Send(relay, m.id, m.token, std::string(1024, 'e'), 0, [&](Status s) {
        Check(s, "send");
        if (--left == 0) all.set_value();
      });
    }
    all.get_future().wait();
    rates.push_back(kSends / std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::printf("pipelined Sends of 1 KiB on one send connection: median %.0f/s\n", Median(rates));
}

void SendToDelivery(Rig& rig, const RelayAddress& relay, const Mailbox& m) {
  Check(Await<Status>([&](auto done) { rig.pool->AddMailbox(relay, m.id, m.key, done); }),
        "subscribe");
  rig.WaitDeliveries(10000);  // the pipelined sends above
  std::vector<double> latencies;
  for (int i = 0; i < 50; ++i) {
    const std::size_t before = rig.deliveries.size();
    const auto start = Clock::now();
    rig.pool->Send(relay, m.id, m.token, "ping", 0, [](Status s) { Check(s, "send"); });
    rig.WaitDeliveries(before + 1);
    std::lock_guard lock(rig.mu);
    latencies.push_back(Ms(rig.deliveries.back() - start).count());
  }
  std::sort(latencies.begin(), latencies.end());
  std::printf("Send to delivery on the owner link: median %.2f ms, p90 %.2f ms\n",
              Median(latencies), latencies[latencies.size() * 9 / 10]);
}

void FanOut(Rig& rig, const RelayAddress& relay, const Mailbox& m) {
  std::vector<double> times;
  for (int round = 0; round < 10; ++round) {
    std::vector<OutgoingView> views(2000);
    for (auto& v : views) {
      randombytes_buf(v.mailbox.data(), v.mailbox.size());
      v.view = std::string(48, 'v');
    }
    views[0] = OutgoingView{m.id, m.token, std::string(48, 'v')};
    const auto start = Clock::now();
    auto codes = Await<Result<std::vector<Code>>>([&](auto done) {
      rig.pool->SendToMany(relay, std::string(1200, 'b'), 0, std::move(views), done);
    });
    Check(codes.status(), "send to many");
    times.push_back(Ms(Clock::now() - start).count());
  }
  std::printf("SendToMany, 2,000 views (PutBlob + SendViews): median %.1f ms\n", Median(times));
}

}  // namespace
}  // namespace tocsin::net::bench

int main() {
  using namespace tocsin::net::bench;
  if (sodium_init() < 0) return 1;
  const char* durability = std::getenv("TOCSIN_BENCH_DURABILITY");
  const std::string mode = durability != nullptr ? durability : "fsync";
  // Rate limits and queue quotas lifted: this measures the links, not the relay's policy.
  tocsin::testing::RelayProcess relay(
      {{"server.durability", "\"" + mode + "\""},
       {"rate_limits.connection_requests_per_second", "1000000"},
       {"rate_limits.connection_burst", "1000000"},
       {"rate_limits.token_envelopes_per_second", "1000000"},
       {"rate_limits.token_burst", "1000000"},
       {"rate_limits.mailbox_total_envelopes_per_second", "1000000"},
       {"rate_limits.mailbox_total_burst", "1000000"},
       {"tokens.contact.max_queued_messages", "0"},
       {"tokens.contact.max_queued_bytes", "0"}});
  Check(relay.init_status(), "relay init");
  Check(relay.Start(), "relay start");
  std::printf("relay durability: %s\n", mode.c_str());
  Rig rig;
  const Mailbox m = MakeMailbox(rig, relay);
  OwnerSetUp(relay, m);
  PipelinedSends(rig, relay.address(), m);
  SendToDelivery(rig, relay.address(), m);
  FanOut(rig, relay.address(), m);
  return 0;
}
