#include "control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ostream>

namespace tocsin::cli {

namespace {

constexpr std::uint32_t kMaxString = 4u << 20;
constexpr int kExitNetworkCode = 4;

bool FillAddress(const std::filesystem::path& path, sockaddr_un* address) {
  std::memset(address, 0, sizeof(*address));
  address->sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof(address->sun_path)) return false;
  std::memcpy(address->sun_path, text.c_str(), text.size() + 1);
  return true;
}

bool WriteAll(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, bytes, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool ReadAll(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::recv(fd, bytes, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool WriteString(int fd, const std::string& text) {
  const std::uint32_t size = static_cast<std::uint32_t>(text.size());
  const unsigned char prefix[4] = {
      static_cast<unsigned char>(size >> 24), static_cast<unsigned char>(size >> 16),
      static_cast<unsigned char>(size >> 8), static_cast<unsigned char>(size)};
  return text.size() <= kMaxString && WriteAll(fd, prefix, 4) &&
         WriteAll(fd, text.data(), text.size());
}

bool ReadString(int fd, std::string* text) {
  unsigned char prefix[4];
  if (!ReadAll(fd, prefix, 4)) return false;
  const std::uint32_t size = (std::uint32_t{prefix[0]} << 24) | (std::uint32_t{prefix[1]} << 16) |
                             (std::uint32_t{prefix[2]} << 8) | std::uint32_t{prefix[3]};
  if (size > kMaxString) return false;
  text->resize(size);
  return size == 0 || ReadAll(fd, text->data(), size);
}

int Connect(const std::filesystem::path& path) {
  sockaddr_un address;
  if (!FillAddress(path, &address)) return -1;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool PeerIsUs(int fd) {
  ucred credentials{};
  socklen_t size = sizeof(credentials);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) return false;
  return credentials.uid == ::getuid();
}

}  // namespace

bool ControlSocketLive(const std::filesystem::path& socket) {
  std::error_code ec;
  if (!std::filesystem::is_socket(socket, ec)) return false;
  const int fd = Connect(socket);
  if (fd < 0) return false;
  // An empty request (no argument count) is a probe: the server hangs up.
  ::close(fd);
  return true;
}

int Forward(const std::filesystem::path& socket, const std::vector<std::string>& args,
            const std::string& input, std::ostream& out, std::ostream& err) {
  const int fd = Connect(socket);
  if (fd < 0) {
    err << "tocsin: cannot reach the running `tocsin listen`: " << std::strerror(errno) << "\n";
    return kExitNetworkCode;
  }
  bool ok = WriteString(fd, std::to_string(args.size()));
  for (const std::string& arg : args) ok = ok && WriteString(fd, arg);
  ok = ok && WriteString(fd, input);
  std::string code, reply_out, reply_err;
  ok = ok && ReadString(fd, &code) && ReadString(fd, &reply_out) && ReadString(fd, &reply_err);
  ::close(fd);
  if (!ok) {
    err << "tocsin: the running `tocsin listen` did not answer\n";
    return kExitNetworkCode;
  }
  out << reply_out << std::flush;
  err << reply_err << std::flush;
  return std::atoi(code.c_str());
}

ControlServer::~ControlServer() { Stop(); }

Status ControlServer::Start(const std::filesystem::path& socket, Handler handler) {
  if (ControlSocketLive(socket)) {
    return Status::Unavailable("another `tocsin listen` serves " + socket.string());
  }
  sockaddr_un address;
  if (!FillAddress(socket, &address)) {
    return Status::InvalidArgument("the data folder's path is too long for a socket");
  }
  std::error_code ec;
  std::filesystem::remove(socket, ec);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const mode_t old_mask = ::umask(0177);
  const bool bound = fd_ >= 0 &&
                     ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                     ::listen(fd_, 16) == 0;
  ::umask(old_mask);
  if (!bound) {
    const std::string reason = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return Status::IoError("control socket " + socket.string() + ": " + reason);
  }
  path_ = socket;
  handler_ = std::move(handler);
  thread_ = std::thread([this] { Serve(); });
  return Status::Ok();
}

void ControlServer::Stop() {
  if (fd_ < 0) return;
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void ControlServer::Serve() {
  while (!stop_) {
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 200) <= 0) continue;
    const int connection = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    if (PeerIsUs(connection)) ServeOne(connection);
    ::close(connection);
  }
}

void ControlServer::ServeOne(int connection) {
  timeval timeout{30, 0};
  ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string count;
  if (!ReadString(connection, &count)) return;  // a probe
  const long argc = std::strtol(count.c_str(), nullptr, 10);
  if (argc < 0 || argc > 256) return;
  std::vector<std::string> args(static_cast<std::size_t>(argc));
  for (std::string& arg : args) {
    if (!ReadString(connection, &arg)) return;
  }
  std::string input;
  if (!ReadString(connection, &input)) return;
  std::string out, err;
  const int code = handler_(args, input, &out, &err);
  if (WriteString(connection, std::to_string(code)) && WriteString(connection, out)) {
    (void)WriteString(connection, err);
  }
}

}  // namespace tocsin::cli
