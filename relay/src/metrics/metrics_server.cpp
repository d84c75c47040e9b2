#include "metrics/metrics_server.h"

#include <asio/experimental/awaitable_operators.hpp>

#include "config/config.h"
#include "net/as_tuple.h"

namespace tocsin::relay {
namespace {

constexpr std::size_t kMaxRequestBytes = 8192;

std::string HttpAnswer(std::string_view status, std::string_view type, const std::string& body) {
  return "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, std::function<std::string()> render)
    : io_(io), render_(std::move(render)), acceptor_(io) {}

Status MetricsServer::Start(const std::string& listen) {
  Result<HostPort> hp = ParseHostPort(listen);
  if (!hp.ok()) return hp.status();
  asio::error_code ec;
  const auto address = asio::ip::make_address(hp->host, ec);
  if (ec) return Status::InvalidArgument("metrics_listen: not an IP address: " + hp->host);
  const asio::ip::tcp::endpoint endpoint(address, hp->port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(64, ec);
  if (ec) return Status::IoError("cannot listen on " + listen + ": " + ec.message());
  asio::co_spawn(io_, AcceptLoop(), asio::detached);
  return Status::Ok();
}

asio::ip::tcp::endpoint MetricsServer::local_endpoint() const {
  asio::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void MetricsServer::Stop() {
  asio::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> MetricsServer::AcceptLoop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
    if (!acceptor_.is_open()) co_return;
    if (!ec) asio::co_spawn(io_, Serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> MetricsServer::Serve(asio::ip::tcp::socket socket) {
  using namespace asio::experimental::awaitable_operators;
  try {
    std::string request;
    asio::steady_timer deadline(io_, std::chrono::seconds(5));
    auto read = asio::async_read_until(socket, asio::dynamic_buffer(request, kMaxRequestBytes),
                                       "\r\n\r\n", kAsTuple);
    auto result = co_await (std::move(read) || deadline.async_wait(kAsTuple));
    if (result.index() != 0 || std::get<0>(std::get<0>(result))) co_return;
    const bool metrics =
        request.rfind("GET /metrics ", 0) == 0 || request.rfind("GET /metrics?", 0) == 0;
    const std::string answer =
        metrics ? HttpAnswer("200 OK", "text/plain; version=0.0.4", render_())
                : HttpAnswer("404 Not Found", "text/plain", "only /metrics here\n");
    co_await asio::async_write(socket, asio::buffer(answer), kAsTuple);
    asio::error_code ec;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  } catch (const std::exception&) {
    // One scrape failed; the listener goes on.
  }
}

}  // namespace tocsin::relay
