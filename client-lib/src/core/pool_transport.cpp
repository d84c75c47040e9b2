#include "core/pool_transport.h"

#ifdef TOCSIN_HAVE_NET
#include "net/relay_pool.h"
#endif

namespace tocsin::core {

#ifdef TOCSIN_HAVE_NET
namespace {

class PoolTransport final : public Transport {
 public:
  explicit PoolTransport(net::RelayPoolOptions options) : pool_(options) {}

  void SetDeliveryHandler(std::function<void(net::IncomingDelivery)> handler) override {
    pool_.SetDeliveryHandler(std::move(handler));
  }
  void SetStateHandler(
      std::function<void(const RelayAddress&, net::LinkState, Status)> handler) override {
    pool_.SetStateHandler(std::move(handler));
  }
  void AddMailbox(const RelayAddress& relay, const MailboxId& mailbox, const net::AuthKeyPair& key,
                  net::StatusCallback done) override {
    pool_.AddMailbox(relay, mailbox, key, std::move(done));
  }
  void Ack(const RelayAddress& relay, const MailboxId& mailbox, std::uint64_t seq) override {
    pool_.Ack(relay, mailbox, seq);
  }
  void CreateMailbox(const RelayAddress& relay, const std::string& invite,
                     const net::AuthKeyPair& key, net::Callback<MailboxId> done) override {
    pool_.CreateMailbox(relay, invite, key, std::move(done));
  }
  void SetTokens(const RelayAddress& relay, const MailboxId& mailbox,
                 std::vector<wire::TokenEntry> tokens, net::Callback<std::uint32_t> done) override {
    pool_.SetTokens(relay, mailbox, std::move(tokens), std::move(done));
  }
  void RotateToken(const RelayAddress& relay, const MailboxId& mailbox, wire::RotateToken request,
                   net::Callback<std::uint64_t> done) override {
    pool_.RotateToken(relay, mailbox, std::move(request), std::move(done));
  }
  void PutPrekeys(const RelayAddress& relay, const MailboxId& mailbox, wire::PutPrekeys request,
                  net::Callback<std::uint32_t> done) override {
    pool_.PutPrekeys(relay, mailbox, std::move(request), std::move(done));
  }
  void Send(const RelayAddress& relay, const MailboxId& mailbox, const Token& token,
            std::string envelope, std::uint32_t ttl_seconds, net::StatusCallback done) override {
    pool_.Send(relay, mailbox, token, std::move(envelope), ttl_seconds, std::move(done));
  }
  void SendToMany(const RelayAddress& relay, std::string blob, std::uint32_t ttl_seconds,
                  std::vector<net::OutgoingView> views,
                  net::Callback<std::vector<Code>> done) override {
    pool_.SendToMany(relay, std::move(blob), ttl_seconds, std::move(views), std::move(done));
  }
  void GetPrekeyBundle(const RelayAddress& relay, const MailboxId& mailbox, const Token& token,
                       net::Callback<wire::PrekeyBundle> done) override {
    pool_.GetPrekeyBundle(relay, mailbox, token, std::move(done));
  }
  net::LinkState State(const RelayAddress& relay) const override { return pool_.State(relay); }
  std::optional<wire::Limits> Limits(const RelayAddress& relay) const override {
    return pool_.Limits(relay);
  }
  std::optional<std::int64_t> ClockOffsetMs() const override { return pool_.ClockOffsetMs(); }

 private:
  net::RelayPool pool_;
};

}  // namespace

std::unique_ptr<Transport> MakePoolTransport(asio::io_context& net, const ClientOptions& options,
                                             crypto::Rng& rng) {
  net::RelayPoolOptions pool;
  pool.io = &net;
  pool.window = options.window;
  pool.backoff_min = options.reconnect_min;
  pool.backoff_max = options.reconnect_max;
  pool.request_timeout = options.request_timeout;
  pool.rng = &rng;
  if (options.clock) {
    pool.wall_clock = [clock = options.clock] { return static_cast<std::int64_t>(clock->NowMs()); };
  }
  return std::make_unique<PoolTransport>(pool);
}

#else

std::unique_ptr<Transport> MakePoolTransport(asio::io_context&, const ClientOptions&,
                                             crypto::Rng&) {
  return nullptr;
}

#endif

}  // namespace tocsin::core
