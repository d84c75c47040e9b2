#include "admin/commands.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "admin/admin_protocol.h"
#include "net/identity.h"
#include "tocsin/relay_address.h"

namespace tocsin::relay {
namespace {

namespace fs = std::filesystem;

int PrintError(const std::string& message) {
  std::cerr << "tocsin-relay: " << message << "\n";
  return 1;
}

std::string AddressHost(const InitOptions& options, const HostPort& listen) {
  if (!options.public_host.empty()) return options.public_host;
  if (listen.host != "0.0.0.0" && listen.host != "::") return listen.host;
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') return name;
  return "localhost";
}

// Connects to the admin socket; -1 when no relay listens there.
int ConnectAdmin(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return -1;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

Result<std::string> AskRelay(int fd, const std::string& line) {
  const std::string request = line + "\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::write(fd, request.data() + sent, request.size() - sent);
    if (n <= 0) return Status::Unavailable("lost the admin socket while writing");
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  return DecodeAdminReply(reply);
}

Result<std::string> RunDirect(const Config& config, const std::string& line) {
  StoreOptions options = config.MakeStoreOptions();
  options.sweep_interval_ms = 0;
  auto store = MailboxStore::Open(config.StoreDir(), std::move(options));
  if (!store.ok()) {
    return Status::Unavailable("no relay answers on " + config.AdminSocketPath() +
                               " and the store cannot be opened: " + store.status().message());
  }
  Result<std::string> result = RunAdminCommand(**store, config, line);
  (*store)->Close();
  return result;
}

}  // namespace

int RunInit(const InitOptions& options) {
  Result<HostPort> listen = ParseHostPort(options.listen);
  if (!listen.ok()) return PrintError("--listen: " + listen.status().message());
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) return PrintError("cannot create " + options.data_dir + ": " + ec.message());
  fs::permissions(options.data_dir, fs::perms::owner_all, ec);
  Result<Identity> identity = CreateIdentity(options.data_dir);
  if (!identity.ok()) return PrintError(identity.status().message());
  const fs::path config_path = fs::path(options.data_dir) / "relay.toml";
  if (!fs::exists(config_path, ec)) {
    // data_dir "." is read relative to the file, so the folder can move or be restored
    // from a backup as a whole.
    std::ofstream out(config_path);
    out << GenerateConfigText(options.listen, ".");
    if (!out) return PrintError("cannot write " + config_path.string());
  }
  RelayAddress address;
  address.pin = identity->pin;
  address.host = AddressHost(options, *listen);
  address.port = listen->port;
  std::cout << address.ToString() << "\n";
  return 0;
}

int RunAdmin(const Config& config, const std::string& line) {
  Result<std::string> result = Status::Internal("unreached");
  const int fd = ConnectAdmin(config.AdminSocketPath());
  if (fd >= 0) {
    result = AskRelay(fd, line);
    ::close(fd);
  } else {
    result = RunDirect(config, line);
  }
  if (!result.ok()) return PrintError(result.status().message());
  std::cout << *result;
  return 0;
}

Result<std::uint64_t> ParseDurationSeconds(std::string_view text) {
  if (text == "never" || text == "0") return std::uint64_t{0};
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  if (unit == "w") scale = 7 * 86400;
  if (ec != std::errc() || scale == 0 || value > UINT64_MAX / scale / 1000) {
    return Status::InvalidArgument("not a duration: \"" + std::string(text) +
                                   "\" (use e.g. 45s, 30m, 12h, 7d, 2w or never)");
  }
  return value * scale;
}

Result<Config> LoadConfigFor(const std::string& config_path, const std::string& data_dir) {
  if (!config_path.empty()) return LoadConfigFile(config_path);
  if (!data_dir.empty()) return LoadConfigFile((fs::path(data_dir) / "relay.toml").string());
  return LoadConfigFile("relay.toml");
}

}  // namespace tocsin::relay
