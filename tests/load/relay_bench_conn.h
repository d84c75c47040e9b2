// A light asynchronous relay connection for the relay benchmark: TLS 1.3 on Asio
// coroutines, frames in and out, nothing else. Thousands of these run on one thread.
#ifndef TOCSIN_TESTS_LOAD_RELAY_BENCH_CONN_H_
#define TOCSIN_TESTS_LOAD_RELAY_BENCH_CONN_H_

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <deque>
#include <string>

#include "tocsin/frame_codec.h"
#include "tocsin/relay.pb.h"

namespace tocsin::bench {

using asio::awaitable;
using asio::use_awaitable;

class BenchConn {
 public:
  BenchConn(asio::io_context& io, asio::ssl::context& tls) : stream_(io, tls) {}

  awaitable<void> Open(const asio::ip::tcp::endpoint& endpoint) {
    co_await stream_.next_layer().async_connect(endpoint, use_awaitable);
    stream_.next_layer().set_option(asio::ip::tcp::no_delay(true));
    co_await stream_.async_handshake(asio::ssl::stream_base::client, use_awaitable);
  }

  // Appends a request to the pending output; Flush() writes everything pending.
  void Queue(wire::Request request) {
    wire::Frame frame;
    *frame.mutable_request() = std::move(request);
    (void)AppendFrame(frame, &pending_, 64 * 1024 * 1024);
  }
  awaitable<void> Flush() {
    if (pending_.empty()) co_return;
    std::string out;
    out.swap(pending_);
    co_await asio::async_write(stream_, asio::buffer(out), use_awaitable);
  }

  awaitable<wire::Frame> Read() {
    while (frames_.empty()) {
      const std::size_t n = co_await stream_.async_read_some(asio::buffer(buffer_), use_awaitable);
      std::span<const std::uint8_t> bytes(buffer_.data(), n);
      while (!bytes.empty()) {
        wire::Frame frame;
        const FrameDecoder::Step step = decoder_.Decode(bytes, &frame);
        bytes = bytes.subspan(step.consumed);
        if (step.state == FrameDecoder::State::kBad) throw std::runtime_error("bad frame");
        if (step.state == FrameDecoder::State::kNeedMore) break;
        frames_.push_back(std::move(frame));
      }
    }
    wire::Frame frame = std::move(frames_.front());
    frames_.pop_front();
    co_return frame;
  }

  // Sends one request and reads until its response (pushes in between are dropped).
  awaitable<wire::Response> Call(wire::Request request) {
    request.set_id(++next_id_);
    const std::uint64_t id = request.id();
    Queue(std::move(request));
    co_await Flush();
    for (;;) {
      wire::Frame frame = co_await Read();
      if (frame.has_response() && frame.response().id() == id) co_return frame.response();
    }
  }

  std::uint64_t NextId() { return ++next_id_; }
  asio::ssl::stream<asio::ip::tcp::socket>& stream() { return stream_; }

 private:
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  FrameDecoder decoder_{64 * 1024 * 1024};
  std::deque<wire::Frame> frames_;
  std::array<std::uint8_t, 4096> buffer_{};
  std::string pending_;
  std::uint64_t next_id_ = 0;
};

}  // namespace tocsin::bench

#endif  // TOCSIN_TESTS_LOAD_RELAY_BENCH_CONN_H_
