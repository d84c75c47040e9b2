// An owner link's connection life: connect, reconnect with backoff, state, keepalive.
// Mailboxes, deliveries and owner requests: owner_link_mailboxes.cpp.
#include "net/owner_link.h"

#include "net/relay_errors.h"

namespace tocsin::net {
namespace {

// Failures of the connection itself that retrying cannot cure.
bool IsHardConnectionFailure(const Status& status) {
  return status.code() == Code::kUnauthorized || status.code() == Code::kUnsupportedVersion;
}

}  // namespace

OwnerLink::OwnerLink(std::shared_ptr<LinkEnv> env, RelayAddress relay)
    : env_(std::move(env)),
      relay_(std::move(relay)),
      backoff_(env_->options.backoff_min, env_->options.backoff_max, env_->rng()),
      retry_timer_(env_->io),
      ping_timer_(env_->io),
      ack_timer_(env_->io) {}

OwnerLink::~OwnerLink() = default;

bool OwnerLink::HasWork() const { return !mailboxes_.empty() || !on_open_.empty(); }

void OwnerLink::EnsureConnection() {
  if (env_->closed || conn_ || retry_scheduled_) return;
  stopped_ = false;
  Connect();
}

void OwnerLink::Connect() {
  if (!env_->tls) return OnConnectionLost(Status::Internal("TLS could not be set up"));
  SetState(LinkState::kConnecting, Status::Ok());
  ConnectionOptions options;
  options.kind = wire::OWNER;
  options.connect_timeout = env_->options.connect_timeout;
  options.request_timeout = env_->options.request_timeout;
  options.resume = ticket_;
  options.wall_clock = env_->options.wall_clock;
  conn_ = RelayConnection::Create(env_->io, *env_->tls, relay_, std::move(options));
  const RelayConnection* raw = conn_.get();
  std::weak_ptr<OwnerLink> weak = weak_from_this();
  conn_->SetPushHandler([weak, raw](wire::Push push) {
    if (auto self = weak.lock()) self->OnPush(raw, std::move(push));
  });
  conn_->SetClosedHandler([weak, raw](const Status& reason) {
    if (auto self = weak.lock()) self->OnClosed(raw, reason);
  });
  conn_->Open([weak, raw](Result<wire::HelloOk> hello) {
    if (auto self = weak.lock()) self->OnOpened(raw, std::move(hello));
  });
}

void OwnerLink::OnOpened(const RelayConnection* conn, Result<wire::HelloOk> hello) {
  if (conn_.get() != conn) return;
  if (!hello.ok()) {
    conn_ = nullptr;
    return OnConnectionLost(hello.status());
  }
  env_->board.SetHello(relay_, hello->limits(), conn_->clock_skew_ms(), /*own_relay=*/true);
  ArmPing();
  for (auto& [id, mailbox] : mailboxes_) Authenticate(id);
  for (OnOpen& item : std::exchange(on_open_, {})) item.send();
  CheckConnected();
}

void OwnerLink::OnClosed(const RelayConnection* conn, const Status& reason) {
  if (conn_.get() != conn) return;
  if (conn_->ticket()) ticket_ = conn_->ticket();
  conn_ = nullptr;
  OnConnectionLost(reason);
}

// The connection failed to open or ended. Acks stay queued: they go out after the next
// Authenticate, before the Subscribe that would deliver their entries again.
void OwnerLink::OnConnectionLost(const Status& reason) {
  ping_timer_.cancel();
  for (auto& [id, mailbox] : mailboxes_) mailbox.phase = Phase::kIdle;
  FailWaiting(reason);
  const bool hard = IsHardConnectionFailure(reason);
  std::vector<StatusCallback> owed;
  if (hard) {
    stopped_ = true;
    for (auto& [id, mailbox] : mailboxes_) {
      if (mailbox.done) owed.push_back(std::exchange(mailbox.done, nullptr));
    }
  } else if (HasWork() && !env_->closed) {
    ScheduleRetry();
  }
  auto self = shared_from_this();
  SetState(LinkState::kFailing, reason);
  for (StatusCallback& done : owed) done(reason);
}

void OwnerLink::ScheduleRetry() {
  retry_scheduled_ = true;
  retry_timer_.expires_after(backoff_.Next());
  retry_timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (auto self = weak.lock()) self->OnRetry();
  });
}

void OwnerLink::OnRetry() {
  retry_scheduled_ = false;
  if (env_->closed || stopped_ || conn_ || !HasWork()) return;
  Connect();
}

void OwnerLink::SetState(LinkState state, const Status& status) {
  if (state_reported_ && state == state_ && status == last_status_) return;
  state_reported_ = true;
  state_ = state;
  last_status_ = status;
  env_->board.SetState(relay_, state);
  if (env_->on_state && !env_->closed) env_->on_state(relay_, state, status);
}

// Connected once every mailbox is authenticated, and subscribed if it was added.
void OwnerLink::CheckConnected() {
  if (!Usable()) return;
  for (const auto& [id, mailbox] : mailboxes_) {
    if (mailbox.subscribe ? mailbox.phase != Phase::kSubscribed
                          : mailbox.phase < Phase::kAuthenticated) {
      return;
    }
  }
  backoff_.Reset();
  SetState(LinkState::kConnected, Status::Ok());
}

// SPEC.md section 5.14: a Ping when nothing else was sent for ping_interval.
void OwnerLink::ArmPing() {
  if (!Usable()) return;
  const auto interval = env_->options.ping_interval;
  const auto due = std::max(conn_->last_request() + interval,
                            RelayConnection::Clock::now() + std::chrono::milliseconds(10));
  ping_timer_.expires_at(due);
  ping_timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (auto self = weak.lock()) self->OnPing();
  });
}

void OwnerLink::OnPing() {
  if (!Usable()) return;
  const auto now = RelayConnection::Clock::now();
  if (now >= conn_->last_request() + env_->options.ping_interval) {
    wire::Request ping;
    ping.mutable_ping();
    const std::int64_t sent_at = env_->NowWallMs();
    conn_->Call(std::move(ping), [weak = weak_from_this(), sent_at](Result<wire::Response> pong) {
      auto self = weak.lock();
      if (!self || !pong.ok() || !pong->has_pong()) return;  // a lost Ping closes the link
      self->env_->board.SetSkew(
          self->relay_, SkewMs(pong->pong().server_time_ms(), sent_at, self->env_->NowWallMs()),
          /*own_relay=*/true);
    });
  }
  ArmPing();
}

void OwnerLink::FailWaiting(const Status& reason) {
  std::vector<std::function<void(const Status&)>> owed;
  for (OnOpen& item : std::exchange(on_open_, {})) owed.push_back(std::move(item.fail));
  for (auto& [id, mailbox] : mailboxes_) {
    for (Queued& q : std::exchange(mailbox.waiting, {})) {
      owed.push_back([done = std::move(q.done)](const Status& s) { done(s); });
    }
  }
  for (auto& fail : owed) fail(reason);
}

void OwnerLink::WhenOpen(std::function<void()> send, std::function<void(const Status&)> fail) {
  if (Usable()) return send();
  on_open_.push_back(OnOpen{std::move(send), std::move(fail)});
  EnsureConnection();
}

// While the link waits out a backoff, requests fail at once rather than wait for it.
bool OwnerLink::Unreachable(const std::function<void(const Status&)>& fail) {
  if (!retry_scheduled_) return false;
  fail(Status::Unavailable("relay unreachable, retrying: " + last_status_.message()));
  return true;
}

void OwnerLink::Shutdown(const Status& reason) {
  stopped_ = true;
  retry_timer_.cancel();
  ping_timer_.cancel();
  ack_timer_.cancel();
  auto self = shared_from_this();
  // Acks still waiting for their flush are written now, not dropped: the write starts
  // before the socket closes (best effort; an Ack lost here costs a redelivery).
  if (Usable()) FlushAcks();
  ConnPtr conn = std::exchange(conn_, nullptr);
  FailWaiting(reason);
  std::vector<StatusCallback> owed;
  for (auto& [id, mailbox] : mailboxes_) {
    if (mailbox.done) owed.push_back(std::exchange(mailbox.done, nullptr));
  }
  mailboxes_.clear();
  if (conn) conn->Close(reason);
  for (StatusCallback& done : owed) done(reason);
}

}  // namespace tocsin::net
