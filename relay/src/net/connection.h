// One client connection: OpenSSL driven directly on a non-blocking socket, with Asio
// only telling when the socket is readable or writable. asio::ssl::stream keeps two
// 17 KiB buffers per connection whatever happens; this keeps none while idle
// (SSL_MODE_RELEASE_BUFFERS), which is what lets 10,000 idle connections fit in a small
// VPS (~16.5 KiB, not ~64 KiB, per idle one), and writes go from the outbound queue.
//
// Reading is one coroutine (TLS handshake, then frames into the ProtocolSession) with
// one top-level handler: whatever ends it closes the connection. Writing is driven by
// Flush(): SSL_write until the socket is full, then a wait for writability.
//
// Deadlines: the worker's sweep (net/server.cpp) closes connections whose handshake,
// Hello or idle time ran out; the outbound byte bound closes slow readers.
//
// Thread-safety: confined to its worker's thread.
#ifndef TOCSIN_RELAY_NET_CONNECTION_H_
#define TOCSIN_RELAY_NET_CONNECTION_H_

#include <openssl/ssl.h>

#include <array>
#include <asio.hpp>
#include <chrono>
#include <optional>

#include "net/server.h"
#include "net/socket_bio.h"
#include "tocsin/frame_codec.h"

namespace tocsin::relay {

class Connection final : public SessionOutput, public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(Server& server, Worker& worker, SessionId id, asio::ip::tcp::socket socket);
  ~Connection() override;

  // Starts the reading coroutine. REQUIRES: the connection is in its worker's table.
  void Start();
  // Closes now, dropping whatever is queued. Idempotent.
  void Abort();
  // Called by the worker's sweep; closes the connection when a deadline passed.
  void CheckDeadlines(Clock::time_point now);
  // Resumes reading if it paused for in-flight requests and they drained.
  void MaybeResume();
  ProtocolSession* protocol() { return protocol_ ? &*protocol_ : nullptr; }

  // SessionOutput
  std::string& outbound() override { return outbound_; }
  void Flush() override;
  void Close() override;
  void IssueSessionTicket() override;
  bool ResumedTlsSession() const override;

  // Writes queued bytes until done or the socket is full (then waits for it).
  void WriteNow();

 private:
  asio::awaitable<void> Run();
  asio::awaitable<bool> Handshake();
  asio::awaitable<void> ReadLoop();
  asio::awaitable<bool> WaitFor(asio::socket_base::wait_type what);
  // Feeds decrypted bytes to the decoder and the protocol session.
  void Consume(std::span<const std::uint8_t> bytes);
  std::size_t Pending() const { return outbound_.size() + (writing_buf_.size() - written_); }

  enum class State { kHandshake, kOpen, kClosing, kClosed };

  Server& server_;
  Worker& worker_;
  const SessionId id_;
  asio::ip::tcp::socket socket_;
  // What a wait for readability receives (an Ack's record fits), read by OpenSSL first.
  std::array<std::uint8_t, 256> received_{};
  SocketBio bio_{received_};
  SSL* ssl_ = nullptr;
  State state_ = State::kHandshake;
  std::optional<ProtocolSession> protocol_;
  FrameDecoder decoder_;
  std::string outbound_;     // appended by the session
  std::string writing_buf_;  // being written; stays put while SSL_write retries
  std::size_t written_ = 0;
  bool waiting_writable_ = false;
  bool flush_queued_ = false;
  int counted_kind_ = 0;        // the RelayMetrics::connections slot this connection counts in
  Clock::time_point deadline_;  // handshake/Hello deadline, then idle deadline
  // The idle clock: reset by a whole frame, or by kProgressBytes read since the last
  // reset (a large frame on a slow link), never by a byte now and then (slowloris).
  static constexpr std::size_t kProgressBytes = 4096;
  Clock::time_point last_progress_;
  std::size_t bytes_since_progress_ = 0;
  std::optional<asio::steady_timer> resume_;  // set while reading is paused
};

template <typename Fn>
void Worker::RunBatch(Fn&& fn) {
  const bool outer = !batching;
  batching = true;
  fn();
  if (!outer) return;
  batching = false;
  for (std::size_t i = 0; i < flush_list.size(); ++i) flush_list[i]->WriteNow();
  flush_list.clear();
}

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_NET_CONNECTION_H_
