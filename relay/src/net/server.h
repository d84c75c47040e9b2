// The network side of the relay: a TLS 1.3 acceptor and its sessions on Asio.
//
// Threads: one io_context per network thread ("worker"), each owning its sessions
// outright: a session runs only on its worker, so nothing inside a session is locked.
// New connections are spread over the workers round robin. Other threads (the store's
// writer, the fan-out) reach a session only by SessionId through the SessionDirectory
// this class implements: the id names the worker, the worker looks the session up in
// its own table, and work for a session that is gone is dropped.
//
// Thread-safety: Start/StopAccepting/Shutdown from one controlling thread; Post and
// Deliver from any thread.
#ifndef TOCSIN_RELAY_NET_SERVER_H_
#define TOCSIN_RELAY_NET_SERVER_H_

#include <asio.hpp>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "fanout/fanout.h"
#include "metrics/log_throttle.h"
#include "metrics/metrics.h"
#include "net/tls_context.h"
#include "protocol/session.h"

namespace tocsin::relay {

class Connection;

// One network thread and what it owns. Its members are touched only on its thread.
struct Worker {
  explicit Worker(std::uint32_t worker_index) : index(worker_index) {}
  const std::uint32_t index;
  asio::io_context io{1};
  std::unordered_map<SessionId, std::shared_ptr<Connection>> sessions;
  // While a batch of work runs (a read chunk, a fan-out batch, store answers), sessions
  // queue their flushes here and write once at the end.
  bool batching = false;
  std::vector<std::shared_ptr<Connection>> flush_list;
  std::array<std::uint8_t, 16 * 1024> read_buffer{};  // shared by the worker's sessions
  std::thread thread;

  // Work from other threads (the store's answers, fan-out batches), run in the order it
  // came. However many items arrive while one run is pending, the worker's io_context
  // gets one closure for them all, and they run as one batch: a commit that answers 500
  // Acks of this worker's sessions costs one post, not 500, and each session writes once.
  struct InboxItem {
    SessionId session = 0;  // with `for_session`
    std::function<void(ProtocolSession&)> for_session;
    std::function<void()> task;  // otherwise
    // Run once the batch's sessions have written (a task's pushes included).
    std::function<void()> after;
  };
  std::mutex inbox_mutex;
  std::vector<InboxItem> inbox;    // guarded by inbox_mutex
  bool inbox_pending = false;      // guarded by inbox_mutex: a RunInbox is posted
  std::vector<InboxItem> running;  // this thread only: the items being run

  // Queues `item`; from any thread.
  void Enqueue(InboxItem item);

  // Runs fn() as one batch, then writes every session that queued output meanwhile.
  template <typename Fn>
  void RunBatch(Fn&& fn);

 private:
  void RunInbox();
};

class Server final : public SessionDirectory {
 public:
  // `store` must outlive the Server and be closed before it is destroyed.
  Server(const Config& config, SslCtxPtr tls, MailboxStore& store, RelayMetrics& metrics);
  ~Server() override;

  // Binds the listener and starts the workers. kIoError when the address is taken.
  Status Start();
  // The address really bound (useful with port 0).
  asio::ip::tcp::endpoint local_endpoint() const;
  // Stops taking connections.
  void StopAccepting();
  // Lets every session write what it has queued (up to `drain`), then closes all
  // connections and joins the workers.
  void Shutdown(std::chrono::milliseconds drain);

  void Post(SessionId id, std::function<void(ProtocolSession&)> fn) override;
  void Deliver(std::shared_ptr<const std::vector<QueuedEntry>> entries,
               std::vector<PushTarget> targets) override;

  Fanout& fanout() { return fanout_; }
  std::size_t open_connections() const { return open_connections_.load(); }

  // Connection bookkeeping (net/connection.cpp).
  void OnConnectionClosed() { open_connections_.fetch_sub(1); }
  const ProtocolEnv& env() const { return env_; }
  const Config& config() const { return config_; }
  RelayMetrics& metrics() { return metrics_; }
  SSL_CTX* tls() const { return tls_.get(); }

 private:
  asio::awaitable<void> AcceptLoop();
  void StartSession(Worker& worker, asio::ip::tcp::socket socket);
  void StartSweep(Worker& worker);
  Worker& WorkerOf(SessionId id) { return *workers_[id & 0xff]; }

  const Config& config_;
  SslCtxPtr tls_;
  MailboxStore& store_;
  RelayMetrics& metrics_;
  // Shared with the store's writer, which admits envelopes through it (DeliveryGate).
  std::shared_ptr<DeliveryRateLimiter> delivery_limiter_;
  Fanout fanout_;
  ProtocolEnv env_;
  // Declared after fanout_: destroyed first, so sessions unregister from a live fan-out.
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<asio::steady_timer>> sweep_timers_;
  std::vector<std::shared_ptr<std::function<void()>>> sweep_ticks_;
  std::optional<asio::ip::tcp::acceptor> acceptor_;  // on worker 0
  std::atomic<std::uint64_t> next_serial_{1};
  std::atomic<std::size_t> open_connections_{0};
  std::atomic<bool> accepting_{false};
  std::uint32_t next_worker_ = 0;  // acceptor thread only
  LogThrottle accept_failures_{std::chrono::seconds(10)};
  LogThrottle refusals_{std::chrono::seconds(10)};
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_NET_SERVER_H_
