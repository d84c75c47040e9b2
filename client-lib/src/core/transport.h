// Transport: what the client core needs from its relay links, as a narrow interface.
//
// The real one is PoolTransport (core/pool_transport.h) over net::RelayPool, whose
// contract (client-lib/src/net/relay_pool.h) this mirrors; the meaning of every method
// is the pool's. Being an interface lets the logic above be tested and built alone.
//
// Callbacks may run on any thread (the network thread for the pool); the core posts
// them to its worker before touching its state.
//
// Thread-safety: every method may be called from any thread.
#ifndef TOCSIN_CORE_TRANSPORT_H_
#define TOCSIN_CORE_TRANSPORT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/relay_pool.h"
#include "tocsin/relay.pb.h"
#include "tocsin/relay_address.h"
#include "tocsin/status.h"

namespace tocsin::core {

using net::MailboxId;
using net::Token;

class Transport {
 public:
  virtual ~Transport() = default;

  virtual void SetDeliveryHandler(std::function<void(net::IncomingDelivery)> handler) = 0;
  virtual void SetStateHandler(
      std::function<void(const RelayAddress&, net::LinkState, Status)> handler) = 0;

  virtual void AddMailbox(const RelayAddress& relay, const MailboxId& mailbox,
                          const net::AuthKeyPair& key, net::StatusCallback done) = 0;
  virtual void Ack(const RelayAddress& relay, const MailboxId& mailbox, std::uint64_t seq) = 0;
  virtual void CreateMailbox(const RelayAddress& relay, const std::string& invite,
                             const net::AuthKeyPair& key, net::Callback<MailboxId> done) = 0;
  virtual void SetTokens(const RelayAddress& relay, const MailboxId& mailbox,
                         std::vector<wire::TokenEntry> tokens,
                         net::Callback<std::uint32_t> done) = 0;
  virtual void RotateToken(const RelayAddress& relay, const MailboxId& mailbox,
                           wire::RotateToken request, net::Callback<std::uint64_t> done) = 0;
  virtual void PutPrekeys(const RelayAddress& relay, const MailboxId& mailbox,
                          wire::PutPrekeys request, net::Callback<std::uint32_t> done) = 0;

  virtual void Send(const RelayAddress& relay, const MailboxId& mailbox, const Token& token,
                    std::string envelope, std::uint32_t ttl_seconds, net::StatusCallback done) = 0;
  virtual void SendToMany(const RelayAddress& relay, std::string blob, std::uint32_t ttl_seconds,
                          std::vector<net::OutgoingView> views,
                          net::Callback<std::vector<Code>> done) = 0;
  virtual void GetPrekeyBundle(const RelayAddress& relay, const MailboxId& mailbox,
                               const Token& token, net::Callback<wire::PrekeyBundle> done) = 0;

  virtual net::LinkState State(const RelayAddress& relay) const = 0;
  virtual std::optional<wire::Limits> Limits(const RelayAddress& relay) const = 0;
  // Relay clock minus ours (ms), over the relays measured so far; nothing before any.
  virtual std::optional<std::int64_t> ClockOffsetMs() const = 0;
};

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_TRANSPORT_H_
