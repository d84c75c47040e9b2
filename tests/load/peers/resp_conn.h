// A light asynchronous Redis connection for the peer benchmark: Asio coroutines for the
// transport, plain TCP or TLS 1.3 through the same code, and hiredis for the protocol
// (redisFormatCommandArgv out, redisReader in). Debian 12's hiredis 0.14 has no
// hiredis_ssl, and one transport for both keeps TLS the only difference between the
// TLS and plain runs. Thousands of these run on one thread.
#ifndef TOCSIN_TESTS_LOAD_PEERS_RESP_CONN_H_
#define TOCSIN_TESTS_LOAD_PEERS_RESP_CONN_H_

#include <hiredis/hiredis.h>

#include <array>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::peers {

using asio::awaitable;
using asio::use_awaitable;

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

class RespConn {
 public:
  // `tls` false: plain TCP (the context is then unused).
  RespConn(asio::io_context& io, asio::ssl::context& context, bool tls);
  ~RespConn();
  RespConn(const RespConn&) = delete;
  RespConn& operator=(const RespConn&) = delete;

  awaitable<void> Open(const asio::ip::tcp::endpoint& endpoint);
  // Appends one command to the pending output; Flush() writes everything pending.
  void Queue(const std::vector<std::string_view>& args);
  awaitable<void> Flush();
  // The next reply; throws on a connection or protocol error. A Redis error reply is
  // returned as such (type REDIS_REPLY_ERROR).
  awaitable<Reply> Read();
  // Queue + Flush + Read; throws on an error reply.
  awaitable<Reply> Call(const std::vector<std::string_view>& args);
  void Close();

 private:
  awaitable<std::size_t> ReadSome();

  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  bool tls_;
  redisReader* reader_;
  std::string pending_;
  std::array<char, 16384> buffer_{};
};

// XREAD's reply, flattened: the entries of one stream, in order.
struct StreamEntry {
  std::string_view id;
  std::string_view value;  // the first field's value
};
// REQUIRES: `reply` is XREAD's answer for one stream (or nil).
std::vector<StreamEntry> EntriesOf(const redisReply& reply);

// A TLS 1.3 client context without certificate verification (as relay_bench.cpp).
void SetClientTls(asio::ssl::context* context);

}  // namespace tocsin::peers

#endif  // TOCSIN_TESTS_LOAD_PEERS_RESP_CONN_H_
