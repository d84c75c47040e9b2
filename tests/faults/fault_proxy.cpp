#include "fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace tocsin::testing {
namespace {

int ConnectTo(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Moves up to what `limit` allows from `from` to `to`; false when the connection ends
// (closed by a side, or the limit reached).
bool Pump(int from, int to, std::uint64_t* moved, const std::optional<std::uint64_t>& limit) {
  char buffer[16384];
  std::size_t room = sizeof buffer;
  if (limit) room = static_cast<std::size_t>(std::min<std::uint64_t>(room, *limit - *moved));
  const ssize_t n = ::recv(from, buffer, room, 0);
  if (n <= 0) return false;
  if (!WriteAll(to, buffer, static_cast<std::size_t>(n))) return false;
  *moved += static_cast<std::uint64_t>(n);
  return !limit || *moved < *limit;
}

}  // namespace

FaultProxy::FaultProxy(std::uint16_t relay_port, std::function<Cut(int)> plan)
    : relay_port_(relay_port), plan_(std::move(plan)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int on = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listener_, 128);
  socklen_t size = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &size);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  ::close(listener_);
  std::lock_guard lock(mutex_);
  for (auto& worker : workers_) worker.join();
}

void FaultProxy::AcceptLoop() {
  for (int n = 0; !stop_; ++n) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      --n;
      continue;
    }
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      --n;
      continue;
    }
    ++connections_;
    std::lock_guard lock(mutex_);
    workers_.emplace_back([this, client, n] { Serve(client, n); });
  }
}

// Both directions on one thread with poll, until a side closes, the plan cuts, or the
// proxy stops.
void FaultProxy::Serve(int client, int n) {
  const Cut cut = plan_(n);
  const int generation = generation_;
  const int relay = ConnectTo(relay_port_);
  std::uint64_t up = 0;
  std::uint64_t down = 0;
  bool cut_here = false;
  while (relay >= 0 && !stop_ && generation == generation_) {
    pollfd fds[2] = {{client, POLLIN, 0}, {relay, POLLIN, 0}};
    if (::poll(fds, 2, 100) < 0) break;
    if (fds[0].revents != 0 && !Pump(client, relay, &up, cut.after_upstream_bytes)) {
      cut_here = cut.after_upstream_bytes && up >= *cut.after_upstream_bytes;
      break;
    }
    if (fds[1].revents != 0 && !Pump(relay, client, &down, cut.after_downstream_bytes)) {
      cut_here = cut.after_downstream_bytes && down >= *cut.after_downstream_bytes;
      break;
    }
  }
  if (cut_here) ++cuts_;
  ::close(client);
  if (relay >= 0) ::close(relay);
}

}  // namespace tocsin::testing
