// A relay connection's requests, deadlines and frames (opening: relay_connection.cpp).
#include <span>

#include "net/relay_connection.h"
#include "net/relay_errors.h"

namespace tocsin::net {

void RelayConnection::Call(wire::Request request, ResponseCallback done) {
  if (state_ == State::kClosed || state_ == State::kIdle) {
    asio::post(
        io_, [done = std::move(done)] { done(ConnectionLost("the relay connection is closed")); });
    return;
  }
  const std::uint64_t id = Register(std::move(done));
  if (state_ == State::kOpen) {
    Write(id, std::move(request));
  } else {
    waiting_.emplace_back(id, std::move(request));
  }
  ArmTimer();
}

void RelayConnection::SendQuiet(wire::Request request, QuietErrorCallback on_error) {
  if (state_ == State::kClosed || state_ == State::kIdle) return;
  const std::uint64_t id = next_id_++;
  if (on_error) {
    ForgetOldQuiet();
    quiet_.emplace(id, WatchedQuiet{std::move(on_error), Clock::now()});
  }
  if (state_ == State::kOpen) {
    Write(id, std::move(request));
  } else {
    waiting_.emplace_back(id, std::move(request));
  }
}

// Stops watching the quiet requests past their time, and makes room for one more.
void RelayConnection::ForgetOldQuiet() {
  const Clock::time_point horizon = Clock::now() - options_.request_timeout;
  while (!quiet_.empty() &&
         (quiet_.size() >= kMaxWatchedQuiet || quiet_.begin()->second.sent_at <= horizon)) {
    quiet_.erase(quiet_.begin());
  }
}

std::uint64_t RelayConnection::Register(ResponseCallback done) {
  const std::uint64_t id = next_id_++;
  const Clock::time_point deadline = Clock::now() + options_.request_timeout;
  pending_[id] = Pending{std::move(done), deadline};
  deadlines_.insert({deadline, id});
  return id;
}

// Encodes under the relay's frame limit (the default one until HelloOk) and writes.
void RelayConnection::Write(std::uint64_t id, wire::Request request) {
  request.set_id(id);
  wire::Frame frame;
  *frame.mutable_request() = std::move(request);
  const std::uint32_t max_frame = state_ == State::kOpen && hello_.limits().max_frame_bytes() != 0
                                      ? hello_.limits().max_frame_bytes()
                                      : kDefaultMaxFrameBytes;
  Status status = AppendFrame(frame, &outbound_, max_frame);
  if (!status.ok()) {
    // Posted: the caller is still inside Call.
    asio::post(io_, [self = shared_from_this(), id, status = std::move(status)] {
      self->Fail(id, status.Annotate("request not sent"));
    });
    return;
  }
  last_request_ = Clock::now();
  Flush();
}

void RelayConnection::Fail(std::uint64_t id, Status status) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  deadlines_.erase({p.deadline, id});
  p.done(std::move(status));
}

void RelayConnection::Flush() {
  if (write_in_progress_ || outbound_.empty() || state_ == State::kClosed) return;
  write_in_progress_ = true;
  writing_.clear();
  writing_.swap(outbound_);
  asio::async_write(stream_, asio::buffer(writing_),
                    [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                      self->OnWritten(ec);
                    });
}

void RelayConnection::OnWritten(const asio::error_code& ec) {
  write_in_progress_ = false;
  if (state_ == State::kClosed) return;
  if (ec) return Close(ConnectionLost("writing to the relay failed: " + ec.message()));
  if (writing_.capacity() > 256 * 1024) std::string().swap(writing_);
  Flush();
}

void RelayConnection::Read() {
  stream_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                            self->OnRead(ec, n);
                          });
}

void RelayConnection::OnRead(const asio::error_code& ec, std::size_t n) {
  if (state_ == State::kClosed) return;
  if (ec) return Close(ConnectionLost("the relay closed the connection"));
  auto self = shared_from_this();
  std::span<const std::uint8_t> bytes(read_buffer_.data(), n);
  while (!bytes.empty() && state_ != State::kClosed) {
    wire::Frame frame;
    const FrameDecoder::Step step = decoder_.Decode(bytes, &frame);
    bytes = bytes.subspan(step.consumed);
    if (step.state == FrameDecoder::State::kNeedMore) break;
    if (step.state == FrameDecoder::State::kBad) {
      return Close(decoder_.error().Annotate("relay sent a bad frame"));
    }
    Dispatch(frame);
  }
  if (state_ != State::kClosed) Read();
}

void RelayConnection::Dispatch(wire::Frame& frame) {
  if (frame.has_response()) return Answer(*frame.mutable_response());
  if (frame.has_push() && push_handler_ && options_.kind == wire::OWNER) {
    push_handler_(std::move(*frame.mutable_push()));
    return;
  }
  // A Request from a relay, or a push on a send connection: the relay is broken.
  if (!frame.has_push()) Close(Status::BadFrame("relay sent a request"));
}

void RelayConnection::Answer(wire::Response& response) {
  if (response.id() == 0) {
    // SPEC.md section 3.4: the relay reports a broken stream and closes.
    Status status = StatusFromError(response.error());
    if (status.ok()) status = Status::BadFrame("relay answered id 0 without an error");
    return Close(status.Annotate("relay ended the connection"));
  }
  auto it = pending_.find(response.id());
  if (it == pending_.end()) return AnswerQuiet(response);
  Pending p = std::move(it->second);
  pending_.erase(it);
  deadlines_.erase({p.deadline, response.id()});
  const Status status = response.has_error() ? StatusFromError(response.error()) : Status::Ok();
  if (!status.ok()) {
    p.done(status);
  } else {
    p.done(std::move(response));
  }
}

// An answer nothing waits for: a quiet request's Error (told if it is watched), an old
// relay's answer to a quiet request (which ignored `quiet`), or an answer to an id that
// was never sent or already failed.
void RelayConnection::AnswerQuiet(const wire::Response& response) {
  auto it = quiet_.find(response.id());
  if (it == quiet_.end()) return;
  QuietErrorCallback on_error = std::move(it->second.on_error);
  quiet_.erase(it);
  const Status status = response.has_error() ? StatusFromError(response.error()) : Status::Ok();
  if (!status.ok()) on_error(status, response.error().retry_after_ms());
}

// One timer, set to the earliest deadline (the open's, then the requests').
void RelayConnection::ArmTimer() {
  if (state_ == State::kClosed) return;
  Clock::time_point earliest =
      deadlines_.empty() ? Clock::time_point::max() : deadlines_.begin()->first;
  if (state_ != State::kOpen) earliest = std::min(earliest, open_deadline_);
  // A later deadline needs nothing: the timer fires early and is set again then.
  if (earliest >= timer_at_) return;
  timer_at_ = earliest;
  timer_.expires_at(earliest);
  timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) { self->OnTimer(ec); });
}

void RelayConnection::OnTimer(const asio::error_code& ec) {
  if (ec == asio::error::operation_aborted || state_ == State::kClosed) return;
  timer_at_ = Clock::time_point::max();
  const Clock::time_point now = Clock::now();
  if (state_ != State::kOpen && now >= open_deadline_) {
    return Close(ConnectionLost("timed out connecting to the relay"));
  }
  if (!deadlines_.empty() && now >= deadlines_.begin()->first) {
    return Close(ConnectionLost("relay did not answer in time"));
  }
  ArmTimer();
}

}  // namespace tocsin::net
