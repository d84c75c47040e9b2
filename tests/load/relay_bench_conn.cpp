#include "relay_bench_conn.h"

#include <asio/experimental/as_tuple.hpp>

namespace tocsin::bench {

BenchTls::BenchTls() : ctx_(SSL_CTX_new(TLS_client_method())) {
  if (ctx_ == nullptr) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx_, TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  // Tickets are taken from each connection (Session()), never from a shared cache.
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // One read() takes all the socket holds, as asio::ssl::stream does for the client
  // library, instead of a header read and a body read per record.
  SSL_CTX_set_read_ahead(ctx_, 1);
}

BenchTls::~BenchTls() { SSL_CTX_free(ctx_); }

std::array<std::uint8_t, 64 * 1024>& ReadBuffer() {
  thread_local std::array<std::uint8_t, 64 * 1024> buffer;
  return buffer;
}

google::protobuf::Arena& FrameArena() {
  alignas(16) thread_local std::array<char, 64 * 1024> block;
  thread_local google::protobuf::Arena arena(block.data(), block.size());
  return arena;
}

BenchConn::BenchConn(asio::io_context& io, const BenchTls& tls) : socket_(io), tls_(tls.get()) {}

BenchConn::~BenchConn() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

awaitable<void> BenchConn::Wait(asio::socket_base::wait_type what) {
  if (what == asio::socket_base::wait_read) {
    // A receive, as the relay's connections wait (relay/src/net/socket_bio.h).
    if (bio_.pending() > 0) co_return;
    auto [ec, n] = co_await socket_.async_receive(asio::buffer(received_),
                                                  asio::experimental::as_tuple(use_awaitable));
    if (ec) throw std::runtime_error("wait: " + ec.message());
    bio_.Received(n);
    co_return;
  }
  auto [ec] = co_await socket_.async_wait(what, asio::experimental::as_tuple(use_awaitable));
  if (ec) throw std::runtime_error("wait: " + ec.message());
}

asio::socket_base::wait_type BenchConn::WaitFor(int result) const {
  const int err = SSL_get_error(ssl_, result);
  if (err == SSL_ERROR_WANT_READ) return asio::socket_base::wait_read;
  if (err == SSL_ERROR_WANT_WRITE) return asio::socket_base::wait_write;
  if (err == SSL_ERROR_ZERO_RETURN) throw std::runtime_error("closed by the relay");
  throw std::runtime_error("TLS error " + std::to_string(err));
}

awaitable<void> BenchConn::Open(const asio::ip::tcp::endpoint& endpoint, TlsSession resume) {
  co_await socket_.async_connect(endpoint, use_awaitable);
  socket_.non_blocking(true);
  socket_.set_option(asio::ip::tcp::no_delay(true));
  ssl_ = SSL_new(tls_);
  if (ssl_ == nullptr || !bio_.Attach(ssl_, socket_.native_handle())) {
    throw std::runtime_error("SSL_new failed");
  }
  SSL_set_connect_state(ssl_);
  if (resume) SSL_set_session(ssl_, resume.get());
  for (;;) {
    tocsin::relay::ClearTlsErrors();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) co_return;
    co_await Wait(WaitFor(r));
  }
}

TlsSession BenchConn::Session() const {
  SSL_SESSION* session = ssl_ != nullptr ? SSL_get1_session(ssl_) : nullptr;
  if (session == nullptr) return nullptr;
  return TlsSession(session, SSL_SESSION_free);
}

void BenchConn::Queue(const wire::Request& request) {
  wire::Frame frame;
  *frame.mutable_request() = request;
  Queue(frame);
}

void BenchConn::Queue(const wire::Frame& frame) {
  (void)AppendFrame(frame, &out_, 64 * 1024 * 1024);
}

awaitable<bool> BenchConn::Flush() {
  bool waited = false;
  while (written_ < out_.size()) {
    tocsin::relay::ClearTlsErrors();
    const int n = SSL_write(ssl_, out_.data() + written_, static_cast<int>(out_.size() - written_));
    if (n > 0) {
      written_ += static_cast<std::size_t>(n);
      continue;
    }
    co_await Wait(WaitFor(n));
    waited = true;
  }
  out_.clear();
  written_ = 0;
  co_return waited;
}

awaitable<wire::Response> BenchConn::Call(wire::Request request) {
  request.set_id(NextId());
  const std::uint64_t id = request.id();
  Queue(request);
  co_await Flush();
  std::optional<wire::Response> response;
  while (!response) {
    co_await ReadSome([&](const wire::Frame& f) {
      if (f.has_response() && f.response().id() == id) response = f.response();
    });
  }
  co_return *response;
}

void BenchConn::CloseCleanly() {
  if (ssl_ != nullptr) SSL_shutdown(ssl_);
  asio::error_code ec;
  socket_.close(ec);
}

}  // namespace tocsin::bench
