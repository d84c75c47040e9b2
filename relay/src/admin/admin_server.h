// The admin Unix socket of a serving relay (mode 0600: only the relay's own user may
// connect). One request line per connection, answered as admin_protocol.h describes.
// Commands run on the control thread, one at a time.
#ifndef TOCSIN_RELAY_ADMIN_ADMIN_SERVER_H_
#define TOCSIN_RELAY_ADMIN_ADMIN_SERVER_H_

#include <asio.hpp>
#include <string>

#include "config/config.h"
#include "store/mailbox_store.h"

namespace tocsin::relay {

class AdminServer {
 public:
  AdminServer(asio::io_context& io, MailboxStore& store, const Config& config);
  ~AdminServer();
  // Removes a stale socket file (a relay killed earlier), binds, chmods 0600, accepts.
  Status Start();
  // Stops accepting and removes the socket file.
  void Stop();

 private:
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Serve(asio::local::stream_protocol::socket socket);

  asio::io_context& io_;
  MailboxStore& store_;
  const Config& config_;
  std::string path_;
  asio::local::stream_protocol::acceptor acceptor_;
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_ADMIN_ADMIN_SERVER_H_
