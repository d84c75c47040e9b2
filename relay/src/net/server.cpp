#include "net/server.h"

#include <sodium.h>

#include <spdlog/spdlog.h>

#include "net/as_tuple.h"
#include "net/connection.h"

namespace tocsin::relay {
namespace {

constexpr std::chrono::seconds kSweepEvery{1};

std::uint64_t SystemNowMs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::size_t WorkerCount(const Config& config) {
  std::size_t n = config.io_threads;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  return std::min<std::size_t>(n, 64);
}

}  // namespace

Server::Server(const Config& config, SslCtxPtr tls, MailboxStore& store, RelayMetrics& metrics)
    : config_(config),
      tls_(std::move(tls)),
      store_(store),
      metrics_(metrics),
      delivery_limiter_(std::make_shared<DeliveryRateLimiter>(DeliveryRatesOf(config))),
      fanout_(*this) {
  env_.config = &config_;
  env_.store = &store_;
  env_.fanout = &fanout_;
  env_.delivery_limiter = delivery_limiter_.get();
  store_.SetDeliveryGate(delivery_limiter_);
  env_.directory = this;
  env_.metrics = &metrics_;
  env_.now_ms = SystemNowMs;
  env_.random = [](std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); };
  const std::size_t n = WorkerCount(config);
  for (std::size_t i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(static_cast<std::uint32_t>(i)));
  }
  acceptor_.emplace(workers_[0]->io);
}

Server::~Server() {
  Shutdown(std::chrono::milliseconds(0));
  store_.SetDeliveryGate(nullptr);
  // Destroying the io_contexts destroys queued handlers and with them the last
  // references to sessions, which unregister from the fan-out (still alive here).
  acceptor_.reset();
  sweep_timers_.clear();
  for (auto& w : workers_) w->sessions.clear();
  workers_.clear();
}

Status Server::Start() {
  Result<HostPort> hp = ParseHostPort(config_.listen);
  if (!hp.ok()) return hp.status();
  asio::error_code ec;
  const auto address = asio::ip::make_address(hp->host, ec);
  if (ec) return Status::InvalidArgument("listen: not an IP address: " + hp->host);
  const asio::ip::tcp::endpoint endpoint(address, hp->port);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("cannot listen on " + config_.listen + ": " + ec.message());
  accepting_ = true;
  asio::co_spawn(workers_[0]->io, AcceptLoop(), asio::detached);
  for (auto& w : workers_) {
    StartSweep(*w);
    w->thread = std::thread([&io = w->io] {
      auto guard = asio::make_work_guard(io);
      io.run();
    });
  }
  return Status::Ok();
}

asio::ip::tcp::endpoint Server::local_endpoint() const {
  asio::error_code ec;
  return acceptor_->local_endpoint(ec);
}

asio::awaitable<void> Server::AcceptLoop() {
  while (accepting_) {
    Worker& target = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % static_cast<std::uint32_t>(workers_.size());
    auto [ec, socket] = co_await acceptor_->async_accept(target.io, kAsTuple);
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
    if (ec) {
      // Out of descriptors and the like: say so, and wait a little rather than spin.
      if (const std::uint64_t n = accept_failures_.Note()) {
        spdlog::warn("accepting a connection failed ({} since the last report): {}", n,
                     ec.message());
      }
      asio::steady_timer pause(workers_[0]->io, std::chrono::milliseconds(50));
      co_await pause.async_wait(kAsTuple);
      continue;
    }
    RelayMetrics::Add(metrics_.connections_accepted);
    if (open_connections_.load() >= config_.max_connections) {
      RelayMetrics::Add(metrics_.connections_refused);
      if (const std::uint64_t n = refusals_.Note()) {
        spdlog::warn("max_connections ({}) reached: {} connection(s) refused since the last report",
                     config_.max_connections, n);
      }
      continue;  // the socket closes as it goes out of scope
    }
    open_connections_.fetch_add(1);
    asio::post(target.io, [this, &target, s = std::move(socket)]() mutable {
      StartSession(target, std::move(s));
    });
  }
}

void Server::StartSession(Worker& worker, asio::ip::tcp::socket socket) {
  const SessionId id = (next_serial_.fetch_add(1) << 8) | worker.index;
  auto connection = std::make_shared<Connection>(*this, worker, id, std::move(socket));
  worker.sessions.emplace(id, connection);
  connection->Start();
}

void Server::StartSweep(Worker& worker) {
  sweep_timers_.push_back(std::make_unique<asio::steady_timer>(worker.io));
  asio::steady_timer* timer = sweep_timers_.back().get();
  auto tick = std::make_shared<std::function<void()>>();
  *tick = [this, &worker, timer, weak = std::weak_ptr<std::function<void()>>(tick)] {
    timer->expires_after(kSweepEvery);
    timer->async_wait([this, &worker, weak](const asio::error_code& ec) {
      auto next = weak.lock();
      if (ec || !next) return;
      const auto now = Connection::Clock::now();
      std::vector<std::shared_ptr<Connection>> all;
      all.reserve(worker.sessions.size());
      for (auto& [id, c] : worker.sessions) all.push_back(c);
      for (auto& c : all) c->CheckDeadlines(now);
      (*next)();
    });
  };
  // The timer's handler holds only a weak reference; the timer owns the function.
  asio::post(worker.io, [tick] { (*tick)(); });
  sweep_ticks_.push_back(std::move(tick));
}

void Server::StopAccepting() {
  accepting_ = false;
  asio::post(workers_[0]->io, [this] {
    asio::error_code ec;
    acceptor_->close(ec);
  });
}

void Server::Shutdown(std::chrono::milliseconds drain) {
  if (workers_.empty() || !workers_[0]->thread.joinable()) return;
  StopAccepting();
  auto for_each_session = [this](void (Connection::*what)()) {
    for (auto& w : workers_) {
      asio::post(w->io, [&worker = *w, what] {
        std::vector<std::shared_ptr<Connection>> all;
        for (auto& [id, c] : worker.sessions) all.push_back(c);
        for (auto& c : all) ((*c).*what)();
      });
    }
  };
  auto wait_closed = [this](std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (open_connections_.load() > 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  // Every session writes what it has queued and closes; stragglers are cut.
  for_each_session(&Connection::Close);
  wait_closed(drain);
  for_each_session(&Connection::Abort);
  wait_closed(std::chrono::milliseconds(1000));
  for (auto& t : sweep_timers_) {
    asio::post(t->get_executor(), [timer = t.get()] { timer->cancel(); });
  }
  for (auto& w : workers_) w->io.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void Server::Post(SessionId id, std::function<void(ProtocolSession&)> fn) {
  WorkerOf(id).Enqueue(Worker::InboxItem{id, std::move(fn), {}, {}});
}

// Called by the fan-out right after the commit, on the store's writer thread.
void Server::Deliver(std::shared_ptr<const std::vector<QueuedEntry>> entries,
                     std::vector<PushTarget> targets) {
  const auto committed = std::chrono::steady_clock::now();
  std::vector<std::vector<PushTarget>> per_worker(workers_.size());
  for (const PushTarget& t : targets) per_worker[t.session & 0xff].push_back(t);
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (per_worker[i].empty()) continue;
    Worker& worker = *workers_[i];
    auto push = [&worker, entries, mine = std::move(per_worker[i])] {
      for (const PushTarget& t : mine) {
        auto it = worker.sessions.find(t.session);
        if (it == worker.sessions.end() || it->second->protocol() == nullptr) continue;
        it->second->protocol()->OnStored((*entries)[t.index]);
      }
    };
    auto written = [this, committed] {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - committed);
      metrics_.push_latency.Observe(static_cast<std::uint64_t>(micros.count()));
    };
    worker.Enqueue(Worker::InboxItem{0, {}, std::move(push), std::move(written)});
  }
}

void Worker::Enqueue(InboxItem item) {
  {
    std::lock_guard lock(inbox_mutex);
    inbox.push_back(std::move(item));
    if (inbox_pending) return;
    inbox_pending = true;
  }
  asio::post(io, [this] { RunInbox(); });
}

void Worker::RunInbox() {
  {
    std::lock_guard lock(inbox_mutex);
    running.swap(inbox);
    inbox_pending = false;
  }
  RunBatch([this] {
    for (InboxItem& item : running) {
      if (item.task) {
        item.task();
        continue;
      }
      auto it = sessions.find(item.session);
      if (it == sessions.end() || it->second->protocol() == nullptr) continue;
      std::shared_ptr<Connection> connection = it->second;  // fn may end the session
      item.for_session(*connection->protocol());
      connection->MaybeResume();
    }
  });
  for (InboxItem& item : running) {
    if (item.after) item.after();
  }
  if (running.capacity() > 4096) {
    std::vector<InboxItem>().swap(running);  // a fan-out burst: give the memory back
  } else {
    running.clear();
  }
}

}  // namespace tocsin::relay
