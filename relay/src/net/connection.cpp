#include "net/connection.h"

#include <openssl/err.h>

#include <spdlog/spdlog.h>

#include "net/as_tuple.h"

namespace tocsin::relay {
namespace {

constexpr std::chrono::seconds kCloseGrace{5};

// OpenSSL's reason for the last failure on this thread ("unsupported protocol", ...).
std::string TlsError() {
  const unsigned long e = ERR_peek_last_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  return reason != nullptr ? reason : "connection closed";
}

int KindSlot(wire::ConnectionKind kind) {
  return kind == wire::OWNER ? 1 : kind == wire::SEND ? 2 : 0;
}

}  // namespace

Connection::Connection(Server& server, Worker& worker, SessionId id, asio::ip::tcp::socket socket)
    : server_(server),
      worker_(worker),
      id_(id),
      socket_(std::move(socket)),
      decoder_(static_cast<std::uint32_t>(server.config().max_frame_bytes)) {
  protocol_.emplace(id_, server_.env(), *this);
  const auto now = Clock::now();
  last_progress_ = now;
  deadline_ = now + std::chrono::seconds(server_.config().handshake_timeout_seconds);
  server_.metrics().connections[0].fetch_add(1, std::memory_order_relaxed);
}

Connection::~Connection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

void Connection::Start() {
  asio::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  ssl_ = SSL_new(server_.tls());
  if (ec || ssl_ == nullptr || !bio_.Attach(ssl_, socket_.native_handle())) {
    Abort();
    return;
  }
  SSL_set_accept_state(ssl_);
  asio::co_spawn(
      worker_.io, [self = shared_from_this()]() { return self->Run(); }, asio::detached);
}

asio::awaitable<void> Connection::Run() {
  auto self = shared_from_this();  // alive until the coroutine ends
  try {
    if (!co_await Handshake()) {
      // Closed meanwhile: the deadline sweep (or shutdown) ended it and counted it.
      if (state_ != State::kClosed) {
        // Scanners and clients with an old TLS do this all day: debug, and no address.
        spdlog::debug("TLS handshake failed: {}", TlsError());
        RelayMetrics::Add(server_.metrics().handshake_failures);
      }
      Abort();
      co_return;
    }
    if (state_ == State::kHandshake) state_ = State::kOpen;
    last_progress_ = Clock::now();
    co_await ReadLoop();
  } catch (const std::exception& e) {
    spdlog::debug("session ended by an exception: {}", e.what());
  }
  // Closing (an answer then close) finishes writing first; anything else ends now.
  if (state_ != State::kClosing) Abort();
}

// Readable: a receive into bio_'s buffer, not async_wait (net/socket_bio.h says why).
asio::awaitable<bool> Connection::WaitFor(asio::socket_base::wait_type what) {
  if (what == asio::socket_base::wait_read) {
    if (bio_.pending() > 0) co_return state_ != State::kClosed;
    const std::span<std::uint8_t> room = bio_.room();
    auto [ec, n] = co_await socket_.async_receive(asio::buffer(room.data(), room.size()), kAsTuple);
    if (!ec) bio_.Received(n);
    co_return !ec && state_ != State::kClosed;
  }
  auto [ec] = co_await socket_.async_wait(what, kAsTuple);
  co_return !ec && state_ != State::kClosed;
}

asio::awaitable<bool> Connection::Handshake() {
  for (;;) {
    ClearTlsErrors();
    const int r = SSL_accept(ssl_);
    if (r == 1) co_return true;
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ) {
      if (!co_await WaitFor(asio::socket_base::wait_read)) co_return false;
    } else if (err == SSL_ERROR_WANT_WRITE) {
      if (!co_await WaitFor(asio::socket_base::wait_write)) co_return false;
    } else {
      co_return false;
    }
  }
}

asio::awaitable<void> Connection::ReadLoop() {
  const std::size_t max_inflight = server_.config().max_inflight_requests;
  while (state_ == State::kOpen) {
    if (protocol_->inflight() >= max_inflight) {
      resume_.emplace(worker_.io, Clock::time_point::max());
      co_await resume_->async_wait(kAsTuple);
      resume_.reset();
      continue;
    }
    ClearTlsErrors();
    const int n =
        SSL_read(ssl_, worker_.read_buffer.data(), static_cast<int>(worker_.read_buffer.size()));
    if (n > 0) {
      bytes_since_progress_ += static_cast<std::size_t>(n);
      if (bytes_since_progress_ >= kProgressBytes) {
        last_progress_ = Clock::now();
        bytes_since_progress_ = 0;
      }
      RelayMetrics::Add(server_.metrics().bytes_received, static_cast<std::uint64_t>(n));
      Consume({worker_.read_buffer.data(), static_cast<std::size_t>(n)});
      // Nothing left in OpenSSL: the next SSL_read finds bio_ empty and says "would
      // block" without a recv() that would most often find the socket empty too; the
      // wait that follows (a receive) takes whatever is there at once. An Ack's record
      // fits bio_'s buffer: it costs the wait's recv() and no other.
      if (SSL_has_pending(ssl_) == 0) bio_.SkipNextRecv();
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) {
      if (!co_await WaitFor(asio::socket_base::wait_read)) co_return;
    } else if (err == SSL_ERROR_WANT_WRITE) {
      if (!co_await WaitFor(asio::socket_base::wait_write)) co_return;
    } else {
      co_return;  // closed by the peer (a truncated frame is simply dropped), or broken
    }
  }
}

void Connection::Consume(std::span<const std::uint8_t> bytes) {
  worker_.RunBatch([&] {
    wire::Frame frame;
    while (state_ == State::kOpen) {
      const FrameDecoder::Step step = decoder_.Decode(bytes, &frame);
      bytes = bytes.subspan(step.consumed);
      if (step.state == FrameDecoder::State::kNeedMore) break;
      if (step.state == FrameDecoder::State::kBad) {
        protocol_->OnDecodeError(decoder_.error());
        break;
      }
      protocol_->OnFrame(frame);
      last_progress_ = Clock::now();
      bytes_since_progress_ = 0;
      const int slot = KindSlot(protocol_->kind());
      if (slot != counted_kind_) {
        server_.metrics().connections[counted_kind_].fetch_sub(1, std::memory_order_relaxed);
        server_.metrics().connections[slot].fetch_add(1, std::memory_order_relaxed);
        counted_kind_ = slot;
      }
    }
  });
}

void Connection::Flush() {
  if (state_ == State::kClosed) return;
  if (Pending() > server_.config().max_outbound_bytes) {
    RelayMetrics::Add(server_.metrics().slow_reader_disconnects);
    Abort();
    return;
  }
  if (flush_queued_ || waiting_writable_) return;
  flush_queued_ = true;
  if (worker_.batching) {
    worker_.flush_list.push_back(shared_from_this());
  } else {
    asio::post(worker_.io, [self = shared_from_this()] { self->WriteNow(); });
  }
}

void Connection::WriteNow() {
  flush_queued_ = false;
  if (state_ == State::kClosed || waiting_writable_ || ssl_ == nullptr) return;
  for (;;) {
    if (written_ == writing_buf_.size()) {
      if (outbound_.empty()) break;
      writing_buf_.clear();
      writing_buf_.swap(outbound_);
      written_ = 0;
    }
    ClearTlsErrors();
    const std::size_t left = writing_buf_.size() - written_;
    const int n = SSL_write(ssl_, writing_buf_.data() + written_,
                            static_cast<int>(std::min<std::size_t>(left, 1 << 30)));
    if (n > 0) {
      written_ += static_cast<std::size_t>(n);
      RelayMetrics::Add(server_.metrics().bytes_sent, static_cast<std::uint64_t>(n));
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) return Abort();
    waiting_writable_ = true;
    const auto what =
        err == SSL_ERROR_WANT_WRITE ? asio::socket_base::wait_write : asio::socket_base::wait_read;
    socket_.async_wait(what, [self = shared_from_this()](const asio::error_code& ec) {
      self->waiting_writable_ = false;
      if (!ec) self->WriteNow();
    });
    return;
  }
  // Everything is written: give back big buffers (a fan-out burst), close if asked.
  if (writing_buf_.capacity() > 64 * 1024) std::string().swap(writing_buf_);
  if (outbound_.capacity() > 64 * 1024) std::string().swap(outbound_);
  written_ = 0;
  writing_buf_.clear();
  if (state_ == State::kClosing) {
    SSL_shutdown(ssl_);  // best effort close_notify; the socket is closed right after
    Abort();
  }
}

void Connection::Close() {
  if (state_ == State::kClosed || state_ == State::kClosing) return;
  state_ = State::kClosing;
  deadline_ = Clock::now() + kCloseGrace;
  if (Pending() == 0) {
    Abort();
    return;
  }
  Flush();
}

void Connection::IssueSessionTicket() {
  if (ssl_ != nullptr) SSL_new_session_ticket(ssl_);
}

bool Connection::ResumedTlsSession() const {
  return ssl_ != nullptr && SSL_session_reused(ssl_) == 1;
}

void Connection::MaybeResume() {
  if (resume_ && protocol_->inflight() < server_.config().max_inflight_requests) {
    resume_->cancel();
  }
}

void Connection::CheckDeadlines(Clock::time_point now) {
  if (state_ == State::kClosed) return;
  const Config& c = server_.config();
  bool expired = false;
  if (state_ == State::kClosing || protocol_->kind() == wire::CONNECTION_KIND_UNSPECIFIED) {
    expired = now > deadline_;
  } else {
    const auto idle =
        std::chrono::seconds(protocol_->kind() == wire::OWNER ? c.owner_idle_timeout_seconds
                                                              : c.send_idle_timeout_seconds);
    expired = now - last_progress_ > idle;
  }
  if (!expired) return;
  if (state_ == State::kHandshake) RelayMetrics::Add(server_.metrics().handshake_failures);
  RelayMetrics::Add(server_.metrics().timeouts);
  Abort();
}

void Connection::Abort() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  asio::error_code ec;
  socket_.close(ec);  // ends pending waits: the reader and writer finish on their own
  if (resume_) resume_->cancel();
  server_.metrics().connections[counted_kind_].fetch_sub(1, std::memory_order_relaxed);
  server_.OnConnectionClosed();
  // Last: this may drop the table's reference. Callers hold their own.
  auto self = shared_from_this();
  worker_.sessions.erase(id_);
}

}  // namespace tocsin::relay
