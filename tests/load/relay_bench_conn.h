// A lean relay connection for the relay benchmark. OpenSSL is driven directly on a
// non-blocking socket and Asio only waits for readiness, as the relay itself does: no
// asio::ssl::stream (its BIO pair copies every byte twice and keeps ~64 KiB per
// connection). The benchmark's client shares the machine's cores with the relay, so
// whatever it spends is taken from the relay's figures.
//
// Thousands of these run on one thread (one io_context). Frames are decoded from one
// read buffer shared by every connection of the thread.
//
// Thread-safety: a connection is used by one thread.
#ifndef TOCSIN_TESTS_LOAD_RELAY_BENCH_CONN_H_
#define TOCSIN_TESTS_LOAD_RELAY_BENCH_CONN_H_

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <asio.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include <google/protobuf/arena.h>

#include "net/socket_bio.h"
#include "tocsin/frame_codec.h"
#include "tocsin/relay.pb.h"

namespace tocsin::bench {

using asio::awaitable;
using asio::use_awaitable;

// A TLS session to resume (owner connections get a ticket after Hello).
using TlsSession = std::shared_ptr<SSL_SESSION>;

// The client side of TLS 1.3 for the benchmark: no pin check (a real client pins; it is
// not what is measured), tickets kept by the connections themselves.
class BenchTls {
 public:
  BenchTls();
  ~BenchTls();
  BenchTls(const BenchTls&) = delete;
  BenchTls& operator=(const BenchTls&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  SSL_CTX* ctx_;
};

class BenchConn {
 public:
  BenchConn(asio::io_context& io, const BenchTls& tls);
  ~BenchConn();
  BenchConn(const BenchConn&) = delete;
  BenchConn& operator=(const BenchConn&) = delete;

  // TCP connect and TLS handshake; offers `resume` when set.
  awaitable<void> Open(const asio::ip::tcp::endpoint& endpoint, TlsSession resume = nullptr);
  // Whether the handshake resumed the offered session.
  bool Resumed() const { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }
  // The session as it stands: it holds a ticket once one was read (after an owner Hello).
  TlsSession Session() const;

  // Appends one request (or a frame holding one) to the output; Flush() writes
  // everything queued.
  void Queue(const wire::Request& request);
  void Queue(const wire::Frame& frame);
  // True when it had to wait for the socket (other handlers ran meanwhile).
  awaitable<bool> Flush();
  // Reads whatever the relay sent, waiting until at least one frame came, and calls
  // on_frame(const wire::Frame&) for each; it returns once a read finds the socket
  // empty. Throws when the connection ends. `wait_first`: the caller knows that the
  // socket was found empty and that no handler ran since (ReadSome, then a Flush that
  // did not wait), so a readiness edge is still ahead: wait for it before reading
  // instead of reading into EAGAIN again.
  template <typename OnFrame>
  awaitable<void> ReadSome(OnFrame on_frame, bool wait_first = false);
  // Sends `request` with a fresh id and reads until its response; frames in between
  // are dropped.
  awaitable<wire::Response> Call(wire::Request request);
  std::uint64_t NextId() { return ++next_id_; }

  // close_notify, then close: the session stays resumable.
  void CloseCleanly();

 private:
  // Waits for readiness; false when the socket was closed meanwhile.
  awaitable<void> Wait(asio::socket_base::wait_type what);
  // Decodes `bytes`; calls on_frame for each whole frame. True when one came.
  template <typename OnFrame>
  bool Decode(std::span<const std::uint8_t> bytes, OnFrame& on_frame);
  // After a failed SSL call: the wait it asks for, or throws.
  asio::socket_base::wait_type WaitFor(int result) const;

  asio::ip::tcp::socket socket_;
  SSL_CTX* tls_;
  SSL* ssl_ = nullptr;
  FrameDecoder decoder_{64 * 1024 * 1024};
  std::string out_;
  std::size_t written_ = 0;
  std::uint64_t next_id_ = 0;
  // What a wait for readability receives, read by OpenSSL first. A Push of the fan-out
  // (a 1,073-byte blob: a 1,188-byte TLS record) or of the throughput run fits whole, so
  // a delivery costs the wait's recv() and no second one for the record's rest.
  std::array<std::uint8_t, 4096> received_{};
  tocsin::relay::SocketBio bio_{received_};
};

// Shared by every connection of a thread: frames are decoded before the next read.
std::array<std::uint8_t, 64 * 1024>& ReadBuffer();
// Shared the same way: each frame is parsed into it and dropped once handled, so that
// parsing a delivery takes nothing from the heap (its 64 KiB first block is kept).
google::protobuf::Arena& FrameArena();

template <typename OnFrame>
bool BenchConn::Decode(std::span<const std::uint8_t> bytes, OnFrame& on_frame) {
  bool got = false;
  google::protobuf::Arena& arena = FrameArena();
  while (!bytes.empty()) {
    arena.Reset();
    auto* frame = google::protobuf::Arena::CreateMessage<wire::Frame>(&arena);
    const FrameDecoder::Step step = decoder_.Decode(bytes, frame);
    bytes = bytes.subspan(step.consumed);
    if (step.state == FrameDecoder::State::kBad) throw std::runtime_error("bad frame from relay");
    if (step.state == FrameDecoder::State::kNeedMore) break;
    got = true;
    on_frame(static_cast<const wire::Frame&>(*frame));
  }
  return got;
}

template <typename OnFrame>
awaitable<void> BenchConn::ReadSome(OnFrame on_frame, bool wait_first) {
  std::array<std::uint8_t, 64 * 1024>& buffer = ReadBuffer();
  bool got = false;
  if (wait_first) co_await Wait(asio::socket_base::wait_read);
  for (;;) {
    tocsin::relay::ClearTlsErrors();
    const int n = SSL_read(ssl_, buffer.data(), static_cast<int>(buffer.size()));
    if (n > 0) {
      got = Decode({buffer.data(), static_cast<std::size_t>(n)}, on_frame) || got;
      // Read-ahead took all the socket held, up to OpenSSL's buffer: with nothing left
      // there, return instead of reading into an empty socket (the caller's next
      // ReadSome waits first, and the wait's receive takes data already there at once).
      if (got && SSL_has_pending(ssl_) == 0) co_return;
      continue;
    }
    const asio::socket_base::wait_type what = WaitFor(n);
    if (got && what == asio::socket_base::wait_read) co_return;
    co_await Wait(what);
  }
}

}  // namespace tocsin::bench

#endif  // TOCSIN_TESTS_LOAD_RELAY_BENCH_CONN_H_
