#include "client_test_util.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "core/hex.h"
#include "core/inbox.h"
#include "core/pool_transport.h"

namespace tocsin::testing {

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

TempFolder::TempFolder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tocsin-client-XXXXXX").string();
  path_ = ::mkdtemp(pattern.data());
}

TempFolder::~TempFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::unique_ptr<RelayProcess> StartRelay(ConfigOverrides overrides) {
  auto relay = std::make_unique<RelayProcess>(std::move(overrides));
  Check(relay->init_status());
  Check(relay->Start());
  return relay;
}

std::string Invite(const RelayProcess& relay, int uses) {
  std::string invite;
  // The admin socket may not answer in the first moments of a relay's life.
  REQUIRE(WaitUntil([&] {
    invite = relay.CreateInvite(uses, "7d");
    return !invite.empty();
  }));
  return invite;
}

RelaySpec SpecOf(const RelayProcess& relay) {
  return RelaySpec{relay.address().ToString(), Invite(relay, 100)};
}

Passphrase TestPassphrase(std::string_view text) { return Take(Passphrase::FromString(text)); }

std::unique_ptr<Client> CreateClient(const TempFolder& folder, const std::string& name,
                                     const RelayProcess& relay) {
  return Take(
      Client::Create(folder.path() / name, TestPassphrase(), {SpecOf(relay)}, FastOptions()));
}

ClientOptions FastOptions() {
  ClientOptions options;
  options.kdf = KdfCost::kMinimum;
  options.retry_min = 200ms;
  options.retry_max = 2000ms;
  options.maintenance_interval = 200ms;
  options.request_timeout = 10000ms;
  options.reconnect_min = 100ms;
  options.reconnect_max = 1000ms;
  return options;
}

// ---------------------------------------------------------------- EventLog

EventLog::EventLog(Client& client, bool done) {
  client.SetEventHandler([state = state_, &client, done](const Event& event) {
    {
      std::lock_guard<std::mutex> lock(state->mutex);
      state->events.push_back(event);
      state->changed.notify_all();
    }
    if (done && event.id != 0) (void)client.Done(event.id);
  });
}

std::vector<Event> EventLog::All() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->events;
}

std::vector<Event> EventLog::Messages() const {
  std::vector<Event> out;
  for (auto& e : All()) {
    if (e.kind == EventKind::kMessage) out.push_back(e);
  }
  return out;
}

std::vector<std::string> EventLog::Texts() const {
  std::vector<std::string> out;
  for (auto& e : Messages()) {
    if (e.text) out.push_back(*e.text);
  }
  return out;
}

std::size_t EventLog::Count(EventKind kind) const {
  std::size_t n = 0;
  for (auto& e : All()) n += e.kind == kind ? 1 : 0;
  return n;
}

bool EventLog::WaitFor(const std::function<bool(const Event&)>& match,
                       std::chrono::milliseconds limit) const {
  std::unique_lock<std::mutex> lock(state_->mutex);
  return state_->changed.wait_for(lock, limit, [&] {
    for (const auto& e : state_->events) {
      if (match(e)) return true;
    }
    return false;
  });
}

bool EventLog::WaitForText(const std::string& text, std::chrono::milliseconds limit) const {
  return WaitFor([&](const Event& e) { return e.text && *e.text == text; }, limit);
}

std::optional<Event> EventLog::Find(const std::function<bool(const Event&)>& match) const {
  for (auto& e : All()) {
    if (match(e)) return e;
  }
  return std::nullopt;
}

Pair Introduce(Client& a, EventLog& a_log, Client& b, EventLog& b_log) {
  Pair pair;
  pair.b_at_a = Take(a.AddContact(Take(b.MyCard("B")), ""));
  Take(a.SendText(pair.b_at_a, "hello from A"));
  REQUIRE(b_log.WaitForText("hello from A"));
  // B may have met others before: the request is the one from A's identity.
  const std::string a_identity = a.IdentityKey();
  auto request = b_log.Find([&](const Event& e) {
    if (e.kind != EventKind::kContactRequest) return false;
    auto contact = b.GetContact(e.contact);
    return contact.ok() && contact->identity_key == a_identity;
  });
  REQUIRE(request);
  pair.a_at_b = request->contact;
  Take(b.SendText(pair.a_at_b, "hello from B"));
  REQUIRE(a_log.WaitForText("hello from B"));
  return pair;
}

Pair Connect(Client& a, EventLog& a_log, Client& b, EventLog& b_log, const std::string& tag) {
  Pair pair;
  pair.b_at_a = Take(a.AddContact(Take(b.MyCard(tag))));
  Take(a.SendText(pair.b_at_a, "hi from A " + tag));
  REQUIRE(b_log.WaitForText("hi from A " + tag));
  pair.a_at_b = b_log.Find([&](const Event& e) { return e.text == "hi from A " + tag; })->contact;
  Take(b.SendText(pair.a_at_b, "hi from B " + tag));
  REQUIRE(a_log.WaitForText("hi from B " + tag));
  return pair;
}

std::size_t OutboxSize(Client& client) {
  return OnWorker<std::size_t>(client,
                               [&client] { return client.core().context().outbox->size(); });
}

bool WaitOutboxEmpty(Client& client, std::chrono::milliseconds limit) {
  return WaitUntil([&] { return OutboxSize(client) == 0; }, limit);
}

core::ReceiverStats Stats(Client& client) {
  return OnWorker<core::ReceiverStats>(client,
                                       [&client] { return client.core().receiver().stats(); });
}

std::string RelayMetrics(const RelayProcess& relay) {
  return HttpGet(relay.metrics_port(), "/metrics");
}

std::size_t AwaitingReceipts(Client& client) {
  return OnWorker<std::size_t>(
      client, [&client] { return client.core().context().inbox->Unconfirmed(UINT64_MAX).size(); });
}

std::size_t DhCacheSize(Client& client) {
  return OnWorker<std::size_t>(client,
                               [&client] { return client.core().context().dh_cache->size(); });
}

bool DhCacheHolds(Client& client, const std::string& key) {
  REQUIRE(key.size() == crypto::kX25519Size);
  return OnWorker<bool>(client, [&client, key] {
    return client.core().context().dh_cache->Contains(
        core::Bytes(key).first<crypto::kX25519Size>());
  });
}

bool FolderContains(const std::filesystem::path& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.find(needle) != std::string::npos) return true;
  }
  return false;
}

// ---------------------------------------------------------------- HookedTransport

HookedTransport::HookedTransport(std::unique_ptr<core::Transport> real) : real_(std::move(real)) {}

void HookedTransport::Hold(std::function<bool(const net::IncomingDelivery&)> hold) {
  std::lock_guard<std::mutex> lock(mutex_);
  hold_ = std::move(hold);
}

void HookedTransport::Release() {
  std::vector<net::IncomingDelivery> held;
  std::function<void(net::IncomingDelivery)> handler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hold_ = nullptr;
    held.swap(held_);
    handler = handler_;
  }
  for (auto& delivery : held) handler(std::move(delivery));
}

void HookedTransport::ReleaseWhere(const std::function<bool(const net::IncomingDelivery&)>& which) {
  std::vector<net::IncomingDelivery> released;
  std::function<void(net::IncomingDelivery)> handler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<net::IncomingDelivery> kept;
    for (auto& delivery : held_) (which(delivery) ? released : kept).push_back(std::move(delivery));
    held_.swap(kept);
    handler = handler_;
  }
  for (auto& delivery : released) handler(std::move(delivery));
}

std::size_t HookedTransport::held() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_.size();
}

std::vector<HookedTransport::FanOut> HookedTransport::fan_outs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fan_outs_;
}

std::vector<std::uint32_t> HookedTransport::ttls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ttls_;
}

void HookedTransport::SetDeliveryHandler(std::function<void(net::IncomingDelivery)> handler) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(handler);
  }
  real_->SetDeliveryHandler([this](net::IncomingDelivery delivery) {
    std::function<void(net::IncomingDelivery)> next;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (hold_ && hold_(delivery)) {
        held_.push_back(std::move(delivery));
        return;
      }
      next = handler_;
    }
    next(std::move(delivery));
  });
}

void HookedTransport::SetStateHandler(
    std::function<void(const RelayAddress&, net::LinkState, Status)> handler) {
  real_->SetStateHandler(std::move(handler));
}
void HookedTransport::AddMailbox(const RelayAddress& relay, const net::MailboxId& mailbox,
                                 const net::AuthKeyPair& key, net::StatusCallback done) {
  real_->AddMailbox(relay, mailbox, key, std::move(done));
}
void HookedTransport::Ack(const RelayAddress& relay, const net::MailboxId& mailbox,
                          std::uint64_t seq) {
  real_->Ack(relay, mailbox, seq);
}
void HookedTransport::CreateMailbox(const RelayAddress& relay, const std::string& invite,
                                    const net::AuthKeyPair& key,
                                    net::Callback<net::MailboxId> done) {
  real_->CreateMailbox(relay, invite, key, std::move(done));
}
void HookedTransport::SetTokens(const RelayAddress& relay, const net::MailboxId& mailbox,
                                std::vector<wire::TokenEntry> tokens,
                                net::Callback<std::uint32_t> done) {
  bool fail = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fail = fail_set_tokens_ && fail_set_tokens_(relay);
    if (!fail && hold_set_tokens_ && hold_set_tokens_(relay)) {
      held_set_tokens_.push_back({relay, mailbox, std::move(tokens), std::move(done)});
      return;
    }
  }
  if (fail) {
    done(Status::Unavailable("the relay is unreachable (test)"));
    return;
  }
  real_->SetTokens(relay, mailbox, std::move(tokens), std::move(done));
}

void HookedTransport::HoldSetTokens(std::function<bool(const RelayAddress&)> which) {
  std::lock_guard<std::mutex> lock(mutex_);
  hold_set_tokens_ = std::move(which);
}

void HookedTransport::ReleaseSetTokens() {
  std::vector<HeldSetTokens> held;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hold_set_tokens_ = nullptr;
    held.swap(held_set_tokens_);
  }
  for (auto& call : held) {
    real_->SetTokens(call.relay, call.mailbox, std::move(call.tokens), std::move(call.done));
  }
}

std::size_t HookedTransport::held_set_tokens() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_set_tokens_.size();
}

void HookedTransport::FailSetTokens(std::function<bool(const RelayAddress&)> which) {
  std::lock_guard<std::mutex> lock(mutex_);
  fail_set_tokens_ = std::move(which);
}
void HookedTransport::RotateToken(const RelayAddress& relay, const net::MailboxId& mailbox,
                                  wire::RotateToken request, net::Callback<std::uint64_t> done) {
  real_->RotateToken(relay, mailbox, std::move(request), std::move(done));
}
void HookedTransport::PutPrekeys(const RelayAddress& relay, const net::MailboxId& mailbox,
                                 wire::PutPrekeys request, net::Callback<std::uint32_t> done) {
  real_->PutPrekeys(relay, mailbox, std::move(request), std::move(done));
}
void HookedTransport::Send(const RelayAddress& relay, const net::MailboxId& mailbox,
                           const net::Token& token, std::string envelope, std::uint32_t ttl_seconds,
                           net::StatusCallback done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ttls_.push_back(ttl_seconds);
  }
  real_->Send(relay, mailbox, token, std::move(envelope), ttl_seconds, std::move(done));
}
void HookedTransport::SendToMany(const RelayAddress& relay, std::string blob,
                                 std::uint32_t ttl_seconds, std::vector<net::OutgoingView> views,
                                 net::Callback<std::vector<Code>> done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fan_outs_.push_back(FanOut{relay, blob, views});
    ttls_.push_back(ttl_seconds);
  }
  real_->SendToMany(relay, std::move(blob), ttl_seconds, std::move(views), std::move(done));
}
void HookedTransport::GetPrekeyBundle(const RelayAddress& relay, const net::MailboxId& mailbox,
                                      const net::Token& token,
                                      net::Callback<wire::PrekeyBundle> done) {
  real_->GetPrekeyBundle(relay, mailbox, token, std::move(done));
}
net::LinkState HookedTransport::State(const RelayAddress& relay) const {
  return real_->State(relay);
}
std::optional<wire::Limits> HookedTransport::Limits(const RelayAddress& relay) const {
  return real_->Limits(relay);
}

std::optional<std::int64_t> HookedTransport::ClockOffsetMs() const {
  return real_->ClockOffsetMs();
}

// ---------------------------------------------------------------- HookedTransports

struct HookedTransports::State {
  std::mutex mutex;
  std::string next = "unnamed";
  std::map<std::string, HookedTransport*> by_label;  // owned by their clients
};

HookedTransports::HookedTransports() : state_(std::make_shared<State>()) {
  core::ClientCore::SetTransportFactoryForTests(
      [state = state_](asio::io_context& net, const ClientOptions& options, crypto::Rng& rng) {
        auto transport =
            std::make_unique<HookedTransport>(core::MakePoolTransport(net, options, rng));
        std::lock_guard<std::mutex> lock(state->mutex);
        state->by_label[state->next] = transport.get();
        return std::unique_ptr<core::Transport>(std::move(transport));
      });
}

HookedTransports::~HookedTransports() { core::ClientCore::SetTransportFactoryForTests(nullptr); }

void HookedTransports::Next(const std::string& label) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->next = label;
}

HookedTransport& HookedTransports::operator[](const std::string& label) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  REQUIRE(state_->by_label.count(label) == 1);
  return *state_->by_label[label];
}

}  // namespace tocsin::testing
