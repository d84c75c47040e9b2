// A minimal HTTP listener for Prometheus: answers GET /metrics with the text
// exposition, 404 to any other path, and closes each connection after one answer.
// Meant for loopback (config server.metrics_listen): it has no TLS and no auth.
#ifndef TOCSIN_RELAY_METRICS_METRICS_SERVER_H_
#define TOCSIN_RELAY_METRICS_METRICS_SERVER_H_

#include <asio.hpp>
#include <functional>
#include <string>

#include "tocsin/status.h"

namespace tocsin::relay {

class MetricsServer {
 public:
  // `render` builds the page; it runs on `io`'s thread.
  MetricsServer(asio::io_context& io, std::function<std::string()> render);
  // Binds HOST:PORT and starts accepting.
  Status Start(const std::string& listen);
  asio::ip::tcp::endpoint local_endpoint() const;
  void Stop();

 private:
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Serve(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  std::function<std::string()> render_;
  asio::ip::tcp::acceptor acceptor_;
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_METRICS_METRICS_SERVER_H_
