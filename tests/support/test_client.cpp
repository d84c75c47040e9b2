#include "test_client.h"

#include <openssl/sha.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <optional>

#include "tocsin/frame_codec.h"

namespace tocsin::testing {
namespace {

using Clock = std::chrono::steady_clock;

Status TimedOut() { return Status::Unavailable("timed out"); }

// SHA-256 of the certificate's DER SPKI (proto/SPEC.md section 1.1); all zero on failure.
Pin SpkiPin(X509* cert) {
  unsigned char* der = nullptr;
  const int length = cert != nullptr ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der) : 0;
  Pin got{};
  if (length > 0) SHA256(der, static_cast<std::size_t>(length), got.data());
  OPENSSL_free(der);
  return got;
}

bool PinMatches(X509* cert, const Pin& pin) {
  const Pin got = SpkiPin(cert);
  const Pin zero{};
  return got != zero && sodium_memcmp(got.data(), pin.data(), pin.size()) == 0;
}

}  // namespace

AuthKeyPair AuthKeyPair::Generate() {
  AuthKeyPair k;
  k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(k.public_key.data()),
                      reinterpret_cast<unsigned char*>(k.secret_key.data()));
  return k;
}

std::string AuthKeyPair::Sign(const std::string& message) const {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key.data()));
  return sig;
}

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string RandomToken() { return RandomBytes(16); }

std::string TokenHash(const std::string& token) {
  std::string hash(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return hash;
}

std::string AuthMessage(const std::string& nonce, const std::string& mailbox_id) {
  return "tocsin/relay/auth/v1" + nonce + mailbox_id;
}

std::string CreateMailboxMessage(const std::string& nonce, const std::string& auth_key) {
  return "tocsin/relay/create-mailbox/v1" + nonce + auth_key;
}

Status ErrorStatus(const wire::Error& error) {
  if (error.code() == wire::OK) return Status::Internal("error without a code");
  return Status(static_cast<Code>(error.code()), error.message());
}

struct TestClient::Impl {
  asio::io_context io{1};
  asio::ssl::context tls{asio::ssl::context::tls_client};
  asio::ssl::stream<asio::ip::tcp::socket> stream{io, tls};
  FrameDecoder decoder{64 * 1024 * 1024};
  std::deque<wire::Frame> frames;
  std::map<std::uint64_t, wire::Response> responses;
  std::deque<wire::Delivery> deliveries;
  std::array<std::uint8_t, 64 * 1024> buffer{};
  bool read_pending = false;
  std::optional<std::pair<asio::error_code, std::size_t>> read_result;
  bool closed = false;

  // Runs the io_context until `done()` or the deadline.
  template <typename Done>
  bool RunUntil(Done done, Clock::time_point deadline) {
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      if (io.stopped()) io.restart();
      io.run_one_until(deadline);
    }
    return true;
  }

  // Reads once more from the socket (or finishes a read begun by an earlier call).
  Status Fill(Clock::time_point deadline) {
    if (closed) return Status::Unavailable("connection closed");
    if (!read_pending) {
      read_pending = true;
      stream.async_read_some(asio::buffer(buffer), [this](asio::error_code ec, std::size_t n) {
        read_pending = false;
        read_result.emplace(ec, n);
      });
    }
    if (!RunUntil([this] { return read_result.has_value(); }, deadline)) return TimedOut();
    auto [ec, n] = *read_result;
    read_result.reset();
    if (ec) {
      closed = true;
      return Status::Unavailable("connection closed: " + ec.message());
    }
    std::span<const std::uint8_t> bytes(buffer.data(), n);
    while (!bytes.empty()) {
      wire::Frame frame;
      const FrameDecoder::Step step = decoder.Decode(bytes, &frame);
      bytes = bytes.subspan(step.consumed);
      if (step.state == FrameDecoder::State::kBad) return decoder.error();
      if (step.state == FrameDecoder::State::kFrame) frames.push_back(std::move(frame));
      if (step.state == FrameDecoder::State::kNeedMore) break;
    }
    return Status::Ok();
  }

  Result<wire::Frame> NextFrame(Clock::time_point deadline) {
    while (frames.empty()) TOCSIN_RETURN_IF_ERROR(Fill(deadline));
    wire::Frame frame = std::move(frames.front());
    frames.pop_front();
    return frame;
  }

  // Sorts one frame into responses or deliveries.
  void File(wire::Frame frame) {
    if (frame.has_response()) {
      const std::uint64_t id = frame.response().id();
      responses[id] = std::move(*frame.mutable_response());
    } else if (frame.has_push() && frame.push().has_delivery()) {
      deliveries.push_back(std::move(*frame.mutable_push()->mutable_delivery()));
    }
  }

  template <typename Socket>
  Status Write(Socket& s, const std::string& bytes, Clock::time_point deadline) {
    std::optional<asio::error_code> done;
    asio::async_write(s, asio::buffer(bytes),
                      [&done](asio::error_code ec, std::size_t) { done = ec; });
    if (!RunUntil([&] { return done.has_value(); }, deadline)) {
      // A write cannot be left behind (it points at `bytes`): close and finish it.
      asio::error_code ignored;
      stream.next_layer().close(ignored);
      RunUntil([&] { return done.has_value(); }, Clock::now() + std::chrono::seconds(5));
      closed = true;
      return TimedOut();
    }
    if (*done) return Status::Unavailable("write failed: " + done->message());
    return Status::Ok();
  }
};

TestClient::TestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TestClient::~TestClient() {
  asio::error_code ec;
  impl_->stream.next_layer().close(ec);
}

Result<std::unique_ptr<TestClient>> TestClient::Connect(const RelayAddress& address,
                                                        milliseconds timeout, TlsSession resume,
                                                        int tls_version) {
  auto impl = std::make_unique<Impl>();
  const auto deadline = Clock::now() + timeout;
  // On the connection itself: the stream's SSL object was made with the context's
  // settings of that time, so settings made on the context now would not apply.
  SSL* ssl = impl->stream.native_handle();
  SSL_set_min_proto_version(ssl, tls_version);
  SSL_set_max_proto_version(ssl, tls_version);
  impl->stream.set_verify_mode(asio::ssl::verify_peer);
  const Pin pin = address.pin;
  impl->stream.set_verify_callback([pin](bool, asio::ssl::verify_context& vc) {
    X509_STORE_CTX* store = vc.native_handle();
    if (X509_STORE_CTX_get_error_depth(store) != 0) return true;
    return PinMatches(X509_STORE_CTX_get_current_cert(store), pin);
  });
  asio::error_code ec;
  const auto ip = asio::ip::make_address(address.host, ec);
  if (ec) return Status::InvalidArgument("host must be an IP address in tests");
  std::optional<asio::error_code> done;
  impl->stream.next_layer().async_connect({ip, address.port},
                                          [&](asio::error_code e) { done = e; });
  if (!impl->RunUntil([&] { return done.has_value(); }, deadline)) return TimedOut();
  if (*done) return Status::Unavailable("connect: " + done->message());
  impl->stream.next_layer().set_option(asio::ip::tcp::no_delay(true));
  done.reset();
  if (resume) SSL_set_session(impl->stream.native_handle(), resume.get());
  impl->stream.async_handshake(asio::ssl::stream_base::client,
                               [&](asio::error_code e) { done = e; });
  if (!impl->RunUntil([&] { return done.has_value(); }, deadline)) return TimedOut();
  if (*done) return Status::Unavailable("TLS handshake: " + done->message());
  return std::unique_ptr<TestClient>(new TestClient(std::move(impl)));
}

TlsSession TestClient::Session() const {
  return TlsSession(SSL_get1_session(impl_->stream.native_handle()), SSL_SESSION_free);
}

bool TestClient::Resumed() const { return SSL_session_reused(impl_->stream.native_handle()) == 1; }

Pin TestClient::PeerPin() const {
  X509* cert = SSL_get1_peer_certificate(impl_->stream.native_handle());
  const Pin pin = SpkiPin(cert);
  X509_free(cert);
  return pin;
}

Status TestClient::WriteRaw(const std::string& bytes) {
  return impl_->Write(impl_->stream, bytes, Clock::now() + kDefaultTimeout);
}

Status TestClient::WriteRawTcp(const std::string& bytes) {
  return impl_->Write(impl_->stream.next_layer(), bytes, Clock::now() + kDefaultTimeout);
}

Result<wire::Frame> TestClient::ReadFrame(milliseconds timeout) {
  return impl_->NextFrame(Clock::now() + timeout);
}

bool TestClient::WaitClosed(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!impl_->closed) {
    Status s = impl_->Fill(deadline);
    if (s.ok()) continue;
    if (s.message() == "timed out") return false;
    if (!impl_->closed) return true;  // undecodable stream: as good as closed
  }
  return true;
}

Result<std::uint64_t> TestClient::SendRequest(wire::Request request) {
  if (request.id() == 0) request.set_id(next_id_++);
  wire::Frame frame;
  *frame.mutable_request() = std::move(request);
  Result<std::string> bytes = EncodeFrame(frame, 64 * 1024 * 1024);
  if (!bytes.ok()) return bytes.status();
  TOCSIN_RETURN_IF_ERROR(WriteRaw(*bytes));
  return frame.request().id();
}

Result<wire::Response> TestClient::WaitResponse(std::uint64_t id, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto it = impl_->responses.find(id);
    if (it != impl_->responses.end()) {
      wire::Response response = std::move(it->second);
      impl_->responses.erase(it);
      return response;
    }
    Result<wire::Frame> frame = impl_->NextFrame(deadline);
    if (!frame.ok()) return frame.status();
    impl_->File(std::move(*frame));
  }
}

Result<wire::Response> TestClient::Call(wire::Request request, milliseconds timeout) {
  Result<std::uint64_t> id = SendRequest(std::move(request));
  if (!id.ok()) return id.status();
  return WaitResponse(*id, timeout);
}

Result<wire::Delivery> TestClient::NextDelivery(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (impl_->deliveries.empty()) {
    Result<wire::Frame> frame = impl_->NextFrame(deadline);
    if (!frame.ok()) return frame.status();
    impl_->File(std::move(*frame));
  }
  wire::Delivery d = std::move(impl_->deliveries.front());
  impl_->deliveries.pop_front();
  return d;
}

bool TestClient::NoDeliveryWithin(milliseconds quiet) {
  Result<wire::Delivery> d = NextDelivery(quiet);
  if (d.ok()) {
    impl_->deliveries.push_front(std::move(*d));
    return false;
  }
  return true;
}

bool RelayClosesAfterRawBytes(std::uint16_t port, const std::string& bytes, milliseconds timeout) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  asio::error_code ec;
  socket.connect({asio::ip::address_v4::loopback(), port}, ec);
  if (ec) return false;
  asio::write(socket, asio::buffer(bytes), ec);
  std::array<char, 4096> buf;
  bool closed = false;
  std::function<void()> read = [&] {
    socket.async_read_some(asio::buffer(buf), [&](asio::error_code e, std::size_t) {
      if (e) {
        closed = true;
        return;
      }
      read();
    });
  };
  read();
  io.run_for(timeout);
  return closed;
}

}  // namespace tocsin::testing
