#include "admin/admin_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <asio/experimental/awaitable_operators.hpp>

#include <spdlog/spdlog.h>

#include "admin/admin_protocol.h"
#include "net/as_tuple.h"

namespace tocsin::relay {

AdminServer::AdminServer(asio::io_context& io, MailboxStore& store, const Config& config)
    : io_(io), store_(store), config_(config), path_(config.AdminSocketPath()), acceptor_(io) {}

AdminServer::~AdminServer() { Stop(); }

Status AdminServer::Start() {
  if (path_.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status::InvalidArgument("admin socket path too long: " + path_);
  }
  ::unlink(path_.c_str());  // only a stale one can be there: the store lock is ours
  asio::error_code ec;
  const asio::local::stream_protocol::endpoint endpoint(path_);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec && ::chmod(path_.c_str(), S_IRUSR | S_IWUSR) != 0) {
    ec = asio::error_code(errno, asio::system_category());
  }
  if (!ec) acceptor_.listen(16, ec);
  if (ec) return Status::IoError("admin socket " + path_ + ": " + ec.message());
  asio::co_spawn(io_, AcceptLoop(), asio::detached);
  return Status::Ok();
}

void AdminServer::Stop() {
  if (!acceptor_.is_open()) return;
  asio::error_code ec;
  acceptor_.close(ec);
  ::unlink(path_.c_str());
}

asio::awaitable<void> AdminServer::AcceptLoop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
    if (!acceptor_.is_open()) co_return;
    if (!ec) co_await Serve(std::move(socket));  // one command at a time
  }
}

asio::awaitable<void> AdminServer::Serve(asio::local::stream_protocol::socket socket) {
  using namespace asio::experimental::awaitable_operators;
  try {
    std::string line;
    asio::steady_timer deadline(io_, std::chrono::seconds(10));
    auto read =
        asio::async_read_until(socket, asio::dynamic_buffer(line, kMaxAdminLine), "\n", kAsTuple);
    auto result = co_await (std::move(read) || deadline.async_wait(kAsTuple));
    if (result.index() != 0 || std::get<0>(std::get<0>(result))) co_return;
    line.resize(line.find('\n'));
    const std::string verb = line.substr(0, line.find(' '));
    spdlog::info("admin command: {}", verb);
    const std::string reply = EncodeAdminReply(RunAdminCommand(store_, config_, line));
    co_await asio::async_write(socket, asio::buffer(reply), kAsTuple);
  } catch (const std::exception& e) {
    spdlog::warn("admin command failed: {}", e.what());
  }
}

}  // namespace tocsin::relay
