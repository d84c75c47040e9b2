// Client benchmark (docs/design.md, "Performance budget"): one group alert to N members, end
// to end, everything on this machine.
//
//  - the sender is a real tocsin::Client (encrypted RocksDB store, RelayPool over TLS):
//    one sender-key encryption, SealV2 for every member on 2 threads with the static DH
//    cache, the outbox row committed with fsync, one PutBlob + SendViews;
//  - the relay is the real tocsin-relay with fsync durability;
//  - each of the N receivers has its own TLS owner connection (one thread runs them
//    all) and its own keys and sender-key state in memory, and opens and decrypts with
//    the real code (OpenV2, libsignal's group_cipher) on 2 decrypt threads.
// Reported: time from the send call to the last receiver's decrypt, medians of the
// alerts, and the steps before it.
//
// Usage: tocsin_client_bench [N...]   (default 1000 10000; TOCSIN_BENCH_ALERTS, default 5)
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <thread>

#include <map>
#include "core/client_core.h"
#include "core/hex.h"
#include "crypto/sealed_sender.h"
#include "crypto/signal_group.h"
#include "crypto/signal_store.h"
#include "groups/group_book.h"
#include "load_common.h"
#include "relay_bench_conn.h"
#include "relay_process.h"
#include "test_client.h"
#include "tocsin/alert.pb.h"
#include "tocsin/client.h"

namespace tocsin::bench {
namespace {

void Fail(const std::string& what) {
  std::cerr << "client bench: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(Result<T> result, const char* what) {
  if (!result.ok()) Fail(std::string(what) + ": " + result.status().ToString());
  return std::move(result).value();
}

wire::Request Hello(wire::ConnectionKind kind) {
  wire::Request r;
  r.mutable_hello()->set_version(1);
  r.mutable_hello()->set_kind(kind);
  return r;
}

// A receiver's libsignal state in memory: only sender keys are used on this path. The
// identity key pair is shared (group decryption never reads it): 10,000 identity keys in
// sodium_malloc'd memory would pass the kernel's limit on memory mappings.
class ReceiverStore final : public crypto::IdentityKeyStore,
                            public crypto::SessionStore,
                            public crypto::PreKeyStore,
                            public crypto::SignedPreKeyStore,
                            public crypto::SenderKeyStore {
 public:
  explicit ReceiverStore(const crypto::X25519KeyPair& identity) : identity_(identity) {}
  crypto::SignalStores stores() { return {this, this, this, this, this}; }

  const crypto::X25519KeyPair& GetIdentityKeyPair() override { return identity_; }
  std::uint32_t GetLocalRegistrationId() override { return 1; }
  Result<bool> SaveIdentity(const crypto::Address&, crypto::PublicKeyView) override { return true; }
  Status ClearIdentity(const crypto::Address&) override { return Status::Ok(); }
  Result<bool> IsTrustedIdentity(const crypto::Address&, crypto::PublicKeyView) override {
    return true;
  }
  Result<std::optional<crypto::Record>> LoadSession(const crypto::Address&) override {
    return std::optional<crypto::Record>();
  }
  Status StoreSession(const crypto::Address&, std::span<const std::uint8_t>) override {
    return Status::Ok();
  }
  Result<bool> ContainsSession(const crypto::Address&) override { return false; }
  Result<std::vector<std::int32_t>> GetSubDeviceSessions(std::string_view) override {
    return std::vector<std::int32_t>{};
  }
  Result<bool> DeleteSession(const crypto::Address&) override { return false; }
  Result<int> DeleteAllSessions(std::string_view) override { return 0; }
  Result<std::optional<crypto::Record>> LoadPreKey(std::uint32_t) override {
    return std::optional<crypto::Record>();
  }
  Status StorePreKey(std::uint32_t, std::span<const std::uint8_t>) override { return Status::Ok(); }
  Result<bool> ContainsPreKey(std::uint32_t) override { return false; }
  Status RemovePreKey(std::uint32_t) override { return Status::Ok(); }
  Result<std::optional<crypto::Record>> LoadSignedPreKey(std::uint32_t) override {
    return std::optional<crypto::Record>();
  }
  Status StoreSignedPreKey(std::uint32_t, std::span<const std::uint8_t>) override {
    return Status::Ok();
  }
  Result<bool> ContainsSignedPreKey(std::uint32_t) override { return false; }
  Status RemoveSignedPreKey(std::uint32_t) override { return Status::Ok(); }
  Status StoreSenderKey(const crypto::SenderKeyName& name,
                        std::span<const std::uint8_t> record) override {
    sender_keys_[name].assign(record.begin(), record.end());
    return Status::Ok();
  }
  Result<std::optional<crypto::Record>> LoadSenderKey(const crypto::SenderKeyName& name) override {
    auto it = sender_keys_.find(name);
    if (it == sender_keys_.end()) return std::optional<crypto::Record>();
    return std::optional<crypto::Record>(it->second);
  }

 private:
  const crypto::X25519KeyPair& identity_;
  std::map<crypto::SenderKeyName, crypto::Record> sender_keys_;
};

// One receiving device: a mailbox, its envelope key, its sender-key state in memory.
struct Receiver {
  std::string mailbox;
  std::string token;
  std::optional<crypto::X25519KeyPair> envelope;
  std::unique_ptr<ReceiverStore> store;
  std::unique_ptr<crypto::SignalStoreContext> signal;
  std::unique_ptr<BenchConn> conn;
};

struct Work {
  std::size_t receiver = 0;
  std::string blob;
  std::string view;
};

// Decrypts on its own thread with its own SignalContext (libsignal serialises every
// operation of a context under one lock).
class DecryptThread {
 public:
  explicit DecryptThread(crypto::Rng& rng)
      : context_(Must(crypto::SignalContext::Create(rng), "signal context")) {}
  std::shared_ptr<crypto::SignalContext> context() { return context_; }
  void Start(std::vector<Receiver>* receivers, std::function<void()> on_decrypted) {
    receivers_ = receivers;
    on_decrypted_ = std::move(on_decrypted);
    thread_ = std::thread([this] { Run(); });
  }
  void Push(Work work) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(work));
    ready_.notify_one();
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      ready_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }
  std::string group_id;
  crypto::Address sender{"sender", 1};
  std::string sender_identity;

 private:
  void Run() {
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      std::deque<Work> batch;
      batch.swap(queue_);
      lock.unlock();
      for (auto& work : batch) Decrypt(work);
    }
  }
  void Decrypt(const Work& work) {
    Receiver& r = (*receivers_)[work.receiver];
    const crypto::X25519KeyPair* keys[] = {&*r.envelope};
    auto opened = crypto::OpenV2(keys, core::Bytes(work.blob), core::Bytes(work.view));
    if (!opened.ok()) Fail("open: " + opened.status().ToString());
    envelope::SealedContent content;
    if (!content.ParseFromArray(opened->content.data(), static_cast<int>(opened->content.size())) ||
        content.sender_identity_key() != core::ToString(opened->sender)) {
      Fail("sealed content");
    }
    auto cipher =
        crypto::GroupCipher::Create(*r.signal, crypto::SenderKeyName{content.group_id(), sender});
    auto plain = Must(cipher->Decrypt(core::Bytes(content.ciphertext())), "group decrypt");
    app::Payload payload;
    if (!payload.ParseFromArray(plain.data(), static_cast<int>(plain.size()))) Fail("payload");
    on_decrypted_();
  }

  std::shared_ptr<crypto::SignalContext> context_;
  std::vector<Receiver>* receivers_ = nullptr;
  std::function<void()> on_decrypted_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Work> queue_;
  bool stop_ = false;
  std::thread thread_;
};

// The receivers' connections, all on one io_context thread.
class Receivers {
 public:
  Receivers(testing::RelayProcess& relay, std::size_t n) : relay_(relay), all_(n) {
    // io_ and tls_ are declared before all_: the connections go first. BenchTls checks no
    // pin: only the client under test is pinned.
    endpoint_ = asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), relay.port());
  }
  std::vector<Receiver>& all() { return all_; }

  // Makes every mailbox (ALERT token) and subscription.
  void Open(std::function<void(std::size_t, const wire::Delivery&)> on_delivery) {
    on_delivery_ = std::move(on_delivery);
    const std::string invite = relay_.CreateInvite(static_cast<int>(all_.size()) + 10, "1d");
    if (invite.empty()) Fail("no invite");
    std::size_t launched = 0;
    while (ready_ < all_.size()) {
      while (launched < all_.size() && launched - ready_ < 200) Launch(launched++, invite);
      io_.run_for(std::chrono::milliseconds(5));
      if (failures_ > 0) Fail("a receiver could not connect");
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  void Stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Launch(std::size_t i, const std::string& invite) {
    all_[i].conn = std::make_unique<BenchConn>(io_, tls_);
    asio::co_spawn(io_, Run(i, invite), [this](std::exception_ptr e) {
      if (e) ++failures_;
    });
  }
  awaitable<void> Run(std::size_t i, std::string invite) {
    Receiver& r = all_[i];
    BenchConn& c = *r.conn;
    co_await c.Open(endpoint_);
    const std::string nonce = (co_await c.Call(Hello(wire::OWNER))).hello().server_nonce();
    const auto key = testing::AuthKeyPair::Generate();
    wire::Request create;
    create.mutable_create_mailbox()->set_invite(invite);
    create.mutable_create_mailbox()->set_auth_public_key(key.public_key);
    create.mutable_create_mailbox()->set_signature(
        key.Sign(testing::CreateMailboxMessage(nonce, key.public_key)));
    r.mailbox = (co_await c.Call(create)).mailbox_created().mailbox_id();
    r.token = testing::RandomToken();
    wire::Request set;
    set.mutable_set_tokens()->set_mailbox_id(r.mailbox);
    auto* t = set.mutable_set_tokens()->add_tokens();
    t->set_token_class(wire::ALERT);
    t->set_token_hash(testing::TokenHash(r.token));
    co_await c.Call(set);
    wire::Request subscribe;
    subscribe.mutable_subscribe()->set_mailbox_id(r.mailbox);
    co_await c.Call(subscribe);
    ++ready_;
    for (;;) {
      wire::Request ack;
      co_await c.ReadSome([&](const wire::Frame& frame) {
        if (!frame.has_push()) return;
        on_delivery_(i, frame.push().delivery());
        ack.mutable_ack()->add_seqs(frame.push().delivery().seq());
      });
      if (ack.ack().seqs_size() == 0) continue;
      ack.set_id(c.NextId());
      ack.mutable_ack()->set_mailbox_id(r.mailbox);
      ack.mutable_ack()->set_quiet(true);  // as libtocsin's own: no Acked to read
      c.Queue(ack);
      co_await c.Flush();
    }
  }

  testing::RelayProcess& relay_;
  asio::io_context io_{1};
  BenchTls tls_;
  std::vector<Receiver> all_;
  asio::ip::tcp::endpoint endpoint_;
  std::function<void(std::size_t, const wire::Delivery&)> on_delivery_;
  std::size_t ready_ = 0;
  int failures_ = 0;
  std::thread thread_;
};

// Gives the sender its N contacts and a group of them, through the core's own books
// (importing 10,000 cards one by one would only slow the setup).
std::string SetUpGroup(Client& sender, std::vector<Receiver>& receivers, const std::string& relay) {
  return Must(sender.core().Run<std::string>([&]() -> core::Awaitable<Result<std::string>> {
    auto& context = sender.core().context();
    client::GroupRecord group;
    group.set_group_id(context.env.RandomString(16));
    group.set_name("bench");
    for (std::size_t i = 0; i < receivers.size(); i += 1000) {
      core::Batch batch(*context.store);
      for (std::size_t j = i; j < std::min(receivers.size(), i + 1000); ++j) {
        client::ContactRecord contact;
        contact.set_contact_id(context.env.RandomString(16));
        contact.set_identity_key(context.env.RandomString(32));
        contact.mutable_envelope_key()->set_key_id(1);
        contact.mutable_envelope_key()->set_public_key(
            core::ToString(receivers[j].envelope->public_key()));
        auto* address = contact.add_addresses();
        address->set_relay(relay);
        address->set_mailbox_id(receivers[j].mailbox);
        address->set_token(receivers[j].token);
        TOCSIN_CO_RETURN_IF_ERROR(context.contacts->Stage(batch, contact));
        *group.add_members() = contact.contact_id();
      }
      TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
    }
    core::Batch batch(*context.store);
    TOCSIN_CO_RETURN_IF_ERROR(context.groups->Stage(batch, group));
    TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
    co_return group.group_id();
  }),
              "set up the group");
}

// The sender's current sender-key distribution for the group.
std::vector<std::uint8_t> Distribution(Client& sender, const std::string& group_id) {
  return Must(sender.core().Run<std::vector<std::uint8_t>>(
                  [&]() -> core::Awaitable<Result<std::vector<std::uint8_t>>> {
                    auto& context = sender.core().context();
                    const auto* group = context.groups->Find(group_id);
                    core::Batch batch(*context.store);
                    Result<std::vector<std::uint8_t>> out = Status::Internal("unset");
                    {
                      store::ScopedSignalBatch attach(*context.signal_store, batch.txn());
                      out = crypto::CreateSenderKeyDistribution(*context.store_context,
                                                                groups::OwnSenderKeyName(*group));
                    }
                    if (out.ok()) TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
                    co_return out;
                  }),
              "distribution");
}

// The machine's speed now: 10,000 libsodium X25519 (about 330 ms on this VM when it is
// quiet). Printed beside the results, which a busy machine slows down alike.
double X25519Floor() {
  std::uint8_t scalar[32];
  std::uint8_t point[32];
  std::uint8_t out[32];
  randombytes_buf(scalar, sizeof scalar);
  crypto_scalarmult_base(point, scalar);
  const auto start = Clock::now();
  for (int i = 0; i < 10000; ++i) {
    if (crypto_scalarmult(out, scalar, point) != 0) Fail("x25519");
    point[0] ^= out[0];
  }
  return Ms(Clock::now() - start);
}

void GroupAlert(std::size_t n, int alerts) {
  RaiseFileLimit();
  testing::RelayProcess relay(testing::ConfigOverrides{});
  if (!relay.init_status().ok() || !relay.Start().ok()) Fail("relay did not start");
  DecryptThread threads[2] = {DecryptThread(crypto::DefaultRng()),
                              DecryptThread(crypto::DefaultRng())};
  Receivers receivers(relay, n);
  const crypto::X25519KeyPair shared_identity =
      crypto::X25519KeyPair::Generate(crypto::DefaultRng());
  for (std::size_t i = 0; i < n; ++i) {
    Receiver& r = receivers.all()[i];
    r.envelope.emplace(crypto::X25519KeyPair::Generate(crypto::DefaultRng()));
    r.store = std::make_unique<ReceiverStore>(shared_identity);
    r.signal = Must(crypto::SignalStoreContext::Create(threads[i % 2].context(), r.store->stores()),
                    "store context");
  }
  std::atomic<std::size_t> decrypted{0};
  std::atomic<std::size_t> delivered{0};
  Clock::time_point first_delivery;
  Clock::time_point last_delivery;
  Clock::time_point last_decrypt;
  std::mutex times;
  const auto setup_start = Clock::now();
  receivers.Open([&](std::size_t i, const wire::Delivery& d) {
    const std::size_t count = ++delivered;
    {
      std::lock_guard<std::mutex> lock(times);
      if (count == 1) first_delivery = Clock::now();
      if (count == n) last_delivery = Clock::now();
    }
    threads[i % 2].Push(Work{i, d.view().blob(), d.view().view()});
  });
  for (auto& thread : threads) {
    thread.Start(&receivers.all(), [&] {
      if (++decrypted == n) {
        std::lock_guard<std::mutex> lock(times);
        last_decrypt = Clock::now();
      }
    });
  }

  std::string dir = testing::RelayProcess::MakeTempDir("tocsin-client-bench-");
  ClientOptions options;
  options.kdf = KdfCost::kMinimum;
  options.seal_threads = 2;
  options.default_ttl = std::chrono::hours(1);
  const RelaySpec spec{relay.address().ToString(), relay.CreateInvite(2, "1d")};
  auto sender = Must(Client::Create(std::filesystem::path(dir) / "sender",
                                    *Passphrase::FromString("bench"), {spec}, options),
                     "sender");
  const std::string group = SetUpGroup(*sender, receivers.all(), spec.address);
  const auto distribution = Distribution(*sender, group);
  for (std::size_t i = 0; i < n; ++i) {
    Receiver& r = receivers.all()[i];
    if (!crypto::ProcessSenderKeyDistribution(
             *r.signal, crypto::SenderKeyName{group, crypto::Address{"sender", 1}}, distribution)
             .ok()) {
      Fail("process distribution");
    }
  }
  std::printf("group alert N=%zu: setup %.1f s\n", n, Ms(Clock::now() - setup_start) / 1000);

  std::vector<double> committed, first, last_delivered, last_decrypted;
  for (int alert = 0; alert <= alerts; ++alert) {  // alert 0 warms up (static DH cache, links)
    decrypted = 0;
    delivered = 0;
    const auto start = Clock::now();
    Must(sender->SendGroupText(core::ToHex(group), "ICE at 5th and Main, observers needed"),
         "send");
    const auto sent = Clock::now();
    while (decrypted.load() < n) {
      if (Clock::now() - start > std::chrono::seconds(120)) Fail("not every receiver decrypted");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::lock_guard<std::mutex> lock(times);
    if (alert == 0) continue;
    committed.push_back(Ms(sent - start));
    first.push_back(Ms(first_delivery - start));
    last_delivered.push_back(Ms(last_delivery - start));
    last_decrypted.push_back(Ms(last_decrypt - start));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::printf(
      "group alert N=%-6zu last decrypt p50 %7.1f ms  (sealed+committed %.1f, first delivery "
      "%.1f, last delivery %.1f ms; %d alerts; 10,000 X25519 now %.0f ms)\n",
      n, Median(last_decrypted), Median(committed), Median(first), Median(last_delivered), alerts,
      X25519Floor());
  sender->Close();
  receivers.Stop();
  for (auto& thread : threads) thread.Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace
}  // namespace tocsin::bench

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  std::vector<std::size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::stoul(argv[i]));
  if (sizes.empty()) sizes = {1000, 10000};
  const char* alerts = std::getenv("TOCSIN_BENCH_ALERTS");
  for (std::size_t n : sizes) tocsin::bench::GroupAlert(n, alerts ? std::atoi(alerts) : 5);
  return 0;
}
