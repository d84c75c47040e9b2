#include "resp_conn.h"

#include <stdexcept>

namespace tocsin::peers {

RespConn::RespConn(asio::io_context& io, asio::ssl::context& context, bool tls)
    : stream_(io, context), tls_(tls), reader_(redisReaderCreate()) {
  if (reader_ == nullptr) throw std::runtime_error("redisReaderCreate failed");
}

RespConn::~RespConn() { redisReaderFree(reader_); }

awaitable<void> RespConn::Open(const asio::ip::tcp::endpoint& endpoint) {
  co_await stream_.next_layer().async_connect(endpoint, use_awaitable);
  stream_.next_layer().set_option(asio::ip::tcp::no_delay(true));
  if (tls_) co_await stream_.async_handshake(asio::ssl::stream_base::client, use_awaitable);
}

void RespConn::Queue(const std::vector<std::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* command = nullptr;
  const int length =
      redisFormatCommandArgv(&command, static_cast<int>(args.size()), argv.data(), lengths.data());
  if (length < 0) throw std::runtime_error("redisFormatCommandArgv failed");
  pending_.append(command, static_cast<std::size_t>(length));
  redisFreeCommand(command);
}

awaitable<void> RespConn::Flush() {
  if (pending_.empty()) co_return;
  std::string out;
  out.swap(pending_);
  if (tls_) {
    co_await asio::async_write(stream_, asio::buffer(out), use_awaitable);
  } else {
    co_await asio::async_write(stream_.next_layer(), asio::buffer(out), use_awaitable);
  }
}

awaitable<std::size_t> RespConn::ReadSome() {
  if (tls_) co_return co_await stream_.async_read_some(asio::buffer(buffer_), use_awaitable);
  co_return co_await stream_.next_layer().async_read_some(asio::buffer(buffer_), use_awaitable);
}

awaitable<Reply> RespConn::Read() {
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(reader_, &reply) != REDIS_OK) {
      throw std::runtime_error("bad reply from redis");
    }
    if (reply != nullptr) co_return Reply(static_cast<redisReply*>(reply));
    const std::size_t n = co_await ReadSome();
    if (redisReaderFeed(reader_, buffer_.data(), n) != REDIS_OK) {
      throw std::runtime_error("redisReaderFeed failed");
    }
  }
}

awaitable<Reply> RespConn::Call(const std::vector<std::string_view>& args) {
  Queue(args);
  co_await Flush();
  Reply reply = co_await Read();
  if (reply->type == REDIS_REPLY_ERROR) {
    throw std::runtime_error(std::string(args.front()) + ": " + reply->str);
  }
  co_return reply;
}

void RespConn::Close() {
  asio::error_code ignored;
  stream_.next_layer().close(ignored);
}

std::vector<StreamEntry> EntriesOf(const redisReply& reply) {
  std::vector<StreamEntry> entries;
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements == 0) return entries;
  const redisReply* stream = reply.element[0];  // [name, [entry, ...]]
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) return entries;
  const redisReply* list = stream->element[1];
  for (std::size_t i = 0; i < list->elements; ++i) {
    const redisReply* entry = list->element[i];  // [id, [field, value, ...]]
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) continue;
    const redisReply* fields = entry->element[1];
    std::string_view value;
    if (fields->type == REDIS_REPLY_ARRAY && fields->elements >= 2) {
      value = {fields->element[1]->str, fields->element[1]->len};
    }
    entries.push_back({{entry->element[0]->str, entry->element[0]->len}, value});
  }
  return entries;
}

void SetClientTls(asio::ssl::context* context) {
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_3_VERSION);
  context->set_verify_mode(asio::ssl::verify_none);
}

}  // namespace tocsin::peers
