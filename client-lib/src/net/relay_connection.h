// RelayConnection: one TLS 1.3 connection to one relay, of one kind (proto/SPEC.md
// sections 2-4): TCP connect, handshake with the pin check, Hello, then pipelined
// requests matched by id, and pushes.
//
// - The pin check runs in the handshake (the verify callback) and again on the finished
//   connection; a mismatch ends the connection with kUnauthorized "relay pin mismatch".
// - Requests may be made at once: they wait until HelloOk (their frames must fit the
//   relay's announced max_frame_bytes), then go out in order.
// - Every request has a deadline (request_timeout from Call); the open has one too
//   (connect_timeout, covering TCP, TLS and Hello). When a deadline passes the whole
//   connection is closed with kUnavailable: a relay that does not answer one request is
//   treated as gone, and every other request on it fails too.
// - A quiet request (SendQuiet) has neither: nothing waits for it. An Error answering it
//   may be watched for a while (bounded in time and number).
// - Every callback runs exactly once: `opened` with HelloOk or the reason the connection
//   could not open; each request's callback with its answer or the connection's failure.
//   A relay's Error answer arrives as the Status of the same code (relay_errors.h).
// - An OWNER connection may resume a session from an earlier owner connection and keeps
//   the ticket the relay issues (ticket()). A SEND connection never offers a session.
//
// Lifetime: held by shared_ptr; pending asynchronous work keeps it alive, so it may be
// dropped at any time after Close().
// Thread-safety: confined to the io_context's thread (one thread runs it).
#ifndef TOCSIN_NET_RELAY_CONNECTION_H_
#define TOCSIN_NET_RELAY_CONNECTION_H_

#include <array>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "net/tls_client.h"
#include "tocsin/frame_codec.h"
#include "tocsin/relay.pb.h"
#include "tocsin/relay_address.h"
#include "tocsin/status.h"

namespace tocsin::net {

// The largest frame a relay may be configured to send (its config's upper bound). The
// decoder accepts up to this much from a pinned relay.
inline constexpr std::uint32_t kMaxRelayFrameBytes = 16 * 1024 * 1024;

// Unix time in ms by the system clock.
std::int64_t WallClockMs();
// The device's wall clock (Unix ms): the client's injected Clock, so that the offsets
// measured against the relays are offsets of the clock its protocol decisions read.
using WallClock = std::function<std::int64_t()>;
// Relay clock minus ours: the relay's time against the middle of the round trip.
std::int64_t SkewMs(std::uint64_t server_time_ms, std::int64_t sent_at_ms, std::int64_t now_ms);

struct ConnectionOptions {
  wire::ConnectionKind kind = wire::SEND;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{15000};
  SslSessionPtr resume;  // OWNER only: a ticket of an earlier owner connection
  WallClock wall_clock;  // null: WallClockMs
};

class RelayConnection : public std::enable_shared_from_this<RelayConnection> {
 public:
  using Clock = std::chrono::steady_clock;
  using OpenedCallback = std::function<void(Result<wire::HelloOk>)>;
  using ResponseCallback = std::function<void(Result<wire::Response>)>;

  // `tls`: the owner context for OWNER connections, the send context for SEND.
  // A SEND connection ignores options.resume.
  static std::shared_ptr<RelayConnection> Create(asio::io_context& io, ClientTls& tls,
                                                 RelayAddress relay, ConnectionOptions options);
  ~RelayConnection();
  RelayConnection(const RelayConnection&) = delete;
  RelayConnection& operator=(const RelayConnection&) = delete;

  // Starts connecting. REQUIRES: called once.
  void Open(OpenedCallback opened);
  // Sends `request` with a fresh id (any id set is replaced). On a closed connection the
  // callback gets the close reason (posted, never inline).
  void Call(wire::Request request, ResponseCallback done);
  // Told of an Error answering a quiet request: its Status (the code, as for Call) and
  // the Error's retry_after_ms (0 when unset).
  using QuietErrorCallback = std::function<void(const Status&, std::uint32_t retry_after_ms)>;
  // Quiet requests watched for an Error at most at once: beyond it the oldest is forgotten.
  static constexpr std::size_t kMaxWatchedQuiet = 1024;

  // Sends a request whose success the relay does not answer (a quiet Ack, proto/SPEC.md
  // 5.5), with a fresh id and no deadline: nothing waits for it, and the relay's silence
  // never closes the connection. With `on_error` set, the id is watched for a while: an
  // Error answering it runs `on_error` once, if it arrives within
  // options.request_timeout of the send and before kMaxWatchedQuiet later quiet requests
  // were watched. After that (and for a request sent without `on_error`) an Error
  // answering it finds nothing waiting and is dropped, like any answer to an id nothing
  // waits for. `on_error` never runs for a success (which has no answer) nor when the
  // connection ends. On a closed connection the request is dropped. The caller must do
  // without knowing whether it succeeded.
  void SendQuiet(wire::Request request, QuietErrorCallback on_error = nullptr);
  // Pushes (OWNER connections) go to `handler`.
  void SetPushHandler(std::function<void(wire::Push)> handler);
  // Runs once when a connection that opened ends, for any reason (Close included),
  // before the pending requests are failed.
  void SetClosedHandler(std::function<void(Status)> handler);
  // Ends the connection: the socket is closed, pending requests fail with `reason`.
  // Idempotent.
  void Close(Status reason);

  bool is_open() const { return state_ == State::kOpen; }
  bool is_closed() const { return state_ == State::kClosed; }
  std::size_t pending() const { return pending_.size(); }
  // REQUIRES: is_open() (or was).
  const wire::HelloOk& hello() const { return hello_; }
  // Relay clock minus ours (options.wall_clock), in ms, from HelloOk (against the
  // middle of the round trip).
  std::int64_t clock_skew_ms() const { return clock_skew_ms_; }
  // The last ticket the relay issued on this connection (OWNER), or null.
  const SslSessionPtr& ticket() const { return ticket_; }
  // True when the handshake resumed a session.
  bool resumed() const { return resumed_; }
  // When a request was last written (for keepalives).
  Clock::time_point last_request() const { return last_request_; }
  const RelayAddress& relay() const { return relay_; }

 private:
  enum class State { kIdle, kConnecting, kHello, kOpen, kClosed };
  struct Pending {
    ResponseCallback done;
    Clock::time_point deadline;
  };
  struct WatchedQuiet {
    QuietErrorCallback on_error;
    Clock::time_point sent_at;
  };

  RelayConnection(asio::io_context& io, ClientTls& tls, RelayAddress relay,
                  ConnectionOptions options);

  void OnResolved(const asio::error_code& ec, asio::ip::tcp::resolver::results_type endpoints);
  void OnConnected(const asio::error_code& ec);
  Status PrepareTls();
  void OnHandshake(const asio::error_code& ec);
  void SendHello();
  void OnHelloAnswer(Result<wire::Response> answer, std::int64_t sent_at_ms);
  std::int64_t NowWallMs() const;
  bool VerifyPeer(bool preverified, asio::ssl::verify_context& context);

  std::uint64_t Register(ResponseCallback done);
  void Write(std::uint64_t id, wire::Request request);
  void Flush();
  void OnWritten(const asio::error_code& ec);
  void Read();
  void OnRead(const asio::error_code& ec, std::size_t n);
  void Dispatch(wire::Frame& frame);
  void Answer(wire::Response& response);
  void AnswerQuiet(const wire::Response& response);
  void ForgetOldQuiet();

  void ArmTimer();
  void OnTimer(const asio::error_code& ec);
  void Fail(std::uint64_t id, Status status);

  asio::io_context& io_;
  asio::ip::tcp::resolver resolver_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  asio::steady_timer timer_;
  Clock::time_point timer_at_ = Clock::time_point::max();
  const RelayAddress relay_;
  const ConnectionOptions options_;
  State state_ = State::kIdle;
  bool pin_mismatch_ = false;
  bool resumed_ = false;

  OpenedCallback opened_;
  std::function<void(wire::Push)> push_handler_;
  std::function<void(Status)> closed_handler_;

  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Pending> pending_;
  // Quiet requests watched for an Error, by id: ids grow with time, so the first is the
  // oldest.
  std::map<std::uint64_t, WatchedQuiet> quiet_;
  std::set<std::pair<Clock::time_point, std::uint64_t>> deadlines_;
  Clock::time_point open_deadline_;
  std::vector<std::pair<std::uint64_t, wire::Request>> waiting_;  // until HelloOk

  std::string outbound_;
  std::string writing_;
  bool write_in_progress_ = false;
  Clock::time_point last_request_;

  FrameDecoder decoder_{kMaxRelayFrameBytes};
  std::array<std::uint8_t, 16 * 1024> read_buffer_{};

  wire::HelloOk hello_;
  std::int64_t clock_skew_ms_ = 0;
  SslSessionPtr ticket_;
};

}  // namespace tocsin::net

#endif  // TOCSIN_NET_RELAY_CONNECTION_H_
