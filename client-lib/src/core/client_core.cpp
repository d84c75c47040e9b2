#include "core/client_core.h"

#include <asio/post.hpp>
#include <mutex>

#include "core/hex.h"
#include "core/passphrase_access.h"
#include "core/pool_transport.h"

namespace tocsin::core {
namespace {

std::mutex g_factory_mutex;
TransportFactory g_factory;  // GUARDED_BY(g_factory_mutex)

std::unique_ptr<Transport> MakeTransport(asio::io_context& net, const ClientOptions& options,
                                         crypto::Rng& rng) {
  {
    std::lock_guard<std::mutex> lock(g_factory_mutex);
    if (g_factory) return g_factory(net, options, rng);
  }
  return MakePoolTransport(net, options, rng);
}

}  // namespace

store::KdfOptions KdfFor(KdfCost cost) {
  switch (cost) {
    case KdfCost::kModerate:
      return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
    case KdfCost::kMinimum:
      return store::kTestKdfOptions;
    default:
      return {};
  }
}

void ClientCore::SetTransportFactoryForTests(TransportFactory factory) {
  std::lock_guard<std::mutex> lock(g_factory_mutex);
  g_factory = std::move(factory);
}

ClientCore::ClientCore(ClientOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : std::make_shared<SystemClock>()),
      rng_(std::make_unique<RandomRng>(options_.random)),
      worker_io_(std::make_unique<asio::io_context>(1)),
      net_io_(std::make_unique<asio::io_context>(1)) {
  // The relay links measure the relays' clocks against this one (never the system's
  // behind it): a device's offset is that of the clock its times are written in.
  options_.clock = clock_;
  context_.env = Env{clock_.get(), rng_.get()};
  context_.options = options_;
  context_.worker = worker_io_.get();
  context_.dh_cache = &dh_cache_;
}

ClientCore::~ClientCore() {
  Close();
  dispatcher_.reset();  // after Close: WaitEvent callers may still hold it until now
}

Status ClientCore::OpenStore(const std::filesystem::path& dir, const Passphrase& passphrase) {
  store::StoreOptions store_options;
  store_options.kdf = KdfFor(options_.kdf);
  store_options.rng = rng_.get();
  auto store =
      store::DeviceStore::Open(dir, internal::PassphraseAccess::Secret(passphrase), store_options);
  if (!store.ok()) return store.status();
  store_ = std::move(store).value();
  return Status::Ok();
}

Status ClientCore::LoadModules() {
  if (!signal_) {
    auto signal = crypto::SignalContext::Create(*rng_);
    if (!signal.ok()) return signal.status();
    signal_ = std::move(signal).value();
  }
  auto signal_store = store::DeviceSignalStore::Open(*store_);
  if (!signal_store.ok()) return signal_store.status();
  signal_store_ = std::move(signal_store).value();
  auto store_context = crypto::SignalStoreContext::Create(signal_, signal_store_->stores());
  if (!store_context.ok()) return store_context.status();
  store_context_ = std::move(store_context).value();
  context_.store = store_.get();
  context_.signal = signal_.get();
  context_.signal_store = signal_store_.get();
  context_.store_context = store_context_.get();
  identity_public_ = signal_store_->GetIdentityKeyPair().public_key();

  KeyDeps deps{context_.env, signal_.get(), store_.get(), signal_store_.get(), &dh_cache_};
  auto keys = DeviceKeys::Load(deps);
  if (!keys.ok()) return keys.status();
  keys_ = std::move(keys).value();
  auto mailboxes = OwnMailboxes::Load(*store_);
  if (!mailboxes.ok()) return mailboxes.status();
  mailboxes_ = std::move(mailboxes).value();
  auto contacts = ContactBook::Load(*store_, &dh_cache_);
  if (!contacts.ok()) return contacts.status();
  contacts_ = std::move(contacts).value();
  auto groups = groups::GroupBook::Load(*store_);
  if (!groups.ok()) return groups.status();
  group_book_ = std::move(groups).value();
  auto pending = PendingQueue::Load(*store_);
  if (!pending.ok()) return pending.status();
  pending_ = std::move(pending).value();
  seen_ = std::make_unique<SeenIds>(*store_);
  dispatcher_ = std::make_unique<EventDispatcher>();
  auto inbox = Inbox::Load(*store_, context_.env, *dispatcher_);
  if (!inbox.ok()) return inbox.status();
  inbox_ = std::move(inbox).value();
  context_.keys = keys_.get();
  context_.mailboxes = mailboxes_.get();
  context_.contacts = contacts_.get();
  context_.groups = group_book_.get();
  context_.pending = pending_.get();
  context_.seen = seen_.get();
  context_.inbox = inbox_.get();
  return Status::Ok();
}

void ClientCore::StartThreads() {
  if (transport_) return;
  transport_ = MakeTransport(*net_io_, options_, *rng_);
  context_.transport = transport_.get();
  worker_guard_.emplace(worker_io_->get_executor());
  net_guard_.emplace(net_io_->get_executor());
  worker_thread_ = std::thread([this] { worker_io_->run(); });
  net_thread_ = std::thread([this] { net_io_->run(); });
}

Status ClientCore::Start() {
  Outbox::Hooks hooks;
  hooks.on_announced = [this](Batch& batch, const client::OutboxRecord& row) -> Status {
    const client::ContactRecord* contact = contacts_->Find(row.contact_id());
    if (contact == nullptr || !contact->announce()) return Status::Ok();
    client::ContactRecord updated = *contact;
    updated.set_announce(false);
    return contacts_->Stage(batch, updated);
  };
  hooks.on_undelivered = [this](Batch& batch, const client::OutboxRecord& row,
                                const std::string& contact_id) -> Status {
    client::EventRecord event;
    event.set_kind(client::UNDELIVERED);
    event.set_contact_id(contact_id);
    event.set_group_id(row.group_id());
    event.set_message_id(row.message_id());
    // Reported now: the receipt it awaited is no longer of interest.
    if (auto sent = inbox_->FindSent(row.message_id()); sent && sent->awaiting_receipt()) {
      TOCSIN_RETURN_IF_ERROR(inbox_->StageForgetSent(batch, row.message_id()));
    }
    return inbox_->StageEvent(batch, event);
  };
  hooks.current_token = [this](const std::string& contact_id, const std::string& relay,
                               const std::string& mailbox_id) -> std::string {
    const client::ContactRecord* contact = contacts_->Find(contact_id);
    if (contact == nullptr) return {};
    for (const auto& address : contact->addresses()) {
      if (address.relay() == relay && address.mailbox_id() == mailbox_id) return address.token();
    }
    return {};
  };
  OutboxOptions outbox_options;
  outbox_options.retry_min = options_.retry_min;
  outbox_options.retry_max = options_.retry_max;
  outbox_options.idle_check = options_.maintenance_interval;
  auto outbox = Outbox::Load(*store_, context_.env, *transport_, *worker_io_, outbox_options,
                             std::move(hooks));
  if (!outbox.ok()) return outbox.status();
  outbox_ = std::move(outbox).value();
  context_.outbox = outbox_.get();
  pairwise_ = std::make_unique<PairwiseSender>(context_);
  receiver_ = std::make_unique<Receiver>(context_, *pairwise_);
  group_service_ = std::make_unique<groups::GroupService>(context_, *pairwise_);
  receiver_->set_groups(group_service_.get());
  group_service_->set_receiver(receiver_.get());
  context_.announce = [this](const std::string& id) {
    asio::co_spawn(*worker_io_, Announce(id), asio::detached);
  };
  context_.distribute = [this](const std::string& group, const std::string& contact) {
    asio::co_spawn(*worker_io_, group_service_->Distribute(group, {contact}), asio::detached);
  };
  transport_->SetDeliveryHandler([this](net::IncomingDelivery delivery) {
    asio::post(*worker_io_, [this, delivery = std::move(delivery)]() mutable {
      receiver_->Handle(std::move(delivery));
    });
  });
  transport_->SetStateHandler([this](const RelayAddress& relay, net::LinkState state, Status s) {
    asio::post(*worker_io_, [this, relay, state, s] { OnRelayState(relay, state, s); });
  });
  asio::post(*worker_io_, [this] {
    if (outbox_) outbox_->Start();
    for (const auto& mailbox : mailboxes_->all()) {
      const std::uint32_t index = mailbox.record.index();
      transport_->AddMailbox(mailbox.relay, mailbox.id(), *mailbox.auth, [this, index](Status s) {
        if (!s.ok()) return;
        asio::post(*worker_io_, [this, index] {
          asio::co_spawn(*worker_io_, MailboxUpkeep(index), asio::detached);
        });
      });
    }
    ScheduleMaintenance();
  });
  started_ = true;
  return Status::Ok();
}

Result<std::unique_ptr<ClientCore>> ClientCore::Open(const std::filesystem::path& dir,
                                                     const Passphrase& passphrase,
                                                     ClientOptions options) {
  std::unique_ptr<ClientCore> core(new ClientCore(std::move(options)));
  TOCSIN_RETURN_IF_ERROR(core->OpenStore(dir, passphrase));
  TOCSIN_RETURN_IF_ERROR(core->LoadModules());
  core->StartThreads();
  if (!core->transport_) return Status::Internal("no relay transport available");
  TOCSIN_RETURN_IF_ERROR(core->Start());
  return core;
}

Status ClientCore::RunStatus(std::function<Awaitable<Status>()> fn) {
  auto result = Run<bool>([fn = std::move(fn)]() -> Awaitable<Result<bool>> {
    Status status = co_await fn();
    if (!status.ok()) co_return status;
    co_return true;
  });
  return result.ok() ? Status::Ok() : result.status();
}

std::vector<RelayInfo> ClientCore::RelayInfos() const {
  std::vector<RelayInfo> out;
  for (const auto& mailbox : mailboxes_->all()) {
    RelayInfo info;
    info.address = mailbox.record.relay();
    const net::LinkState state = transport_->State(mailbox.relay);
    info.state = state == net::LinkState::kConnected ? LinkState::kConnected
                 : state == net::LinkState::kFailing ? LinkState::kFailing
                                                     : LinkState::kConnecting;
    if (auto it = relay_states_.find(info.address); it != relay_states_.end()) {
      info.last_error = it->second.second;
    }
    out.push_back(std::move(info));
  }
  return out;
}

void ClientCore::StopEverything() {
  if (dispatcher_) dispatcher_->Stop();
  if (worker_thread_.joinable()) {
    asio::post(*worker_io_, [this] {
      if (outbox_) outbox_->Stop();
      if (maintenance_timer_) maintenance_timer_->cancel();
    });
    worker_guard_.reset();
    worker_io_->stop();
    worker_thread_.join();
  }
  if (net_thread_.joinable()) {
    net_guard_.reset();
    net_io_->stop();
    net_thread_.join();
  }
  // The links' pending callbacks post to the stopped worker; its destruction (in Close,
  // after the timers of the modules are gone) drops them.
  transport_.reset();
  context_.transport = nullptr;
}

void ClientCore::Close() {
  {
    std::unique_lock<std::shared_mutex> lock(lifecycle_);
    if (closed_.exchange(true)) return;
  }
  StopEverything();
  group_service_.reset();
  receiver_.reset();
  pairwise_.reset();
  outbox_.reset();
  inbox_.reset();
  pending_.reset();
  seen_.reset();
  group_book_.reset();
  contacts_.reset();
  mailboxes_.reset();
  keys_.reset();
  store_context_.reset();
  signal_store_.reset();
  store_.reset();
  maintenance_timer_.reset();
  // The network context first: handlers it still holds may own the worker's coroutines
  // (a callback waiting on a relay answer), and destroying one of those posts to the
  // worker. The worker, stopped but alive, queues that and drops it with the rest.
  net_io_.reset();
  worker_io_.reset();
}

}  // namespace tocsin::core
