// The protocol layer without sockets: ProtocolSession fed frames, answering into a
// buffer, over an in-memory store, with a controlled clock and randomness.
#include <sodium.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>

#include "cat.h"
#include "protocol/session.h"
#include "protocol/wire_encoding.h"
#include "store/kv_faults.h"
#include "store/kv_store.h"
#include "tocsin/frame_codec.h"

namespace tocsin::relay {
namespace {

using testing::Cat;

struct FakeOutput : SessionOutput {
  std::string bytes;
  bool closed = false;
  int tickets = 0;
  bool resumed = false;
  std::string& outbound() override { return bytes; }
  void Flush() override {}
  void Close() override { closed = true; }
  void IssueSessionTicket() override { ++tickets; }
  bool ResumedTlsSession() const override { return resumed; }
};

// Sessions and a queue of work posted to them, run on the test's thread by Pump().
class Harness : public SessionDirectory {
 public:
  explicit Harness(Config config = {}) : config_(std::move(config)) {
    StoreOptions options = config_.MakeStoreOptions();
    options.sweep_interval_ms = 0;
    options.now_ms = [this] { return now_.load(); };
    auto store = MailboxStore::OpenOn(faults_->NewStore(), std::move(options));
    REQUIRE(store.ok());
    store_ = std::move(*store);
    store_->SetStoredListener([this](std::span<const QueuedEntry> e) { fanout_.OnStored(e); });
    env_.config = &config_;
    env_.store = store_.get();
    env_.fanout = &fanout_;
    env_.delivery_limiter = limiter_.get();
    store_->SetDeliveryGate(limiter_);
    env_.directory = this;
    env_.now_ms = [this] { return now_.load(); };
    env_.random = [this](std::span<std::uint8_t> out) {
      for (auto& b : out) b = static_cast<std::uint8_t>(++random_counter_);
    };
  }
  ~Harness() override {
    store_->Close();
    sessions_.clear();
  }

  SessionId Open() {
    const SessionId id = (next_id_++) << 8;
    auto& s = sessions_[id];
    s.output = std::make_unique<FakeOutput>();
    s.session = std::make_unique<ProtocolSession>(id, env_, *s.output);
    return id;
  }
  void Drop(SessionId id) { sessions_.erase(id); }
  ProtocolSession& session(SessionId id) { return *sessions_.at(id).session; }
  FakeOutput& output(SessionId id) { return *sessions_.at(id).output; }

  void Post(SessionId id, std::function<void(ProtocolSession&)> fn) override {
    std::lock_guard lock(mu_);
    posted_.push_back([this, id, fn = std::move(fn)] {
      auto it = sessions_.find(id);
      if (it != sessions_.end()) fn(*it->second.session);
    });
    cv_.notify_all();
  }
  void Deliver(std::shared_ptr<const std::vector<QueuedEntry>> entries,
               std::vector<PushTarget> targets) override {
    for (const PushTarget& t : targets) {
      Post(t.session, [entries, t](ProtocolSession& s) { s.OnStored((*entries)[t.index]); });
    }
  }

  // Feeds one request and returns every frame the session wrote until `frames` came.
  std::vector<wire::Frame> Request(SessionId id, wire::Request request, std::size_t frames = 1) {
    wire::Frame frame;
    *frame.mutable_request() = std::move(request);
    session(id).OnFrame(frame);
    return Collect(id, frames);
  }
  std::vector<wire::Frame> Collect(SessionId id, std::size_t frames) {
    std::vector<wire::Frame> out;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      Decode(id, &out);
      if (out.size() >= frames || std::chrono::steady_clock::now() > until) return out;
      RunPosted(until);
    }
  }

  // Runs the work posted so far and returns the frames written, without waiting.
  std::vector<wire::Frame> CollectNow(SessionId id) {
    RunPosted(std::chrono::steady_clock::now());
    std::vector<wire::Frame> out;
    Decode(id, &out);
    return out;
  }

  std::atomic<std::uint64_t> now_{1'700'000'000'000};

 private:
  struct Entry {
    std::unique_ptr<FakeOutput> output;
    std::unique_ptr<ProtocolSession> session;
  };
  void RunPosted(std::chrono::steady_clock::time_point until) {
    std::deque<std::function<void()>> work;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(
          lock, std::min(until, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)),
          [this] { return !posted_.empty(); });
      work.swap(posted_);
    }
    for (auto& w : work) w();
  }
  void Decode(SessionId id, std::vector<wire::Frame>* out) {
    std::string& bytes = output(id).bytes;
    FrameDecoder decoder(UINT32_MAX);
    std::span<const std::uint8_t> rest(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                       bytes.size());
    while (!rest.empty()) {
      wire::Frame f;
      auto step = decoder.Decode(rest, &f);
      REQUIRE(step.state == FrameDecoder::State::kFrame);
      rest = rest.subspan(step.consumed);
      out->push_back(std::move(f));
    }
    bytes.clear();
  }

  Config config_;
  std::shared_ptr<FaultInjector> faults_ =
      std::make_shared<FaultInjector>(std::shared_ptr<KvStore>(NewMemoryKv()));
  std::unique_ptr<MailboxStore> store_;
  Fanout fanout_{*this};
  std::shared_ptr<DeliveryRateLimiter> limiter_ =
      std::make_shared<DeliveryRateLimiter>(DeliveryRatesOf(config_));
  ProtocolEnv env_;
  std::map<SessionId, Entry> sessions_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> posted_;
  SessionId next_id_ = 1;
  int random_counter_ = 0;

 public:
  MailboxStore& store() { return *store_; }
  FaultInjector& faults() { return *faults_; }
};

wire::Request Hello(wire::ConnectionKind kind, std::uint64_t id = 1) {
  wire::Request r;
  r.set_id(id);
  r.mutable_hello()->set_version(1);
  r.mutable_hello()->set_kind(kind);
  return r;
}

wire::Request Ping(std::uint64_t id) {
  wire::Request r;
  r.set_id(id);
  r.mutable_ping();
  return r;
}

wire::ErrorCode ErrorOf(const wire::Frame& f) { return f.response().error().code(); }

struct Key {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  Key() { crypto_sign_keypair(pk, sk); }
  std::string Public() const { return std::string(reinterpret_cast<const char*>(pk), 32); }
  std::string Sign(const std::string& m) const {
    std::string sig(64, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(m.data()), m.size(), sk);
    return sig;
  }
};

std::string Nonce(const wire::Frame& hello) { return hello.response().hello().server_nonce(); }

// An owner session with one new mailbox; returns its id bytes.
std::string NewMailbox(Harness& h, SessionId owner, const std::string& nonce, const Key& key) {
  std::promise<Result<std::string>> invite;
  h.store().CreateInvite(1, 0, [&](Result<std::string> r) { invite.set_value(std::move(r)); });
  auto code = invite.get_future().get();
  REQUIRE(code.ok());
  wire::Request r;
  r.set_id(2);
  r.mutable_create_mailbox()->set_invite(*code);
  r.mutable_create_mailbox()->set_auth_public_key(key.Public());
  r.mutable_create_mailbox()->set_signature(
      key.Sign(Cat("tocsin/relay/create-mailbox/v1", nonce, key.Public())));
  auto frames = h.Request(owner, r);
  REQUIRE(frames.size() == 1);
  REQUIRE(frames[0].response().has_mailbox_created());
  return frames[0].response().mailbox_created().mailbox_id();
}

// An owner session (Hello) with one new mailbox that takes CONTACT sends over `token`;
// returns the mailbox's id bytes.
std::string NewContactMailbox(Harness& h, SessionId owner, const Key& key,
                              const std::string& token) {
  const std::string nonce = Nonce(h.Request(owner, Hello(wire::OWNER))[0]);
  const std::string mailbox = NewMailbox(h, owner, nonce, key);
  wire::Request set;
  set.set_id(5);
  set.mutable_set_tokens()->set_mailbox_id(mailbox);
  auto* t = set.mutable_set_tokens()->add_tokens();
  t->set_token_class(wire::CONTACT);
  Token raw;
  std::copy(token.begin(), token.end(), raw.begin());
  const TokenHash hash = HashToken(raw);
  t->set_token_hash(std::string(hash.begin(), hash.end()));
  REQUIRE(h.Request(owner, set)[0].response().has_tokens_set());
  return mailbox;
}

TEST_CASE("session: Hello first / once - the kind decides what is allowed", "[relay][session]") {
  Harness h;
  const SessionId a = h.Open();
  auto first = h.Request(a, Ping(9));
  CHECK(ErrorOf(first[0]) == wire::BAD_FRAME);
  CHECK(h.output(a).closed);

  const SessionId owner = h.Open();
  auto hello = h.Request(owner, Hello(wire::OWNER));
  REQUIRE(hello[0].response().has_hello());
  CHECK(Nonce(hello[0]).size() == 32);
  CHECK(h.output(owner).tickets == 1);
  CHECK(ErrorOf(h.Request(owner, Hello(wire::OWNER, 2))[0]) == wire::BAD_FRAME);
  wire::Request send;
  send.set_id(3);
  send.mutable_send()->set_mailbox_id(std::string(16, 'm'));
  CHECK(ErrorOf(h.Request(owner, send)[0]) == wire::WRONG_CONNECTION_KIND);
  CHECK_FALSE(h.output(owner).closed);

  const SessionId sender = h.Open();
  h.Request(sender, Hello(wire::SEND));
  CHECK(h.output(sender).tickets == 0);
  wire::Request sub;
  sub.set_id(4);
  sub.mutable_subscribe()->set_mailbox_id(std::string(16, 'm'));
  CHECK(ErrorOf(h.Request(sender, sub)[0]) == wire::WRONG_CONNECTION_KIND);
}

TEST_CASE("session: a SEND Hello on a resumed TLS session is refused and OWNER is fine",
          "[relay][session]") {
  Harness h;
  const SessionId sender = h.Open();
  h.output(sender).resumed = true;
  auto refused = h.Request(sender, Hello(wire::SEND));
  CHECK(ErrorOf(refused[0]) == wire::WRONG_CONNECTION_KIND);
  CHECK(h.output(sender).closed);
  const SessionId owner = h.Open();
  h.output(owner).resumed = true;
  CHECK(h.Request(owner, Hello(wire::OWNER))[0].response().has_hello());
  CHECK_FALSE(h.output(owner).closed);
}

TEST_CASE("session: a store that cannot write answers UNAVAILABLE with retry_after_ms",
          "[relay][session]") {
  Harness h;
  const SessionId s = h.Open();
  h.Request(s, Hello(wire::SEND));
  h.store().Close();  // every write now fails with kUnavailable
  wire::Request blob;
  blob.set_id(3);
  blob.mutable_put_blob()->set_blob("b");
  auto answer = h.Request(s, blob);
  REQUIRE(answer.size() == 1);
  CHECK(ErrorOf(answer[0]) == wire::UNAVAILABLE);
  CHECK(answer[0].response().error().retry_after_ms() == kUnavailableRetryMs);
  CHECK(answer[0].response().error().message() == "the relay cannot store now; retry later");
}

TEST_CASE("session: a decode error answers id 0 and closes", "[relay][session]") {
  Harness h;
  const SessionId s = h.Open();
  h.session(s).OnDecodeError(Status::TooLarge("declared frame length over the maximum"));
  auto frames = h.Collect(s, 1);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].response().id() == 0);
  CHECK(ErrorOf(frames[0]) == wire::TOO_LARGE);
  CHECK(h.output(s).closed);
}

TEST_CASE("session: send / push within the window / ack releases the next", "[relay][session]") {
  Harness h;
  const Key key;
  const SessionId owner = h.Open();
  const std::string token(16, 't');
  const std::string mailbox = NewContactMailbox(h, owner, key, token);
  wire::Request sub;
  sub.set_id(6);
  sub.mutable_subscribe()->set_mailbox_id(mailbox);
  sub.mutable_subscribe()->set_window(2);
  REQUIRE(h.Request(owner, sub)[0].response().subscribed().window() == 2);

  const SessionId sender = h.Open();
  h.Request(sender, Hello(wire::SEND));
  for (int i = 0; i < 3; ++i) {
    wire::Request r;
    r.set_id(10 + static_cast<std::uint64_t>(i));
    r.mutable_send()->set_mailbox_id(mailbox);
    r.mutable_send()->set_token(token);
    r.mutable_send()->set_envelope(Cat("e", std::to_string(i)));
    REQUIRE(h.Request(sender, r)[0].response().has_stored());
  }
  auto pushes = h.Collect(owner, 2);
  REQUIRE(pushes.size() == 2);
  CHECK(pushes[0].push().delivery().envelope() == "e0");
  CHECK(pushes[1].push().delivery().envelope() == "e1");
  // Every push was posted before the last Stored answer: nothing more is on its way.
  CHECK(h.CollectNow(owner).empty());
  wire::Request ack;
  ack.set_id(20);
  ack.mutable_ack()->set_mailbox_id(mailbox);
  ack.mutable_ack()->add_seqs(pushes[0].push().delivery().seq());
  auto after = h.Request(owner, ack, 2);
  REQUIRE(after.size() == 2);
  CHECK(after[0].push().delivery().envelope() == "e2");  // released at once from the store
  CHECK(after[1].response().acked().deleted() == 1);
}

TEST_CASE("session: an envelope whose commit failed does not count against the rates",
          "[relay][session]") {
  Config config;
  config.token_burst = 2;
  config.token_envelopes_per_second = 1;
  config.mailbox_total_burst = 2;
  config.mailbox_total_envelopes_per_second = 1;
  Harness h(config);
  const Key key;
  const SessionId owner = h.Open();
  const std::string token(16, 't');
  const std::string mailbox = NewContactMailbox(h, owner, key, token);

  const SessionId sender = h.Open();
  h.Request(sender, Hello(wire::SEND));
  std::uint64_t id = 10;
  const auto send = [&] {
    wire::Request r;
    r.set_id(++id);
    r.mutable_send()->set_mailbox_id(mailbox);
    r.mutable_send()->set_token(token);
    r.mutable_send()->set_envelope("e");
    auto answer = h.Request(sender, r);
    REQUIRE(answer.size() == 1);
    return answer[0].response();
  };
  // Two commits fail (the disk, say): neither envelope was stored.
  h.faults().FailNextWrites(2);
  CHECK(send().error().code() == wire::UNAVAILABLE);
  CHECK(send().error().code() == wire::UNAVAILABLE);
  // The burst of two is still whole, at the same instant; the third is over it.
  CHECK(send().has_stored());
  CHECK(send().has_stored());
  const auto third = send();
  CHECK(third.error().code() == wire::RATE_LIMITED);
  CHECK(third.error().retry_after_ms() == 1000);
}

TEST_CASE("session: authentication signs this session's nonce", "[relay][session]") {
  Harness h;
  const Key key;
  const SessionId first = h.Open();
  const std::string nonce1 = Nonce(h.Request(first, Hello(wire::OWNER))[0]);
  const std::string mailbox = NewMailbox(h, first, nonce1, key);
  const SessionId second = h.Open();
  const std::string nonce2 = Nonce(h.Request(second, Hello(wire::OWNER))[0]);
  REQUIRE(nonce1 != nonce2);
  wire::Request auth;
  auth.set_id(7);
  auth.mutable_authenticate()->set_mailbox_id(mailbox);
  auth.mutable_authenticate()->set_signature(
      key.Sign(Cat("tocsin/relay/auth/v1", nonce1, mailbox)));
  CHECK(ErrorOf(h.Request(second, auth)[0]) == wire::UNAUTHORIZED);
  auth.mutable_authenticate()->set_signature(
      key.Sign(Cat("tocsin/relay/auth/v1", nonce2, mailbox)));
  CHECK(h.Request(second, auth)[0].response().has_authenticated());
}

TEST_CASE("session: the request bucket refills with the clock", "[relay][session]") {
  Config config;
  config.connection_burst = 3;
  config.connection_requests_per_second = 1;
  Harness h(config);
  const SessionId s = h.Open();
  h.Request(s, Hello(wire::SEND));
  for (std::uint64_t i = 0; i < 3; ++i) CHECK(h.Request(s, Ping(i + 2))[0].response().has_pong());
  auto limited = h.Request(s, Ping(9));
  CHECK(ErrorOf(limited[0]) == wire::RATE_LIMITED);
  CHECK(limited[0].response().error().retry_after_ms() == 1000);
  h.now_ += 1000;
  CHECK(h.Request(s, Ping(10))[0].response().has_pong());
}

TEST_CASE("session: answers for a session that is gone are dropped", "[relay][session]") {
  Harness h;
  const SessionId s = h.Open();
  h.Request(s, Hello(wire::SEND));
  wire::Request blob;
  blob.set_id(3);
  blob.mutable_put_blob()->set_blob("b");
  wire::Frame frame;
  *frame.mutable_request() = blob;
  h.session(s).OnFrame(frame);
  CHECK(h.session(s).inflight() == 1);
  h.Drop(s);  // the store's answer arrives for nobody
  const SessionId other = h.Open();
  CHECK(h.Request(other, Hello(wire::SEND))[0].response().has_hello());
}

TEST_CASE("delivery frames are exactly what protobuf serializes", "[relay][session]") {
  QueuedEntry e;
  e.mailbox.fill(0xab);
  e.seq = 300;
  e.expires_at_ms = 1'700'000'123'456;
  for (bool view : {false, true}) {
    if (view) {
      e.envelope.reset();
      e.blob = std::make_shared<const std::string>(std::string(70000, 'b'));
      e.view = std::string(48, 'v');
    } else {
      e.envelope = std::make_shared<const std::string>("sealed");
    }
    std::string ours;
    AppendDeliveryFrame(e, &ours);
    wire::Frame frame;
    wire::Delivery* d = frame.mutable_push()->mutable_delivery();
    d->set_mailbox_id(std::string(16, '\xab'));
    d->set_seq(e.seq);
    d->set_expires_at_ms(e.expires_at_ms);
    if (view) {
      d->mutable_view()->set_blob(*e.blob);
      d->mutable_view()->set_view(e.view);
    } else {
      d->set_envelope(*e.envelope);
    }
    auto expected = EncodeFrame(frame, UINT32_MAX);
    REQUIRE(expected.ok());
    CHECK(ours == *expected);
  }
}

}  // namespace
}  // namespace tocsin::relay
