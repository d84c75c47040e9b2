// Mosquitto on the relay benchmark's scenarios (tests/load/peers/README.md): MQTT 3.1.1,
// QoS 1, persistent sessions (clean_session false), libmosquitto clients on one thread
// (a fan-out's subscribers: on one per core).
// The broker is started by tests/load/compare.sh; this program only connects to it.
#include <atomic>
#include <cstdio>
#include <functional>
#include <iostream>
#include <thread>

#include "arrivals.h"
#include "mqtt_fleet.h"
#include "peer_bench.h"

namespace tocsin::peers {
namespace {

using std::chrono::seconds;

struct Rig {
  explicit Rig(const Options& o)
      : options(o), tls(o.tls ? MakeClientTls() : nullptr), fleet(o.host, o.port) {}
  const Options& options;
  std::shared_ptr<SSL_CTX> tls;
  MqttFleet fleet;
  std::vector<std::unique_ptr<MqttClient>> clients;

  seconds limit() const { return seconds(options.timeout_s); }
  // A clean-session client with up to `window` QoS 1 publishes in flight, connected.
  MqttClient* Publisher(const std::string& id, int window) {
    clients.push_back(std::make_unique<MqttClient>(id, true, tls.get()));
    MqttClient* c = clients.back().get();
    mosquitto_max_inflight_messages_set(c->handle(), static_cast<unsigned>(window));
    if (!fleet.Connect(c) || !fleet.RunUntil([c] { return c->connected || c->failed; }, limit()) ||
        c->failed) {
      std::cerr << "publisher " << id << " could not connect\n";
      std::exit(1);
    }
    return c;
  }
  void Publish(MqttClient* c, const std::string& topic, const std::string& payload) {
    if (mosquitto_publish(c->handle(), nullptr, topic.c_str(), static_cast<int>(payload.size()),
                          payload.data(), 1, false) != MOSQ_ERR_SUCCESS) {
      c->Fail("publish could not be queued");
    }
    fleet.Refresh(c);
  }
};

int Fail(const std::string& what) {
  std::cerr << what << "\n";
  return 1;
}

// `failed` of the rig's clients could not be set up: says so, with each cause.
int FailSetup(const Rig& rig, int failed, const std::string& what) {
  return Fail(std::to_string(failed) + " " + what + " (" + FailureCauses(rig.clients) + ")");
}

// ---------------------------------------------------------------- fan-out

// The subscribers of a fan-out on `threads` fleets, each polled by its own thread once
// set up (0: on the rig's fleet, polled by the publisher's thread).
class SubscriberFleets {
 public:
  SubscriberFleets(Rig& rig, int threads) : rig_(rig) {
    for (int i = 0; i < threads; ++i) {
      fleets_.push_back(std::make_unique<MqttFleet>(rig.options.host, rig.options.port));
    }
  }
  ~SubscriberFleets() {
    stop_ = true;
    for (std::thread& t : pollers_) t.join();
  }
  // Opens n subscribers of `topic`, spread evenly; the number that failed.
  int Open(int n, const std::string& topic,
           const std::function<void(const mosquitto_message&)>& on_message) {
    const Options& o = rig_.options;
    auto topic_of = [&topic](int) { return topic; };
    if (fleets_.empty()) {
      return OpenSubscribers(rig_.fleet, &rig_.clients, n, o.setup_parallel, rig_.tls.get(), "sub-",
                             topic_of, on_message, rig_.limit());
    }
    int failed = 0;
    const int k = static_cast<int>(fleets_.size());
    for (int f = 0; f < k; ++f) {
      const int count = n / k + (f < n % k ? 1 : 0);
      failed += OpenSubscribers(*fleets_[static_cast<std::size_t>(f)], &rig_.clients, count,
                                o.setup_parallel, rig_.tls.get(), "sub-" + std::to_string(f) + "-",
                                topic_of, on_message, rig_.limit());
    }
    for (auto& fleet : fleets_) {
      pollers_.emplace_back([this, f = fleet.get()] {
        while (!stop_) f->Poll(1);
      });
    }
    return failed;
  }

 private:
  Rig& rig_;
  std::vector<std::unique_ptr<MqttFleet>> fleets_;
  std::vector<std::thread> pollers_;
  std::atomic<bool> stop_ = false;
};

int FanOut(const Options& o) {
  Rig rig(o);
  FanOutArrivals arrivals(static_cast<std::size_t>(o.alerts) + 1, o.n);
  auto on_message = [&](const mosquitto_message& m) {
    const auto index =
        PayloadIndex({static_cast<const char*>(m.payload), static_cast<std::size_t>(m.payloadlen)});
    if (index) arrivals.Arrived(*index);
  };
  const auto setup_start = Clock::now();
  SubscriberFleets subscribers(rig, o.receiver_threads);
  const int failed = subscribers.Open(o.n, "alert/all", on_message);
  if (failed > 0) return FailSetup(rig, failed, "subscribers failed to subscribe");
  const double setup_s = Ms(Clock::now() - setup_start) / 1000;
  MqttClient* publisher = rig.Publisher("publisher", 20);
  std::vector<double> latencies;
  for (std::size_t alert = 0; alert < arrivals.messages(); ++alert) {  // alert 0 warms up
    const auto start = Clock::now();
    rig.Publish(publisher, "alert/all", MakePayload(static_cast<std::size_t>(o.size), alert));
    if (!rig.fleet.RunUntil([&] { return arrivals.Complete(alert); }, rig.limit())) {
      return Fail("alert " + std::to_string(alert) + " reached " +
                  std::to_string(arrivals.Count(alert)));
    }
    if (alert > 0) latencies.push_back(Ms(arrivals.Last(alert) - start));
    rig.fleet.RunFor(std::chrono::milliseconds(o.gap_ms));  // acks settle between alerts
  }
  const Summary s = Summarise(latencies);
  std::printf("%s fanout N=%d: last delivery p50 %.1f ms, max %.1f ms (setup %.1f s)\n",
              o.system.c_str(), o.n, s.p50, s.max, setup_s);
  PrintResult(o, {Field("p50_ms", s.p50), Field("max_ms", s.max),
                  "receiver_threads=" + std::to_string(o.receiver_threads),
                  "runs=" + std::to_string(latencies.size())});
  return 0;
}

// ---------------------------------------------------------------- throughput

int Throughput(const Options& o) {
  Rig rig(o);
  const long total = static_cast<long>(o.senders) * o.per_sender;
  long delivered = 0;
  Clock::time_point last_delivery;
  auto on_message = [&](const mosquitto_message&) {
    if (++delivered == total) last_delivery = Clock::now();
  };
  const int failed = OpenSubscribers(
      rig.fleet, &rig.clients, o.receivers, o.setup_parallel, rig.tls.get(), "rcv-",
      [](int i) { return "mb/" + std::to_string(i); }, on_message, rig.limit());
  if (failed > 0) return FailSetup(rig, failed, "receivers failed to subscribe");
  std::vector<MqttClient*> senders;
  for (int s = 0; s < o.senders; ++s)
    senders.push_back(rig.Publisher("snd-" + std::to_string(s), o.window));
  std::vector<long> sent(senders.size(), 0);
  const std::string payload = MakePayload(static_cast<std::size_t>(o.bulk_size), 0);
  const auto start = Clock::now();
  const bool done = rig.fleet.RunUntil(
      [&] {
        for (std::size_t s = 0; s < senders.size(); ++s) {
          while (sent[s] < o.per_sender && sent[s] - senders[s]->published < o.window) {
            const long i = (static_cast<long>(s) * 7919 + sent[s]++) % o.receivers;
            rig.Publish(senders[s], "mb/" + std::to_string(i), payload);
          }
        }
        return delivered >= total;
      },
      rig.limit());
  if (!done) return Fail("throughput: " + std::to_string(delivered) + " delivered");
  const double secs = Ms(last_delivery - start) / 1000;
  std::printf("%s throughput: %ld messages (%d B) send -> deliver -> ack in %.2f s: %.0f/s\n",
              o.system.c_str(), total, o.bulk_size, secs, static_cast<double>(total) / secs);
  Options shown = o;
  shown.n = o.receivers;
  PrintResult(shown, {Field("rate_per_s", static_cast<double>(total) / secs)});
  return 0;
}

// ---------------------------------------------------------------- offline drain

// Phase one: persistent sessions subscribed, then disconnected cleanly.
int MakeOfflineSessions(Rig& rig) {
  const Options& o = rig.options;
  const int failed = OpenSubscribers(
      rig.fleet, &rig.clients, o.n, o.setup_parallel, rig.tls.get(), "drain-",
      [](int i) { return "mb/" + std::to_string(i); }, nullptr, rig.limit());
  if (failed > 0) return failed;
  for (auto& c : rig.clients) rig.fleet.Disconnect(c.get());
  rig.fleet.RunUntil(
      [&] {
        for (auto& c : rig.clients) {
          if (c->fd >= 0) return false;
        }
        return true;
      },
      rig.limit());
  for (auto& c : rig.clients) rig.fleet.Drop(c.get());
  rig.clients.clear();
  return 0;
}

int Drain(const Options& o) {
  Rig rig(o);
  if (const int failed = MakeOfflineSessions(rig); failed > 0) {
    return FailSetup(rig, failed, "drain sessions failed to subscribe");
  }
  const long total = static_cast<long>(o.n) * o.queued;
  MqttClient* publisher = rig.Publisher("drain-publisher", 1000);
  const std::string payload = MakePayload(static_cast<std::size_t>(o.bulk_size), 0);
  for (int round = 0; round < o.queued; ++round) {
    for (int i = 0; i < o.n; ++i) rig.Publish(publisher, "mb/" + std::to_string(i), payload);
    rig.fleet.RunUntil([&] { return publisher->published >= static_cast<long>(round + 1) * o.n; },
                       rig.limit());
  }
  long received = 0;
  Clock::time_point end;
  const auto start = Clock::now();
  for (int i = 0; i < o.n; ++i) {  // all at once: the TCP connects here, TLS in the loop
    rig.clients.push_back(
        std::make_unique<MqttClient>("drain-" + std::to_string(i), false, rig.tls.get()));
    rig.clients.back()->on_message = [&](const mosquitto_message&) {
      if (++received == total) end = Clock::now();
    };
    rig.fleet.Connect(rig.clients.back().get());
  }
  if (!rig.fleet.RunUntil([&] { return received >= total; }, rig.limit())) {
    return Fail("drain: " + std::to_string(received) + " of " + std::to_string(total));
  }
  const double secs = Ms(end - start) / 1000;
  std::printf("%s drain: %d sessions x %d messages, reconnect + deliver + ack: %.3f s\n",
              o.system.c_str(), o.n, o.queued, secs);
  PrintResult(o, {Field("seconds", secs)});
  return 0;
}

// ---------------------------------------------------------------- idle connections

int Idle(const Options& o) {
  Rig rig(o);
  const double before = RssMiB(o.server_pid);
  const int failed = OpenSubscribers(
      rig.fleet, &rig.clients, o.n, o.setup_parallel, rig.tls.get(), "idle-",
      [](int i) { return "idle/" + std::to_string(i); }, nullptr, rig.limit());
  if (failed > 0) return FailSetup(rig, failed, "idle clients failed");
  rig.fleet.RunFor(std::chrono::seconds(2));  // the broker settles
  const double after = RssMiB(o.server_pid);
  std::printf("%s idle: %d subscribed connections: broker RSS %.1f MiB (%.1f before)\n",
              o.system.c_str(), o.n, after, before);
  PrintResult(o, {Field("rss_mib", after)});
  return 0;
}

}  // namespace
}  // namespace tocsin::peers

int main(int argc, char** argv) {
  using namespace tocsin::peers;
  const Options o = ParseOptions(argc, argv, "Mosquitto on the relay benchmark's scenarios");
  RaiseFileLimit();
  mosquitto_lib_init();
  int rc = 1;
  if (o.scenario == "fanout") rc = FanOut(o);
  if (o.scenario == "throughput") rc = Throughput(o);
  if (o.scenario == "drain") rc = Drain(o);
  if (o.scenario == "idle") rc = Idle(o);
  mosquitto_lib_cleanup();
  return rc;
}
