#include "net_test_util.h"

#include <signal.h>
#include <sodium.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>

#include "net/mailbox_auth.h"

namespace tocsin::net::testing {
namespace {

using Clock = std::chrono::steady_clock;

// One answer of an asynchronous call, waited for from the test thread.
template <typename T>
struct Answer {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<T>> result;
  int calls = 0;
};

template <typename T, typename Start>
Result<T> Await(Start start) {
  auto answer = std::make_shared<Answer<T>>();
  start([answer](Result<T> r) {
    std::lock_guard lock(answer->mu);
    ++answer->calls;
    if (!answer->result) answer->result.emplace(std::move(r));
    answer->cv.notify_all();
  });
  std::unique_lock lock(answer->mu);
  const bool answered =
      answer->cv.wait_for(lock, kWait, [&] { return answer->result.has_value(); });
  REQUIRE(answered);
  return std::move(*answer->result);
}

struct Unit {};

Status AwaitStatus(const std::function<void(StatusCallback)>& start) {
  Result<Unit> r = Await<Unit>([&](std::function<void(Result<Unit>)> done) {
    start([done](Status s) { s.ok() ? done(Unit{}) : done(std::move(s)); });
  });
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace

RelayPoolOptions FastOptions() {
  RelayPoolOptions o;
  o.backoff_min = milliseconds(50);
  o.backoff_max = milliseconds(500);
  o.request_timeout = milliseconds(30000);
  o.connect_timeout = milliseconds(20000);
  return o;
}

PoolHarness::PoolHarness(RelayPoolOptions options) {
  work_.emplace(io_.get_executor());
  options.io = &io_;
  pool_ = std::make_unique<RelayPool>(options);
  pool_->SetDeliveryHandler(
      [this](IncomingDelivery d) { Note([&] { deliveries.push_back(std::move(d)); }); });
  pool_->SetStateHandler([this](const RelayAddress& relay, LinkState state, Status status) {
    Note([&] { states.push_back(StateEvent{relay, state, std::move(status)}); });
  });
  pool_->SetAuthenticatedHandler([this](const RelayAddress&, const wire::Authenticated& a) {
    Note([&] { authenticated.push_back(a); });
  });
  thread_ = std::thread([this] { io_.run(); });
}

PoolHarness::~PoolHarness() { Destroy(); }

void PoolHarness::StopIo() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void PoolHarness::Destroy() {
  if (!pool_) return;
  StopIo();
  pool_.reset();
}

void PoolHarness::WhilePaused(const std::function<void()>& fn) {
  std::promise<void> paused;
  std::promise<void> resume;
  std::shared_future<void> resumed = resume.get_future().share();
  asio::post(io_, [&paused, resumed] {
    paused.set_value();
    resumed.wait();
  });
  paused.get_future().wait();
  fn();
  resume.set_value();
}

void PoolHarness::Note(const std::function<void()>& fn) {
  std::lock_guard lock(mu_);
  fn();
  cv_.notify_all();
}

bool PoolHarness::WaitFor(const std::function<bool()>& condition, milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, condition);
}

std::vector<IncomingDelivery> PoolHarness::Deliveries() {
  return Locked([&] { return deliveries; });
}

std::vector<std::uint64_t> PoolHarness::Seqs(const MailboxId& mailbox) {
  return Locked([&] {
    std::vector<std::uint64_t> seqs;
    for (const IncomingDelivery& d : deliveries) {
      if (d.mailbox == mailbox) seqs.push_back(d.seq);
    }
    return seqs;
  });
}

bool PoolHarness::SawState(LinkState state, Code code) {
  return Locked([&] {
    for (const StateEvent& e : states) {
      if (e.state == state && e.status.code() == code) return true;
    }
    return false;
  });
}

Status PoolHarness::AddMailbox(const RelayAddress& relay, const MailboxId& mailbox,
                               const AuthKeyPair& key) {
  return AwaitStatus([&](StatusCallback done) { pool_->AddMailbox(relay, mailbox, key, done); });
}

Result<MailboxId> PoolHarness::CreateMailbox(const RelayAddress& relay, const std::string& invite,
                                             const AuthKeyPair& key) {
  return Await<MailboxId>(
      [&](Callback<MailboxId> done) { pool_->CreateMailbox(relay, invite, key, done); });
}

Result<std::uint32_t> PoolHarness::SetToken(const RelayAddress& relay, const MailboxId& mailbox,
                                            const Token& token, wire::TokenClass token_class) {
  wire::TokenEntry entry;
  entry.set_token_class(token_class);
  entry.set_token_hash(TokenHash(token));
  return Await<std::uint32_t>(
      [&](Callback<std::uint32_t> done) { pool_->SetTokens(relay, mailbox, {entry}, done); });
}

Result<std::uint32_t> PoolHarness::PutPrekeys(const RelayAddress& relay, const MailboxId& mailbox,
                                              wire::PutPrekeys prekeys) {
  return Await<std::uint32_t>(
      [&](Callback<std::uint32_t> done) { pool_->PutPrekeys(relay, mailbox, prekeys, done); });
}

Status PoolHarness::Send(const RelayAddress& relay, const MailboxId& mailbox, const Token& token,
                         const std::string& envelope) {
  return AwaitStatus(
      [&](StatusCallback done) { pool_->Send(relay, mailbox, token, envelope, 0, done); });
}

Result<std::vector<Code>> PoolHarness::SendToMany(const RelayAddress& relay,
                                                  const std::string& blob,
                                                  std::vector<OutgoingView> views) {
  return Await<std::vector<Code>>([&](Callback<std::vector<Code>> done) {
    pool_->SendToMany(relay, blob, 0, std::move(views), done);
  });
}

Result<wire::PrekeyBundle> PoolHarness::GetPrekeyBundle(const RelayAddress& relay,
                                                        const MailboxId& mailbox,
                                                        const Token& token) {
  return Await<wire::PrekeyBundle>([&](Callback<wire::PrekeyBundle> done) {
    pool_->GetPrekeyBundle(relay, mailbox, token, done);
  });
}

std::unique_ptr<RelayProcess> StartRelay(tocsin::testing::ConfigOverrides overrides) {
  auto relay = std::make_unique<RelayProcess>(std::move(overrides));
  REQUIRE(relay->init_status().ok());
  const Status started = relay->Start();
  INFO(started.ToString());
  REQUIRE(started.ok());
  return relay;
}

TestMailbox NewMailbox(PoolHarness& harness, const RelayProcess& relay, bool subscribe) {
  TestMailbox m;
  m.relay = relay.address();
  m.key = AuthKeyPair::Generate();
  const std::string invite = relay.CreateInvite();
  REQUIRE(invite.size() == 16);
  Result<MailboxId> id = harness.CreateMailbox(m.relay, invite, m.key);
  INFO(id.status().ToString());
  REQUIRE(id.ok());
  m.id = *id;
  m.token = RandomToken();
  Result<std::uint32_t> tokens = harness.SetToken(m.relay, m.id, m.token);
  INFO(tokens.status().ToString());
  REQUIRE(tokens.ok());
  if (subscribe) {
    const Status added = harness.AddMailbox(m.relay, m.id, m.key);
    INFO(added.ToString());
    REQUIRE(added.ok());
  }
  return m;
}

Token RandomToken() {
  Token t{};
  randombytes_buf(t.data(), t.size());
  return t;
}

MailboxId RandomMailboxId() {
  MailboxId id{};
  randombytes_buf(id.data(), id.size());
  return id;
}

std::string TokenHash(const Token& token) {
  std::string hash(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(), token.data(),
                     token.size(), nullptr, 0);
  return hash;
}

std::string Metrics(const RelayProcess& relay) {
  return tocsin::testing::HttpGet(relay.metrics_port(), "/metrics");
}

bool WaitForMetric(const RelayProcess& relay, const std::string& name, std::int64_t value,
                   milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (MetricValue(Metrics(relay), name) == value) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

namespace {

// True when every thread of `pid` is stopped ('T' in /proc/<pid>/task/<tid>/stat).
bool AllThreadsStopped(pid_t pid) {
  std::error_code ec;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  bool any = false;
  for (const auto& entry : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t paren = stat.rfind(')');  // the name may hold spaces
    if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
    if (stat[paren + 2] != 'T' && stat[paren + 2] != 't') return false;
    any = true;
  }
  return any && !ec;
}

}  // namespace

bool FreezeRelay(const RelayProcess& relay, milliseconds timeout) {
  if (::kill(relay.pid(), SIGSTOP) != 0) return false;
  const auto until = Clock::now() + timeout;
  while (!AllThreadsStopped(relay.pid())) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

}  // namespace tocsin::net::testing
