// Test support for the client library: real relays (tests/support's RelayProcess), real
// clients in temporary folders (Argon2 at its minimum), an application-like event
// collector, condition waits with generous deadlines, and a transport wrapper that can
// hold back deliveries or record fan-outs (real relay links underneath).
#ifndef TOCSIN_TESTS_CLIENT_TEST_UTIL_H_
#define TOCSIN_TESTS_CLIENT_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/client_core.h"
#include "core/transport.h"
#include "relay_process.h"
#include "tocsin/client.h"

namespace tocsin::testing {

using namespace std::chrono_literals;

// Deadlines: this runs on a loaded 2-core machine beside other builds.
inline constexpr std::chrono::seconds kWait{60};

template <typename T>
T Take(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

inline void Check(const Status& status) {
  INFO(status.ToString());
  REQUIRE(status.ok());
}

// Polls `done` until it holds or `limit` passes.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = kWait);

// A folder under the system temp folder, removed with its content.
class TempFolder {
 public:
  TempFolder();
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A started relay (REQUIREs it).
std::unique_ptr<RelayProcess> StartRelay(ConfigOverrides overrides = {});
RelaySpec SpecOf(const RelayProcess& relay);
// An invite for `uses` mailboxes (waits for the relay's admin socket).
std::string Invite(const RelayProcess& relay, int uses);

Passphrase TestPassphrase(std::string_view text = "test passphrase");
ClientOptions FastOptions();
// A new client in folder/`name` with one mailbox on `relay`, the test passphrase and
// FastOptions (REQUIREs it).
std::unique_ptr<Client> CreateClient(const TempFolder& folder, const std::string& name,
                                     const RelayProcess& relay);

// Collects a client's events like an application: records each, then calls Done.
class EventLog {
 public:
  // `done`: call Done after recording (as an application that handled the event).
  explicit EventLog(Client& client, bool done = true);
  std::vector<Event> All() const;
  std::vector<Event> Messages() const;  // kMessage only
  // The texts of kMessage events, in order.
  std::vector<std::string> Texts() const;
  std::size_t Count(EventKind kind) const;
  bool WaitForText(const std::string& text, std::chrono::milliseconds limit = kWait) const;
  bool WaitFor(const std::function<bool(const Event&)>& match,
               std::chrono::milliseconds limit = kWait) const;
  std::optional<Event> Find(const std::function<bool(const Event&)>& match) const;

 private:
  // Shared with the handler, which may outlive this object by a callback.
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Event> events;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// What two introduced clients call each other.
struct Pair {
  ContactId b_at_a;  // B in A's contacts
  ContactId a_at_b;  // A in B's contacts
};

// A imports B's card and writes "hello from A"; B gets the contact request, and its
// automatic answer brings B's addresses back to A. Returns once A has heard B's reply
// ("hello from B").
Pair Introduce(Client& a, EventLog& a_log, Client& b, EventLog& b_log);

// Introduce for clients that already know others: `tag` makes the greetings unique, and
// A is found in B's contacts by the sender of A's greeting.
Pair Connect(Client& a, EventLog& a_log, Client& b, EventLog& b_log, const std::string& tag);

// Runs `fn` on the client's worker (for reads of internals in tests).
template <typename T>
T OnWorker(Client& client, std::function<T()> fn) {
  auto result = client.core().Run<T>([fn]() -> core::Awaitable<Result<T>> { co_return fn(); });
  REQUIRE(result.ok());
  return std::move(result).value();
}

// Rows waiting in the client's outbox.
std::size_t OutboxSize(Client& client);
// Waits until the client's outbox is empty.
bool WaitOutboxEmpty(Client& client, std::chrono::milliseconds limit = kWait);
core::ReceiverStats Stats(Client& client);

// ---------------------------------------------------------------- transport wrapper

// The real relay links, with test hooks: deliveries can be held back by a predicate and
// released later, and fan-outs recorded.
class HookedTransport final : public core::Transport {
 public:
  explicit HookedTransport(std::unique_ptr<core::Transport> real);

  // Deliveries for which `hold` returns true are kept instead of handed on.
  void Hold(std::function<bool(const net::IncomingDelivery&)> hold);
  // Hands on every held delivery and stops holding.
  void Release();
  // Hands on the held deliveries that `which` selects; the others stay held, and the
  // holding goes on.
  void ReleaseWhere(const std::function<bool(const net::IncomingDelivery&)>& which);
  std::size_t held() const;
  struct FanOut {
    RelayAddress relay;
    std::string blob;
    std::vector<net::OutgoingView> views;
  };
  std::vector<FanOut> fan_outs() const;
  // The ttl_seconds of every Send and SendToMany so far, in order.
  std::vector<std::uint32_t> ttls() const;
  // Token registrations (SetTokens) on relays that `which` selects are kept unsent, as
  // on a slow link, until ReleaseSetTokens sends them on and stops holding.
  void HoldSetTokens(std::function<bool(const RelayAddress&)> which);
  void ReleaseSetTokens();
  std::size_t held_set_tokens() const;
  // Token registrations on relays that `which` selects are answered kUnavailable, as
  // for an unreachable relay; nullptr ends that.
  void FailSetTokens(std::function<bool(const RelayAddress&)> which);

  void SetDeliveryHandler(std::function<void(net::IncomingDelivery)> handler) override;
  void SetStateHandler(
      std::function<void(const RelayAddress&, net::LinkState, Status)> handler) override;
  void AddMailbox(const RelayAddress& relay, const net::MailboxId& mailbox,
                  const net::AuthKeyPair& key, net::StatusCallback done) override;
  void Ack(const RelayAddress& relay, const net::MailboxId& mailbox, std::uint64_t seq) override;
  void CreateMailbox(const RelayAddress& relay, const std::string& invite,
                     const net::AuthKeyPair& key, net::Callback<net::MailboxId> done) override;
  void SetTokens(const RelayAddress& relay, const net::MailboxId& mailbox,
                 std::vector<wire::TokenEntry> tokens, net::Callback<std::uint32_t> done) override;
  void RotateToken(const RelayAddress& relay, const net::MailboxId& mailbox,
                   wire::RotateToken request, net::Callback<std::uint64_t> done) override;
  void PutPrekeys(const RelayAddress& relay, const net::MailboxId& mailbox,
                  wire::PutPrekeys request, net::Callback<std::uint32_t> done) override;
  void Send(const RelayAddress& relay, const net::MailboxId& mailbox, const net::Token& token,
            std::string envelope, std::uint32_t ttl_seconds, net::StatusCallback done) override;
  void SendToMany(const RelayAddress& relay, std::string blob, std::uint32_t ttl_seconds,
                  std::vector<net::OutgoingView> views,
                  net::Callback<std::vector<Code>> done) override;
  void GetPrekeyBundle(const RelayAddress& relay, const net::MailboxId& mailbox,
                       const net::Token& token, net::Callback<wire::PrekeyBundle> done) override;
  net::LinkState State(const RelayAddress& relay) const override;
  std::optional<wire::Limits> Limits(const RelayAddress& relay) const override;
  std::optional<std::int64_t> ClockOffsetMs() const override;

 private:
  std::unique_ptr<core::Transport> real_;
  mutable std::mutex mutex_;
  std::function<void(net::IncomingDelivery)> handler_;      // GUARDED_BY(mutex_)
  std::function<bool(const net::IncomingDelivery&)> hold_;  // GUARDED_BY(mutex_)
  std::vector<net::IncomingDelivery> held_;                 // GUARDED_BY(mutex_)
  std::vector<FanOut> fan_outs_;                            // GUARDED_BY(mutex_)
  std::vector<std::uint32_t> ttls_;                         // GUARDED_BY(mutex_)
  struct HeldSetTokens {
    RelayAddress relay;
    net::MailboxId mailbox;
    std::vector<wire::TokenEntry> tokens;
    net::Callback<std::uint32_t> done;
  };
  std::function<bool(const RelayAddress&)> hold_set_tokens_;  // GUARDED_BY(mutex_)
  std::function<bool(const RelayAddress&)> fail_set_tokens_;  // GUARDED_BY(mutex_)
  std::vector<HeldSetTokens> held_set_tokens_;                // GUARDED_BY(mutex_)
};

// While alive, every client created or opened in this process gets a HookedTransport,
// registered under the label given by Next() before it was made.
class HookedTransports {
 public:
  HookedTransports();
  ~HookedTransports();
  void Next(const std::string& label);
  HookedTransport& operator[](const std::string& label);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// The relay's Prometheus page (its metrics listener on 127.0.0.1), "" when unreachable.
std::string RelayMetrics(const RelayProcess& relay);
// Values on it: MetricValue (relay_process.h).

// Messages of ours still waiting for the recipient's receipt.
std::size_t AwaitingReceipts(Client& client);

// The client's static DH cache: how many outputs it holds, and whether one of them is
// of `key` (32 bytes, as its own or its peer's key).
std::size_t DhCacheSize(Client& client);
bool DhCacheHolds(Client& client, const std::string& key);

// True when any file under `dir` contains `needle` (raw bytes).
bool FolderContains(const std::filesystem::path& dir, const std::string& needle);

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_CLIENT_TEST_UTIL_H_
