// Shared steps of the relay-link tests: a RelayPool on its own io thread with what its
// handlers saw, blocking wrappers of its calls, a started relay, a mailbox with a token,
// and the relay's metrics.
//
// Waiting is always on a condition with a generous deadline (the machine is small and
// shared): never a sleep that hopes.
#ifndef TOCSIN_TESTS_CLIENT_LIB_NET_NET_TEST_UTIL_H_
#define TOCSIN_TESTS_CLIENT_LIB_NET_NET_TEST_UTIL_H_

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/relay_pool.h"
#include "relay_process.h"

namespace tocsin::net::testing {

using std::chrono::milliseconds;
using tocsin::testing::RelayProcess;
inline constexpr milliseconds kWait{60000};

struct StateEvent {
  RelayAddress relay;
  LinkState state;
  Status status;
};

// Options with short backoffs and timeouts that still leave a loaded machine room.
RelayPoolOptions FastOptions();

class PoolHarness {
 public:
  explicit PoolHarness(RelayPoolOptions options = FastOptions());
  // Stops the io thread, then destroys the pool (its contract allows that order).
  ~PoolHarness();

  RelayPool& pool() { return *pool_; }
  // Stops the io thread (the pool stays).
  void StopIo();
  // Stops the io thread and destroys the pool now.
  void Destroy();

  // Waits until `condition` holds (checked under the lock, after every handler call),
  // at most `timeout`. Handlers record under the same lock (Note).
  bool WaitFor(const std::function<bool()>& condition, milliseconds timeout = kWait);
  // Runs `fn` under the lock (to read what the handlers recorded).
  template <typename Fn>
  auto Locked(Fn fn) {
    std::lock_guard lock(mu_);
    return fn();
  }
  // Runs `fn` on this thread while the io thread is held inside one handler: what `fn`
  // posts to the pool runs together after it returns.
  void WhilePaused(const std::function<void()>& fn);
  // Records an event from a callback and wakes waiters.
  void Note(const std::function<void()>& fn);

  // What the handlers saw (read under the lock, or through the helpers).
  std::vector<IncomingDelivery> deliveries;
  std::vector<StateEvent> states;
  std::vector<wire::Authenticated> authenticated;

  std::vector<IncomingDelivery> Deliveries();
  std::vector<std::uint64_t> Seqs(const MailboxId& mailbox);
  bool SawState(LinkState state, Code code = Code::kOk);

  // Blocking calls (each fails the test when no answer comes within kWait).
  Status AddMailbox(const RelayAddress& relay, const MailboxId& mailbox, const AuthKeyPair& key);
  Result<MailboxId> CreateMailbox(const RelayAddress& relay, const std::string& invite,
                                  const AuthKeyPair& key);
  Result<std::uint32_t> SetToken(const RelayAddress& relay, const MailboxId& mailbox,
                                 const Token& token, wire::TokenClass token_class = wire::CONTACT);
  Result<std::uint32_t> PutPrekeys(const RelayAddress& relay, const MailboxId& mailbox,
                                   wire::PutPrekeys prekeys);
  Status Send(const RelayAddress& relay, const MailboxId& mailbox, const Token& token,
              const std::string& envelope);
  Result<std::vector<Code>> SendToMany(const RelayAddress& relay, const std::string& blob,
                                       std::vector<OutgoingView> views);
  Result<wire::PrekeyBundle> GetPrekeyBundle(const RelayAddress& relay, const MailboxId& mailbox,
                                             const Token& token);

 private:
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<RelayPool> pool_;
  std::thread thread_;
  // Recursive: conditions passed to WaitFor may use the locking helpers below.
  std::recursive_mutex mu_;
  std::condition_variable_any cv_;
};

// A relay started on 127.0.0.1 (the test fails when it cannot start).
std::unique_ptr<RelayProcess> StartRelay(tocsin::testing::ConfigOverrides overrides = {});

// A mailbox made through the pool: created with an invite, a CONTACT token registered,
// subscribed.
struct TestMailbox {
  RelayAddress relay;
  AuthKeyPair key;
  MailboxId id{};
  Token token{};
};
TestMailbox NewMailbox(PoolHarness& harness, const RelayProcess& relay, bool subscribe = true);

Token RandomToken();
MailboxId RandomMailboxId();
std::string TokenHash(const Token& token);

// The relay's Prometheus page, and one metric's value from it (-1 when absent).
std::string Metrics(const RelayProcess& relay);
using tocsin::testing::MetricValue;
// Polls the metrics until `name` has `value`.
bool WaitForMetric(const RelayProcess& relay, const std::string& name, std::int64_t value,
                   milliseconds timeout = kWait);
// Freezes the relay (SIGSTOP) and waits until every one of its threads has stopped: a
// stop is asynchronous, and a thread inside a slow system call (an fsync on a busy disk)
// runs on until the call returns. Answers nothing from then on, until killed.
bool FreezeRelay(const RelayProcess& relay, milliseconds timeout = kWait);

}  // namespace tocsin::net::testing

#endif  // TOCSIN_TESTS_CLIENT_LIB_NET_NET_TEST_UTIL_H_
