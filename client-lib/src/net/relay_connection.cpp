// Opening a relay connection: resolve, TCP, TLS with the pin check, Hello.
// Requests, deadlines and frames: relay_connection_io.cpp.
#include "net/relay_connection.h"

#include <openssl/x509.h>

#include "net/relay_errors.h"
#include "net/tls_pin.h"

namespace tocsin::net {
namespace {

Status PinMismatch() { return Status::Unauthorized("relay pin mismatch"); }

}  // namespace

std::int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t SkewMs(std::uint64_t server_time_ms, std::int64_t sent_at_ms, std::int64_t now_ms) {
  return static_cast<std::int64_t>(server_time_ms) - (sent_at_ms + now_ms) / 2;
}

std::shared_ptr<RelayConnection> RelayConnection::Create(asio::io_context& io, ClientTls& tls,
                                                         RelayAddress relay,
                                                         ConnectionOptions options) {
  return std::shared_ptr<RelayConnection>(
      new RelayConnection(io, tls, std::move(relay), std::move(options)));
}

RelayConnection::RelayConnection(asio::io_context& io, ClientTls& tls, RelayAddress relay,
                                 ConnectionOptions options)
    : io_(io),
      resolver_(io),
      stream_(io, options.kind == wire::OWNER ? tls.owner : tls.send),
      timer_(io),
      relay_(std::move(relay)),
      options_(std::move(options)) {}

RelayConnection::~RelayConnection() {
  // The SSL may outlive this object's members for a moment: stop it writing tickets here.
  SetTicketSlot(stream_.native_handle(), nullptr);
}

void RelayConnection::Open(OpenedCallback opened) {
  opened_ = std::move(opened);
  state_ = State::kConnecting;
  open_deadline_ = Clock::now() + options_.connect_timeout;
  ArmTimer();
  resolver_.async_resolve(
      relay_.host, std::to_string(relay_.port),
      [self = shared_from_this()](const asio::error_code& ec,
                                  asio::ip::tcp::resolver::results_type endpoints) {
        self->OnResolved(ec, std::move(endpoints));
      });
}

void RelayConnection::OnResolved(const asio::error_code& ec,
                                 asio::ip::tcp::resolver::results_type endpoints) {
  if (state_ != State::kConnecting) return;
  if (ec) return Close(ConnectionLost("cannot resolve the relay's host: " + ec.message()));
  asio::async_connect(
      stream_.next_layer(), endpoints,
      [self = shared_from_this()](const asio::error_code& e, const asio::ip::tcp::endpoint&) {
        self->OnConnected(e);
      });
}

void RelayConnection::OnConnected(const asio::error_code& ec) {
  if (state_ != State::kConnecting) return;
  if (ec) return Close(ConnectionLost("cannot connect to the relay: " + ec.message()));
  asio::error_code ignored;
  stream_.next_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
  if (Status status = PrepareTls(); !status.ok()) return Close(status);
  stream_.async_handshake(
      asio::ssl::stream_base::client,
      [self = shared_from_this()](const asio::error_code& e) { self->OnHandshake(e); });
}

// The pin check, and for an owner connection its ticket slot and the session to resume.
Status RelayConnection::PrepareTls() {
  SSL* ssl = stream_.native_handle();
  if (options_.kind == wire::OWNER) {
    SetTicketSlot(ssl, &ticket_);
    if (options_.resume && SSL_set_session(ssl, options_.resume.get()) != 1) {
      return Status::Internal("cannot offer the saved TLS session");
    }
  }
  asio::error_code ec;
  stream_.set_verify_mode(asio::ssl::verify_peer, ec);
  if (!ec) {
    stream_.set_verify_callback(
        [this](bool preverified, asio::ssl::verify_context& context) {
          return VerifyPeer(preverified, context);
        },
        ec);
  }
  if (ec) return Status::Internal("cannot set up the pin check: " + ec.message());
  return Status::Ok();
}

// SPEC.md section 2.3: only the leaf's key counts; the chain, dates and names do not.
bool RelayConnection::VerifyPeer(bool, asio::ssl::verify_context& context) {
  X509_STORE_CTX* store = context.native_handle();
  if (X509_STORE_CTX_get_error_depth(store) != 0) return true;
  if (CertificateMatchesPin(X509_STORE_CTX_get_current_cert(store), relay_.pin)) return true;
  pin_mismatch_ = true;
  return false;
}

void RelayConnection::OnHandshake(const asio::error_code& ec) {
  if (state_ != State::kConnecting) return;
  if (pin_mismatch_) return Close(PinMismatch());
  if (ec) return Close(ConnectionLost("TLS handshake with the relay failed: " + ec.message()));
  // Checked again on the finished connection: a resumed session carries the certificate
  // of the connection that made it, and nothing unpinned may ever pass.
  X509* peer = SSL_get0_peer_certificate(stream_.native_handle());
  if (!CertificateMatchesPin(peer, relay_.pin)) return Close(PinMismatch());
  resumed_ = SSL_session_reused(stream_.native_handle()) == 1;
  state_ = State::kHello;
  Read();
  SendHello();
}

void RelayConnection::SendHello() {
  wire::Request request;
  request.mutable_hello()->set_version(wire::PROTOCOL_VERSION_1);
  request.mutable_hello()->set_kind(options_.kind);
  const std::int64_t sent_at = NowWallMs();
  const std::uint64_t id =
      Register([self = shared_from_this(), sent_at](Result<wire::Response> answer) {
        self->OnHelloAnswer(std::move(answer), sent_at);
      });
  // The Hello's deadline is the open deadline.
  deadlines_.erase({pending_[id].deadline, id});
  pending_[id].deadline = open_deadline_;
  deadlines_.insert({open_deadline_, id});
  Write(id, std::move(request));
}

void RelayConnection::OnHelloAnswer(Result<wire::Response> answer, std::int64_t sent_at_ms) {
  if (state_ != State::kHello) return;
  Status status = answer.ok() ? CheckAnswer(*answer, wire::Response::kHello) : answer.status();
  if (status.ok() && answer->hello().version() != wire::PROTOCOL_VERSION_1) {
    status = Status::UnsupportedVersion("relay answered another protocol version");
  }
  if (!status.ok()) return Close(status.Annotate("relay refused Hello"));
  hello_ = std::move(*answer->mutable_hello());
  clock_skew_ms_ = SkewMs(hello_.server_time_ms(), sent_at_ms, NowWallMs());
  state_ = State::kOpen;
  for (auto& [id, request] : std::exchange(waiting_, {})) Write(id, std::move(request));
  ArmTimer();
  if (auto opened = std::exchange(opened_, nullptr)) opened(hello_);
}

std::int64_t RelayConnection::NowWallMs() const {
  return options_.wall_clock ? options_.wall_clock() : WallClockMs();
}

void RelayConnection::SetPushHandler(std::function<void(wire::Push)> handler) {
  push_handler_ = std::move(handler);
}

void RelayConnection::SetClosedHandler(std::function<void(Status)> handler) {
  closed_handler_ = std::move(handler);
}

void RelayConnection::Close(Status reason) {
  if (state_ == State::kClosed) return;
  auto self = shared_from_this();  // callbacks below may drop the last other reference
  state_ = State::kClosed;
  asio::error_code ignored;
  timer_.cancel();
  resolver_.cancel();
  stream_.lowest_layer().close(ignored);
  push_handler_ = nullptr;
  waiting_.clear();
  deadlines_.clear();
  quiet_.clear();  // nothing is told: a quiet request's outcome stays unknown
  auto opened = std::exchange(opened_, nullptr);
  auto closed = std::exchange(closed_handler_, nullptr);
  auto pending = std::exchange(pending_, {});
  if (opened) {
    opened(reason);
  } else if (closed) {
    closed(reason);
  }
  for (auto& [id, p] : pending) {
    if (p.done) p.done(reason);
  }
}

}  // namespace tocsin::net
