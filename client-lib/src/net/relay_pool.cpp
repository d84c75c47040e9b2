// RelayPool: the public face of the relay links. Every method posts its work to the
// pool's io_context, where the links live (owner_link.h, send_link.h); the getters read
// the links' board under its lock.
#include "net/relay_pool.h"

#include <map>
#include <mutex>

#include "net/link_env.h"
#include "net/mailbox_auth.h"
#include "net/owner_link.h"
#include "net/relay_errors.h"
#include "net/send_link.h"

namespace tocsin::net {
namespace {

Status PoolClosed() { return Status::Unavailable("relay pool closed"); }

// Turns a relay answer into the typed result `pick` takes out of it.
template <typename T, typename Pick>
RelayConnection::ResponseCallback Typed(wire::Response::BodyCase body, Callback<T> done,
                                        Pick pick) {
  return [body, done = std::move(done), pick](Result<wire::Response> answer) {
    Status status = answer.ok() ? CheckAnswer(*answer, body) : answer.status();
    if (!status.ok()) return done(status);
    done(pick(*answer));
  };
}

RelayConnection::ResponseCallback OnlyStatus(StatusCallback done, wire::Response::BodyCase body) {
  return [body, done = std::move(done)](Result<wire::Response> answer) {
    done(answer.ok() ? CheckAnswer(*answer, body) : answer.status());
  };
}

// The links of one pool, shared with the work posted for them: a post that runs after
// the pool is gone finds it closed.
class PoolCore {
 public:
  explicit PoolCore(RelayPoolOptions options)
      : env_(std::make_shared<LinkEnv>(*options.io, std::move(options))) {
    Result<std::unique_ptr<ClientTls>> tls = MakeClientTls();
    if (tls.ok()) env_->tls = std::move(*tls);
  }

  LinkEnv& env() { return *env_; }

  OwnerLink& Owner(const RelayAddress& relay) {
    auto& link = owners_[relay.ToString()];
    if (!link) link = std::make_shared<OwnerLink>(env_, relay);
    return *link;
  }
  OwnerLink* FindOwner(const RelayAddress& relay) {
    auto it = owners_.find(relay.ToString());
    return it == owners_.end() ? nullptr : it->second.get();
  }
  SendLink& Sender(const RelayAddress& relay) {
    auto& link = senders_[relay.ToString()];
    if (!link) link = std::make_shared<SendLink>(env_, relay);
    return *link;
  }

  void Shutdown() {
    if (env_->closed) return;
    env_->closed = true;
    env_->on_delivery = nullptr;
    env_->on_state = nullptr;
    env_->on_authenticated = nullptr;
    auto owners = std::move(owners_);
    auto senders = std::move(senders_);
    for (auto& [name, link] : owners) link->Shutdown(PoolClosed());
    for (auto& [name, link] : senders) link->Shutdown(PoolClosed());
    std::map<std::uint64_t, std::function<void()>> unrun;
    {
      std::lock_guard lock(posted_mu_);
      unrun.swap(posted_);
    }
    for (auto& [ticket, gone] : unrun) gone();
  }

  // A call posted to the io thread is registered until it runs, so that Shutdown can
  // answer it even when the io thread never gets to it (a pool destroyed after its
  // io_context stopped).
  std::uint64_t Register(std::function<void()> gone) {
    std::lock_guard lock(posted_mu_);
    posted_.emplace(next_ticket_, std::move(gone));
    return next_ticket_++;
  }
  // True when the call is still to run; false when Shutdown answered it already.
  bool Claim(std::uint64_t ticket) {
    std::lock_guard lock(posted_mu_);
    return posted_.erase(ticket) == 1;
  }

 private:
  std::shared_ptr<LinkEnv> env_;
  std::mutex posted_mu_;
  std::map<std::uint64_t, std::function<void()>> posted_;  // GUARDED_BY(posted_mu_)
  std::uint64_t next_ticket_ = 1;                          // GUARDED_BY(posted_mu_)
  std::map<std::string, std::shared_ptr<OwnerLink>> owners_;
  std::map<std::string, std::shared_ptr<SendLink>> senders_;
};

// Runs `work` on the io thread with the pool; or `gone`, once, when the pool is closed
// first.
template <typename Work>
void Post(const std::shared_ptr<PoolCore>& core, Work work, std::function<void()> gone) {
  const std::uint64_t ticket = core->Register(std::move(gone));
  asio::post(core->env().io,
             [weak = std::weak_ptr<PoolCore>(core), ticket, work = std::move(work)]() mutable {
               auto pool = weak.lock();
               if (!pool || !pool->Claim(ticket)) return;  // Shutdown answered it
               work(*pool);
             });
}

}  // namespace

class RelayPool::Impl {
 public:
  std::shared_ptr<PoolCore> core;
};

RelayPool::RelayPool(RelayPoolOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->core = std::make_shared<PoolCore>(std::move(options));
}

RelayPool::~RelayPool() { impl_->core->Shutdown(); }

void RelayPool::SetDeliveryHandler(std::function<void(IncomingDelivery)> handler) {
  Post(
      impl_->core, [h = std::move(handler)](PoolCore& p) { p.env().on_delivery = h; }, [] {});
}

void RelayPool::SetStateHandler(
    std::function<void(const RelayAddress&, LinkState, Status)> handler) {
  Post(
      impl_->core, [h = std::move(handler)](PoolCore& p) { p.env().on_state = h; }, [] {});
}

void RelayPool::SetAuthenticatedHandler(
    std::function<void(const RelayAddress&, const wire::Authenticated&)> handler) {
  Post(
      impl_->core, [h = std::move(handler)](PoolCore& p) { p.env().on_authenticated = h; }, [] {});
}

void RelayPool::AddMailbox(const RelayAddress& relay, const MailboxId& mailbox,
                           const AuthKeyPair& key, StatusCallback done) {
  auto shared_key = std::make_shared<AuthKeyPair>(CopyKey(key));
  Post(
      impl_->core,
      [relay, mailbox, shared_key, done](PoolCore& p) {
        p.Owner(relay).AddMailbox(mailbox, std::move(*shared_key), done);
      },
      [done] { done(PoolClosed()); });
}

void RelayPool::RemoveMailbox(const RelayAddress& relay, const MailboxId& mailbox) {
  Post(
      impl_->core,
      [relay, mailbox](PoolCore& p) {
        if (OwnerLink* link = p.FindOwner(relay)) link->RemoveMailbox(mailbox);
      },
      [] {});
}

void RelayPool::Ack(const RelayAddress& relay, const MailboxId& mailbox, std::uint64_t seq) {
  Post(
      impl_->core,
      [relay, mailbox, seq](PoolCore& p) {
        if (OwnerLink* link = p.FindOwner(relay)) link->Ack(mailbox, seq);
      },
      [] {});
}

void RelayPool::CreateMailbox(const RelayAddress& relay, const std::string& invite,
                              const AuthKeyPair& key, Callback<MailboxId> done) {
  auto shared_key = std::make_shared<AuthKeyPair>(CopyKey(key));
  Post(
      impl_->core,
      [relay, invite, shared_key, done](PoolCore& p) {
        p.Owner(relay).CreateMailbox(invite, std::move(*shared_key), done);
      },
      [done] { done(PoolClosed()); });
}

void RelayPool::SetTokens(const RelayAddress& relay, const MailboxId& mailbox,
                          std::vector<wire::TokenEntry> tokens, Callback<std::uint32_t> done) {
  wire::Request request;
  request.mutable_set_tokens()->set_mailbox_id(std::string(AsBytes(mailbox)));
  for (wire::TokenEntry& t : tokens) *request.mutable_set_tokens()->add_tokens() = std::move(t);
  auto typed = Typed<std::uint32_t>(wire::Response::kTokensSet, done,
                                    [](const wire::Response& r) { return r.tokens_set().count(); });
  Post(
      impl_->core,
      [relay, mailbox, request, typed](PoolCore& p) {
        p.Owner(relay).MailboxRequest(mailbox, request, typed);
      },
      [done] { done(PoolClosed()); });
}

void RelayPool::RotateToken(const RelayAddress& relay, const MailboxId& mailbox,
                            wire::RotateToken rotate, Callback<std::uint64_t> done) {
  wire::Request request;
  *request.mutable_rotate_token() = std::move(rotate);
  request.mutable_rotate_token()->set_mailbox_id(std::string(AsBytes(mailbox)));
  auto typed = Typed<std::uint64_t>(
      wire::Response::kTokenRotated, done,
      [](const wire::Response& r) { return r.token_rotated().old_valid_until_ms(); });
  Post(
      impl_->core,
      [relay, mailbox, request, typed](PoolCore& p) {
        p.Owner(relay).MailboxRequest(mailbox, request, typed);
      },
      [done] { done(PoolClosed()); });
}

void RelayPool::PutPrekeys(const RelayAddress& relay, const MailboxId& mailbox,
                           wire::PutPrekeys prekeys, Callback<std::uint32_t> done) {
  wire::Request request;
  *request.mutable_put_prekeys() = std::move(prekeys);
  request.mutable_put_prekeys()->set_mailbox_id(std::string(AsBytes(mailbox)));
  auto typed = Typed<std::uint32_t>(
      wire::Response::kPrekeysStored, done,
      [](const wire::Response& r) { return r.prekeys_stored().one_time_prekeys_left(); });
  Post(
      impl_->core,
      [relay, mailbox, request, typed](PoolCore& p) {
        p.Owner(relay).MailboxRequest(mailbox, request, typed);
      },
      [done] { done(PoolClosed()); });
}

void RelayPool::DeleteMailbox(const RelayAddress& relay, const MailboxId& mailbox,
                              StatusCallback done) {
  wire::Request request;
  request.mutable_delete_mailbox()->set_mailbox_id(std::string(AsBytes(mailbox)));
  auto answer = OnlyStatus(done, wire::Response::kMailboxDeleted);
  Post(
      impl_->core,
      [relay, mailbox, request, answer](PoolCore& p) {
        p.Owner(relay).MailboxRequest(mailbox, request, answer);
      },
      [done] { done(PoolClosed()); });
}

void RelayPool::Send(const RelayAddress& relay, const MailboxId& mailbox, const Token& token,
                     std::string envelope, std::uint32_t ttl_seconds, StatusCallback done) {
  auto request = std::make_shared<wire::Request>();
  wire::Send* send = request->mutable_send();
  send->set_mailbox_id(std::string(AsBytes(mailbox)));
  send->set_token(std::string(AsBytes(token)));
  send->set_envelope(std::move(envelope));
  send->set_ttl_seconds(ttl_seconds);
  auto answer = OnlyStatus(done, wire::Response::kStored);
  Post(
      impl_->core,
      [relay, request, answer](PoolCore& p) { p.Sender(relay).Call(std::move(*request), answer); },
      [done] { done(PoolClosed()); });
}

void RelayPool::SendToMany(const RelayAddress& relay, std::string blob, std::uint32_t ttl_seconds,
                           std::vector<OutgoingView> views, Callback<std::vector<Code>> done) {
  auto blob_ptr = std::make_shared<std::string>(std::move(blob));
  auto views_ptr = std::make_shared<std::vector<OutgoingView>>(std::move(views));
  Post(
      impl_->core,
      [relay, blob_ptr, ttl_seconds, views_ptr, done](PoolCore& p) {
        p.Sender(relay).SendToMany(std::move(*blob_ptr), ttl_seconds, std::move(*views_ptr), done);
      },
      [done] { done(PoolClosed()); });
}

void RelayPool::GetPrekeyBundle(const RelayAddress& relay, const MailboxId& mailbox,
                                const Token& token, Callback<wire::PrekeyBundle> done) {
  wire::Request request;
  request.mutable_get_prekey_bundle()->set_mailbox_id(std::string(AsBytes(mailbox)));
  request.mutable_get_prekey_bundle()->set_token(std::string(AsBytes(token)));
  auto typed = Typed<wire::PrekeyBundle>(wire::Response::kPrekeyBundle, done,
                                         [](const wire::Response& r) { return r.prekey_bundle(); });
  Post(
      impl_->core, [relay, request, typed](PoolCore& p) { p.Sender(relay).Call(request, typed); },
      [done] { done(PoolClosed()); });
}

LinkState RelayPool::State(const RelayAddress& relay) const {
  return impl_->core->env().board.Get(relay).state;
}

std::optional<wire::Limits> RelayPool::Limits(const RelayAddress& relay) const {
  return impl_->core->env().board.Get(relay).limits;
}

std::int64_t RelayPool::ClockSkewMs(const RelayAddress& relay) const {
  return impl_->core->env().board.Get(relay).clock_skew_ms;
}

std::optional<std::int64_t> RelayPool::ClockOffsetMs() const {
  return impl_->core->env().board.MedianSkew();
}

}  // namespace tocsin::net
