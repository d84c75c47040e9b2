// CoreContext: the parts of one client that its modules share. Owned by ClientCore;
// every pointer is set while the client is open.
//
// Thread-safety: everything reachable from here belongs to the client's worker thread,
// except what is documented otherwise (the store and the transport are thread-safe).
#ifndef TOCSIN_CORE_CORE_CONTEXT_H_
#define TOCSIN_CORE_CORE_CONTEXT_H_

#include <algorithm>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/environment.h"
#include "crypto/sealed_sender.h"
#include "crypto/signal_context.h"
#include "crypto/signal_store_context.h"
#include "store/device_signal_store.h"
#include "store/device_store.h"
#include "tocsin/types.h"

namespace tocsin::groups {
class GroupBook;
}

namespace tocsin::core {

class ContactBook;
class DeviceKeys;
class Inbox;
class OwnMailboxes;
class Outbox;
class PendingQueue;
class SeenIds;
class Transport;

template <typename Rep, typename Period>
constexpr std::uint64_t ToMs(std::chrono::duration<Rep, Period> d) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

struct CoreContext {
  Env env;
  ClientOptions options;
  asio::io_context* worker = nullptr;
  store::DeviceStore* store = nullptr;
  crypto::SignalContext* signal = nullptr;
  store::DeviceSignalStore* signal_store = nullptr;
  crypto::SignalStoreContext* store_context = nullptr;
  crypto::StaticDhCache* dh_cache = nullptr;
  Transport* transport = nullptr;
  DeviceKeys* keys = nullptr;
  OwnMailboxes* mailboxes = nullptr;
  ContactBook* contacts = nullptr;
  groups::GroupBook* groups = nullptr;
  Outbox* outbox = nullptr;
  Inbox* inbox = nullptr;
  SeenIds* seen = nullptr;
  PendingQueue* pending = nullptr;

  // Makes sure a contact's delivery tokens are registered on our relays and that our
  // reply addresses reach it (sends an announcement when nothing else is on its way).
  std::function<void(const std::string& contact_id)> announce;
  // Sends a group's current sender key to a contact (an added member, a resend).
  std::function<void(const std::string& group_id, const std::string& contact_id)> distribute;

  // Retired keys and seen ids are kept this long (SPEC.md 10.4.1: TTL cap + 7 days).
  std::uint64_t RetentionMs() const { return ToMs(options.ttl_cap) + 7 * 24 * 3600 * 1000ull; }

  // The TTL a message is sent with: `ttl_ms` (0: the default TTL), at most the TTL cap.
  // Seen message ids are kept the TTL cap plus a day from the first copy, so they
  // outlive every copy of a message sent with it.
  std::uint64_t SendTtlMs(std::uint64_t ttl_ms) const {
    return std::min(ttl_ms != 0 ? ttl_ms : ToMs(options.default_ttl), ToMs(options.ttl_cap));
  }
};

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_CORE_CONTEXT_H_
