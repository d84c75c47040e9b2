// An owner link's mailboxes: Authenticate, Subscribe, deliveries, acks, owner requests.
#include "net/mailbox_auth.h"
#include "net/owner_link.h"
#include "net/relay_errors.h"

namespace tocsin::net {
namespace {

// Answers that say "not now" rather than "no": the connection is dropped and retried.
bool IsTransient(const Status& status) {
  return status.code() == Code::kUnavailable || status.code() == Code::kRateLimited ||
         status.code() == Code::kInternal;
}

}  // namespace

void OwnerLink::AddMailbox(const MailboxId& id, AuthKeyPair key, StatusCallback done) {
  auto [it, inserted] = mailboxes_.try_emplace(id);
  Mailbox& mailbox = it->second;
  StatusCallback replaced = std::exchange(mailbox.done, std::move(done));
  if (inserted || mailbox.key.secret_key.empty()) mailbox.key = std::move(key);
  mailbox.subscribe = true;
  if (Usable()) {
    if (mailbox.phase == Phase::kIdle) Authenticate(id);
    if (mailbox.phase == Phase::kAuthenticated) Subscribe(id);
  } else {
    EnsureConnection();
  }
  StatusCallback finished;
  if (mailbox.phase == Phase::kSubscribed) finished = std::exchange(mailbox.done, nullptr);
  if (replaced) replaced(Status::Unavailable("mailbox added again"));
  if (finished) finished(Status::Ok());
}

void OwnerLink::RemoveMailbox(const MailboxId& id) {
  auto it = mailboxes_.find(id);
  if (it == mailboxes_.end()) return;
  // The relay keeps the subscription until the connection ends; its deliveries are
  // dropped here (not acked, so nothing is lost).
  DropMailbox(id, Status::Unavailable("mailbox removed"), /*report=*/false);
  if (!HasWork() && conn_) {
    ConnPtr conn = std::exchange(conn_, nullptr);
    if (conn->ticket()) ticket_ = conn->ticket();  // the next owner connection resumes
    ping_timer_.cancel();
    conn->Close(Status::Unavailable("no mailbox left on this relay"));
    env_->board.SetState(relay_, LinkState::kConnecting);
    state_reported_ = false;
  }
}

void OwnerLink::Authenticate(const MailboxId& id) {
  Mailbox& mailbox = mailboxes_.at(id);
  mailbox.phase = Phase::kAuthenticating;
  const RelayConnection* raw = conn_.get();
  conn_->Call(MakeAuthenticate(id, mailbox.key, conn_->hello().server_nonce()),
              [weak = weak_from_this(), raw, id](Result<wire::Response> answer) {
                if (auto self = weak.lock()) self->OnAuthenticated(raw, id, std::move(answer));
              });
}

void OwnerLink::OnAuthenticated(const RelayConnection* conn, const MailboxId& id,
                                Result<wire::Response> answer) {
  if (conn_.get() != conn) return;
  auto it = mailboxes_.find(id);
  if (it == mailboxes_.end() || it->second.phase != Phase::kAuthenticating) return;
  Status status =
      answer.ok() ? CheckAnswer(*answer, wire::Response::kAuthenticated) : answer.status();
  if (IsTransient(status)) return conn_->Close(status.Annotate("authenticate"));
  if (!status.ok()) {
    DropMailbox(id, status.Annotate("relay refused the mailbox"), true);
    return CheckConnected();
  }
  Mailbox& mailbox = it->second;
  mailbox.phase = Phase::kAuthenticated;
  SendAcks(id, mailbox);
  for (Queued& q : std::exchange(mailbox.waiting, {})) conn_->Call(std::move(q.request), q.done);
  if (mailbox.subscribe) Subscribe(id);
  auto self = shared_from_this();
  if (env_->on_authenticated && !env_->closed)
    env_->on_authenticated(relay_, answer->authenticated());
  if (!env_->closed) CheckConnected();
}

void OwnerLink::Subscribe(const MailboxId& id) {
  mailboxes_.at(id).phase = Phase::kSubscribing;
  wire::Request request;
  request.mutable_subscribe()->set_mailbox_id(std::string(AsBytes(id)));
  request.mutable_subscribe()->set_window(env_->options.window);
  const RelayConnection* raw = conn_.get();
  conn_->Call(std::move(request),
              [weak = weak_from_this(), raw, id](Result<wire::Response> answer) {
                if (auto self = weak.lock()) self->OnSubscribed(raw, id, std::move(answer));
              });
}

void OwnerLink::OnSubscribed(const RelayConnection* conn, const MailboxId& id,
                             Result<wire::Response> answer) {
  if (conn_.get() != conn) return;
  auto it = mailboxes_.find(id);
  if (it == mailboxes_.end() || it->second.phase != Phase::kSubscribing) return;
  Status status = answer.ok() ? CheckAnswer(*answer, wire::Response::kSubscribed) : answer.status();
  if (IsTransient(status)) return conn_->Close(status.Annotate("subscribe"));
  if (!status.ok()) {
    DropMailbox(id, status.Annotate("relay refused the subscription"), true);
    return CheckConnected();
  }
  it->second.phase = Phase::kSubscribed;
  StatusCallback done = std::exchange(it->second.done, nullptr);
  auto self = shared_from_this();
  CheckConnected();
  if (done) done(Status::Ok());
}

// Forgets a mailbox. A first AddMailbox still waiting hears why; otherwise, if `report`,
// the state handler does (then the link reports its state again).
void OwnerLink::DropMailbox(const MailboxId& id, const Status& reason, bool report) {
  auto node = mailboxes_.extract(id);
  if (node.empty()) return;
  Mailbox& mailbox = node.mapped();
  auto self = shared_from_this();
  for (Queued& q : std::exchange(mailbox.waiting, {})) q.done(reason);
  if (mailbox.done) {
    mailbox.done(reason);
  } else if (report && mailbox.subscribe) {
    SetState(LinkState::kFailing, reason);
  }
}

void OwnerLink::OnPush(const RelayConnection* conn, wire::Push push) {
  if (conn_.get() != conn || !push.has_delivery()) return;
  wire::Delivery& d = *push.mutable_delivery();
  Result<MailboxId> id = MailboxIdFrom(d.mailbox_id());
  if (!id.ok()) return;
  auto it = mailboxes_.find(*id);
  if (it == mailboxes_.end() || !it->second.subscribe) return;  // removed: comes again later
  IncomingDelivery delivery;
  delivery.relay = relay_;
  delivery.mailbox = *id;
  delivery.seq = d.seq();
  delivery.expires_at_ms = d.expires_at_ms();
  if (d.has_view()) {
    delivery.blob =
        std::make_shared<const std::string>(std::move(*d.mutable_view()->mutable_blob()));
    delivery.view = std::move(*d.mutable_view()->mutable_view());
  } else {
    delivery.envelope = std::move(*d.mutable_envelope());
  }
  if (env_->on_delivery && !env_->closed) env_->on_delivery(std::move(delivery));
}

void OwnerLink::Ack(const MailboxId& id, std::uint64_t seq) {
  auto it = mailboxes_.find(id);
  if (it == mailboxes_.end()) return;
  it->second.acks.push_back(seq);
  // Paced: at most one flush per interval. An ack after a quiet interval goes out on the
  // next io turn (as soon as if nothing were paced); the acks that follow it within the
  // interval wait for its end and go out together.
  if (!ack_flush_armed_) ArmAckFlush(last_ack_flush_ + env_->options.ack_interval);
}

// (Re)arms the ack flush for `due`, or later while the relay asked to wait.
void OwnerLink::ArmAckFlush(RelayConnection::Clock::time_point due) {
  ack_flush_armed_ = true;
  ack_timer_.expires_at(std::max(due, acks_not_before_));
  ack_timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (auto self = weak.lock()) self->FlushAcks();
  });
}

// One Ack per mailbox for everything acked since the last flush.
void OwnerLink::FlushAcks() {
  ack_flush_armed_ = false;
  last_ack_flush_ = RelayConnection::Clock::now();
  if (!Usable()) return;  // sent after the next Authenticate
  for (auto& [id, mailbox] : mailboxes_) {
    if (mailbox.phase >= Phase::kAuthenticated) SendAcks(id, mailbox);
  }
}

void OwnerLink::SendAcks(const MailboxId& id, Mailbox& mailbox) {
  if (mailbox.acks.empty()) return;
  // An Ack carries at most the relay's max_window seqs (proto/SPEC.md 5.5); more (acks
  // kept across a reconnect) go in several.
  const std::uint32_t announced = conn_->hello().limits().max_window();
  const std::size_t per_ack = announced != 0 ? announced : 1024;
  std::vector<std::uint64_t> all = std::exchange(mailbox.acks, {});
  for (std::size_t from = 0; from < all.size(); from += per_ack) {
    const auto first = all.begin() + static_cast<std::ptrdiff_t>(from);
    const auto last =
        all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), from + per_ack));
    SendAck(id, std::vector<std::uint64_t>(first, last));
  }
}

void OwnerLink::SendAck(const MailboxId& id, std::vector<std::uint64_t> seqs) {
  wire::Request request;
  wire::Ack* ack = request.mutable_ack();
  ack->set_mailbox_id(std::string(AsBytes(id)));
  for (std::uint64_t seq : seqs) ack->add_seqs(seq);
  ack->set_quiet(true);
  // Quiet (proto/SPEC.md 5.5): the relay answers only a failure. The seqs are kept with
  // the request's id until such an answer could no longer come (RelayConnection forgets
  // a quiet id after request_timeout or 1024 newer ones): the relay handles one
  // connection's requests in order and answers RATE_LIMITED before looking at the
  // request, so that Error comes back about one round trip after the Ack, long before
  // either bound. No answer by then means the Ack was taken. A lost Ack, or one refused
  // otherwise, costs a redelivery on the next subscription, which the receiver's
  // duplicate check absorbs; the relay frees the window before it stores the ack, so a
  // store that cannot write (a full disk) does not stop deliveries.
  const RelayConnection* raw = conn_.get();
  conn_->SendQuiet(std::move(request),
                   [weak = weak_from_this(), raw, id, seqs = std::move(seqs)](
                       const Status& status, std::uint32_t retry_after_ms) mutable {
                     auto self = weak.lock();
                     if (self) self->OnAckRefused(raw, id, std::move(seqs), status, retry_after_ms);
                   });
}

// A refused Ack frees no window slot: one refused for the connection's request rate is
// sent again once the relay allows, or the subscription would stall on those slots until
// the connection ends. Other refusals (the mailbox is gone or not owned on this
// connection) are left to the next subscription, which delivers the entries again.
void OwnerLink::OnAckRefused(const RelayConnection* conn, const MailboxId& id,
                             std::vector<std::uint64_t> seqs, const Status& status,
                             std::uint32_t retry_after_ms) {
  if (status.code() != Code::kRateLimited || conn_.get() != conn) return;
  auto it = mailboxes_.find(id);
  if (it == mailboxes_.end()) return;
  std::vector<std::uint64_t>& acks = it->second.acks;
  acks.insert(acks.end(), seqs.begin(), seqs.end());
  const auto now = RelayConnection::Clock::now();
  acks_not_before_ = std::max(acks_not_before_, now + std::chrono::milliseconds(retry_after_ms));
  if (!ack_flush_armed_ || ack_timer_.expiry() < acks_not_before_) {
    ArmAckFlush(now + env_->options.ack_interval);
  }
}

void OwnerLink::CreateMailbox(std::string invite, AuthKeyPair key, Callback<MailboxId> done) {
  Result<std::string> invite_bytes = InviteBytes(invite);
  if (!invite_bytes.ok()) return done(invite_bytes.status());
  auto fail = [done](const Status& s) { done(s); };
  if (Unreachable(fail)) return;
  auto shared_key = std::make_shared<AuthKeyPair>(std::move(key));
  WhenOpen(
      [weak = weak_from_this(), bytes = *invite_bytes, shared_key, done] {
        if (auto self = weak.lock()) self->SendCreate(bytes, shared_key, done);
      },
      fail);
}

void OwnerLink::SendCreate(const std::string& invite, const std::shared_ptr<AuthKeyPair>& key,
                           Callback<MailboxId> done) {
  const RelayConnection* raw = conn_.get();
  conn_->Call(MakeCreateMailbox(invite, *key, conn_->hello().server_nonce()),
              [weak = weak_from_this(), raw, key, done](Result<wire::Response> answer) {
                Status status = answer.ok() ? CheckAnswer(*answer, wire::Response::kMailboxCreated)
                                            : answer.status();
                if (!status.ok()) return done(status);
                Result<MailboxId> id = MailboxIdFrom(answer->mailbox_created().mailbox_id());
                if (!id.ok()) return done(id.status());
                if (auto self = weak.lock()) self->Remember(raw, *id, *key);
                done(*id);
              });
}

// A mailbox created here: its key is kept so that it is authenticated again after a
// reconnect (the new connection does not own it otherwise).
void OwnerLink::Remember(const RelayConnection* conn, const MailboxId& id, const AuthKeyPair& key) {
  auto [it, inserted] = mailboxes_.try_emplace(id);
  if (!inserted) return;
  it->second.key = CopyKey(key);
  if (conn_.get() == conn && Usable()) {
    it->second.phase = Phase::kAuthenticated;
  } else if (Usable()) {
    Authenticate(id);
  }
}

void OwnerLink::MailboxRequest(const MailboxId& id, wire::Request request, ResponseCallback done) {
  if (request.has_delete_mailbox()) {
    // Once deleted the mailbox is no longer this link's to authenticate.
    done = [weak = weak_from_this(), id, done = std::move(done)](Result<wire::Response> r) {
      auto self = weak.lock();
      if (self && r.ok()) self->DropMailbox(id, Status::NotFound("mailbox deleted"), false);
      done(std::move(r));
    };
  }
  auto fail = [done](const Status& s) { done(s); };
  if (Unreachable(fail)) return;
  auto it = mailboxes_.find(id);
  if (it == mailboxes_.end()) {
    auto shared = std::make_shared<wire::Request>(std::move(request));
    return WhenOpen(
        [weak = weak_from_this(), shared, done] {
          if (auto self = weak.lock()) self->conn_->Call(std::move(*shared), done);
        },
        fail);
  }
  if (Usable() && it->second.phase >= Phase::kAuthenticated) {
    return conn_->Call(std::move(request), std::move(done));
  }
  it->second.waiting.push_back(Queued{std::move(request), std::move(done)});
  EnsureConnection();
}

}  // namespace tocsin::net
