// ClientCore: one open device, behind tocsin::Client (client-lib/include/tocsin/client.h,
// whose contract it implements) and beside the parts of the library built on it.
//
// Threads:
//  - the worker: one thread running an io_context; every piece of client state lives
//    there (keys, contacts, groups, outbox, inbox, receive pipeline), so none of it is
//    locked. Public calls post a coroutine to it and wait (Run).
//  - the network: one thread running the relay links' io_context (the Transport).
//  - events: the EventDispatcher's thread runs application callbacks.
//
// Thread-safety: Run / RunStatus and the accessors documented as such may be called
// from any thread; everything else belongs to the worker.
#ifndef TOCSIN_CORE_CLIENT_CORE_H_
#define TOCSIN_CORE_CLIENT_CORE_H_

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/await.h"
#include "core/contacts.h"
#include "core/core_context.h"
#include "core/device_keys.h"
#include "core/events.h"
#include "core/inbox.h"
#include "core/mailboxes.h"
#include "core/outbox.h"
#include "core/pairwise.h"
#include "core/received.h"
#include "core/receiver.h"
#include "core/transport.h"
#include "groups/group_book.h"
#include "groups/group_service.h"
#include "tocsin/passphrase.h"
#include "tocsin/status.h"
#include "tocsin/types.h"

namespace tocsin::core {

// Makes the Transport of a client: the real RelayPool unless a test supplies another.
using TransportFactory = std::function<std::unique_ptr<Transport>(
    asio::io_context& net, const ClientOptions& options, crypto::Rng& rng)>;

// The device store's Argon2id cost for an API KdfCost.
store::KdfOptions KdfFor(KdfCost cost);

class ClientCore {
 public:
  static Result<std::unique_ptr<ClientCore>> Create(const std::filesystem::path& dir,
                                                    const Passphrase& passphrase,
                                                    const std::vector<RelaySpec>& relays,
                                                    ClientOptions options);
  static Result<std::unique_ptr<ClientCore>> Open(const std::filesystem::path& dir,
                                                  const Passphrase& passphrase,
                                                  ClientOptions options);
  ~ClientCore();
  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  // REQUIRES: not on the worker or the event thread. Idempotent.
  void Close();
  bool closed() const { return closed_.load(); }

  // Runs `fn` on the worker and waits for its result. kUnavailable once closed (or when
  // Close interrupts it); kInternal when called from the worker itself.
  template <typename T>
  Result<T> Run(std::function<Awaitable<Result<T>>()> fn);
  Status RunStatus(std::function<Awaitable<Status>()> fn);

  // ---- operations, on the worker (the public API's meaning)
  Awaitable<Result<std::string>> MyCard(std::string name);
  // A card carrying an ALERT token per mailbox instead of the INTRO token (alert trees:
  // it travels only inside signed views, end to end encrypted). The token is made and
  // registered once and kept; `rotate` replaces it (RotateToken, grace 0: a revoked
  // member's copy stops at once).
  Awaitable<Result<std::string>> AlertCard(std::string name, bool rotate);
  // `by_tree`: an alert tree's view brought the card (origin TREE for a new contact); a
  // card the user adds makes a TREE contact ADDED.
  Awaitable<Result<std::string>> AddContact(std::string card, std::string name,
                                            bool by_tree = false);
  Awaitable<Status> OfferNewIdentity(std::string contact_id, std::string card);
  Awaitable<Status> MarkVerified(std::string contact_id);
  Awaitable<Status> RemoveContact(std::string contact_id);
  Awaitable<Status> RenameContact(std::string contact_id, std::string name);
  Awaitable<Result<std::string>> SafetyNumber(std::string contact_id);
  Awaitable<Result<std::string>> SendPayload(std::string contact_id, std::string payload,
                                             std::uint64_t ttl_ms);
  std::vector<RelayInfo> RelayInfos() const;

  // ---- for the parts of the library built on the core (any thread unless noted)
  CoreContext& context() { return context_; }
  PairwiseSender& pairwise() { return *pairwise_; }
  groups::GroupService& groups() { return *group_service_; }
  Receiver& receiver() { return *receiver_; }
  EventDispatcher& events() { return *dispatcher_; }
  asio::io_context& worker() { return *worker_io_; }
  // Stages a hook's store writes into the receive batch (alert trees). Worker only.
  void SetPayloadHook(PayloadHook hook) { receiver_->set_payload_hook(std::move(hook)); }
  // The identity key's 32 bytes. Any thread.
  const crypto::PublicKey& identity_key() const { return identity_public_; }

  // WARNING: tests only. Makes every client created or opened afterwards in this process
  // use `factory` for its relay links (null: the real RelayPool).
  static void SetTransportFactoryForTests(TransportFactory factory);

 private:
  explicit ClientCore(ClientOptions options);
  Status OpenStore(const std::filesystem::path& dir, const Passphrase& passphrase);
  Status LoadModules();
  void StartThreads();
  Status Start();
  void StopEverything();

  // Create (client_core_create.cpp).
  struct NewMailboxes;
  Result<std::vector<OwnMailbox>> CreateMailboxes(const crypto::X25519KeyPair& identity,
                                                  const std::vector<RelaySpec>& relays, unsigned k);
  Status InitStore(const std::filesystem::path& dir, const Passphrase& passphrase,
                   const crypto::X25519KeyPair& identity, std::uint32_t registration_id,
                   std::vector<OwnMailbox> mailboxes);

  // Upkeep (upkeep.cpp): pre-keys, tokens, rotation, retention.
  void OnRelayState(const RelayAddress& relay, net::LinkState state, Status status);
  Awaitable<void> MailboxUpkeep(std::uint32_t index);
  // Sends our signed pre-key (unless `count_only` and this relay has it already) and
  // learns how many one-time pre-keys are left; tops them up when few are.
  Awaitable<Status> PublishPrekeys(std::uint32_t index, bool count_only);
  // Counts (and tops up) the one-time pre-keys of every connected mailbox when
  // prekey_check_interval has passed, and retries its waiting token registrations.
  void CheckPrekeysIfDue();
  // Registers the tokens we gave contacts on mailbox `index` that the relay does not
  // have yet. A contact whose reply addresses went out without this mailbox is
  // announced to again once its token is in.
  Awaitable<Status> RegisterTokens(std::uint32_t index);
  // The work of RegisterTokens, under its per-mailbox exclusion; the contacts to
  // announce to again are added to `reopened`.
  Awaitable<Status> RegisterWaitingTokens(std::uint32_t index, std::vector<std::string>* reopened);
  Awaitable<void> Announce(std::string contact_id);
  void ScheduleMaintenance();
  Awaitable<void> Maintenance();
  Status RotateKeys();
  Status ExpirePending();
  // Pairwise messages stored by a relay whose receipt never came before they expired:
  // one kUndelivered event each.
  Status ReportUnconfirmed();

  ClientOptions options_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<RandomRng> rng_;
  CoreContext context_;
  std::atomic<bool> closed_{false};
  // Shared while a call is handed to the worker, exclusive while Close begins, so no
  // call reaches a worker being torn down.
  mutable std::shared_mutex lifecycle_;
  std::atomic<bool> started_{false};
  crypto::PublicKey identity_public_{};

  std::unique_ptr<asio::io_context> worker_io_;
  std::unique_ptr<asio::io_context> net_io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> worker_guard_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> net_guard_;
  std::thread worker_thread_;
  std::thread net_thread_;
  std::unique_ptr<Transport> transport_;

  std::shared_ptr<crypto::SignalContext> signal_;
  std::unique_ptr<store::DeviceStore> store_;
  std::unique_ptr<store::DeviceSignalStore> signal_store_;
  std::unique_ptr<crypto::SignalStoreContext> store_context_;
  crypto::StaticDhCache dh_cache_;
  std::unique_ptr<DeviceKeys> keys_;
  std::unique_ptr<OwnMailboxes> mailboxes_;
  std::unique_ptr<ContactBook> contacts_;
  std::unique_ptr<groups::GroupBook> group_book_;
  std::unique_ptr<SeenIds> seen_;
  std::unique_ptr<PendingQueue> pending_;
  std::unique_ptr<EventDispatcher> dispatcher_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<PairwiseSender> pairwise_;
  std::unique_ptr<Receiver> receiver_;
  std::unique_ptr<groups::GroupService> group_service_;
  std::unique_ptr<asio::steady_timer> maintenance_timer_;
  std::uint64_t last_slow_upkeep_ms_ = 0;
  std::chrono::steady_clock::time_point next_prekey_check_{};
  std::map<std::string, std::pair<net::LinkState, Status>> relay_states_;  // worker only
  // Mailboxes with a pre-key upload / a token registration running (worker only).
  std::set<std::uint32_t> publishing_;
  std::set<std::uint32_t> registering_;
  // Waits until `index` is not in `busy`, then puts it there (ExclusiveGuard takes it
  // out): one run at a time per mailbox, on the worker.
  Awaitable<void> Exclusive(std::set<std::uint32_t>& busy, std::uint32_t index);
  struct ExclusiveGuard {
    ExclusiveGuard(std::set<std::uint32_t>& busy, std::uint32_t index)
        : busy_(busy), index_(index) {}
    ~ExclusiveGuard() { busy_.erase(index_); }
    ExclusiveGuard(const ExclusiveGuard&) = delete;
    ExclusiveGuard& operator=(const ExclusiveGuard&) = delete;
    std::set<std::uint32_t>& busy_;
    std::uint32_t index_;
  };
};

template <typename T>
Result<T> ClientCore::Run(std::function<Awaitable<Result<T>>()> fn) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  std::shared_lock<std::shared_mutex> lock(lifecycle_);
  if (closed_.load() || !started_.load()) return Status::Unavailable("the client is closed");
  if (worker_io_->get_executor().running_in_this_thread()) {
    return Status::Internal("called from the client's own thread");
  }
  asio::co_spawn(
      *worker_io_,
      [fn = std::move(fn), promise]() -> Awaitable<void> { promise->set_value(co_await fn()); },
      [promise](std::exception_ptr error) {
        if (error) {
          try {
            promise->set_value(Status::Internal("unexpected exception in the client"));
          } catch (...) {
          }
        }
      });
  lock.unlock();
  try {
    return future.get();
  } catch (...) {
    return Status::Unavailable("the client was closed during the call");
  }
}

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_CLIENT_CORE_H_
