// What a pool's links share: the io_context, the TLS contexts, the options, the handlers
// and the board of per-relay facts that RelayPool's getters read from other threads.
//
// Links hold the environment by shared_ptr: asynchronous work may outlive the pool for
// a moment, and must then find `closed` set and the handlers gone.
//
// Thread-safety: LinkBoard is locked (read from any thread); everything else is touched
// on the io_context's thread only.
#ifndef TOCSIN_NET_LINK_ENV_H_
#define TOCSIN_NET_LINK_ENV_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "crypto/random.h"
#include "net/relay_connection.h"
#include "net/relay_pool.h"
#include "net/tls_client.h"

namespace tocsin::net {

struct RelaySnapshot {
  LinkState state = LinkState::kConnecting;
  std::optional<wire::Limits> limits;
  std::int64_t clock_skew_ms = 0;  // from the last HelloOk or Pong, owner or send link
  // From this device's own owner link only (HelloOk and Pong): what MedianSkew counts.
  std::optional<std::int64_t> owner_clock_skew_ms;
};

class LinkBoard {
 public:
  void SetState(const RelayAddress& relay, LinkState state);
  // `own_relay`: measured on our owner link (a relay holding one of our mailboxes), not
  // on a send link to a relay a contact named.
  void SetHello(const RelayAddress& relay, const wire::Limits& limits, std::int64_t skew_ms,
                bool own_relay);
  void SetSkew(const RelayAddress& relay, std::int64_t skew_ms, bool own_relay);
  RelaySnapshot Get(const RelayAddress& relay) const;
  // The median clock skew over our own relays measured so far, on owner links only
  // (RelayPool::ClockOffsetMs): a relay a contact's card names is run by someone else,
  // and must not set the clock our alerts' times are read in.
  std::optional<std::int64_t> MedianSkew() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, RelaySnapshot> relays_;  // GUARDED_BY(mu_), by address text
};

struct LinkEnv {
  LinkEnv(asio::io_context& io_context, RelayPoolOptions pool_options)
      : io(io_context), options(std::move(pool_options)) {}

  asio::io_context& io;
  RelayPoolOptions options;
  std::unique_ptr<ClientTls> tls;  // null when OpenSSL refused to set it up
  LinkBoard board;
  std::function<void(IncomingDelivery)> on_delivery;
  std::function<void(const RelayAddress&, LinkState, Status)> on_state;
  std::function<void(const RelayAddress&, const wire::Authenticated&)> on_authenticated;
  bool closed = false;

  crypto::Rng& rng() { return options.rng != nullptr ? *options.rng : crypto::DefaultRng(); }
  std::int64_t NowWallMs() const {
    return options.wall_clock ? options.wall_clock() : WallClockMs();
  }
};

}  // namespace tocsin::net

#endif  // TOCSIN_NET_LINK_ENV_H_
