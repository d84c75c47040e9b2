#include "admin/commands.h"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "admin/admin_protocol.h"
#include "config/config_schema.h"
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

// What init works on: the data folder and listen address, from the options or from
// an existing config file.
struct InitPlan {
  std::string data_dir;
  std::string listen;
  bool write_config = false;  // DATA/relay.toml, when initialising by data folder
};

Result<InitPlan> PlanInit(const InitOptions& options) {
  std::string path = options.config_path;
  if (path.empty()) {
    // A relay.toml left in the data folder (an init that stopped halfway, a restored
    // folder) is kept: the address printed must be the one it listens on.
    const fs::path kept = fs::path(options.data_dir) / "relay.toml";
    std::error_code ec;
    if (!fs::exists(kept, ec)) return InitPlan{options.data_dir, options.listen, true};
    path = kept.string();
  }
  Result<Config> config = LoadConfigFile(path);
  if (!config.ok()) return config.status();
  if (options.config_path.empty() && options.listen_given && options.listen != config->listen) {
    return Status::InvalidArgument(path + " is kept and listens on " + config->listen + ", not " +
                                   options.listen + ": edit it or remove it first");
  }
  return InitPlan{config->data_dir, config->listen, false};
}

// Root working in a folder that the service user owns would leave files that the
// relay, running as that user, cannot read: a key made by init, or the store's log,
// manifest and tables written by an admin command that opens the store itself.
Status CheckOwner(const std::string& dir, const std::string& command) {
  struct stat st {};
  if (::geteuid() != 0 || ::stat(dir.c_str(), &st) != 0 || st.st_uid == 0) return Status::Ok();
  const passwd* pw = ::getpwuid(st.st_uid);
  const std::string owner = pw != nullptr ? pw->pw_name : std::to_string(st.st_uid);
  return Status::InvalidArgument(dir + " belongs to " + owner + ": run " + command +
                                 " as that user (sudo -u " + owner + " tocsin-relay " + command +
                                 " ...)");
}

Status WriteConfigIfMissing(const std::string& data_dir, const std::string& listen) {
  const fs::path config_path = fs::path(data_dir) / "relay.toml";
  std::error_code ec;
  if (fs::exists(config_path, ec)) return Status::Ok();
  // data_dir "." is read relative to the file, so the folder can move or be restored
  // from a backup as a whole.
  std::ofstream out(config_path);
  out << GenerateConfigText(listen, ".");
  if (!out) return Status::IoError("cannot write " + config_path.string());
  return Status::Ok();
}

// Connects to the admin socket; -1 when no relay listens there, with the reason in
// `error` (EACCES: a relay may be there, but the socket is its user's only).
int ConnectAdmin(const std::string& path, int* error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  *error = ENAMETOOLONG;
  if (path.size() >= sizeof(addr.sun_path)) return -1;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno;
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = errno;
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

std::string TypeName(const Setting& s) {
  return s.type == Setting::Type::kUInt ? "integer" : "string";
}

std::string DefaultText(const Setting& s) {
  Config defaults;
  if (s.type == Setting::Type::kUInt) return std::to_string(s.uint_ref(defaults));
  return "\"" + s.string_ref(defaults) + "\"";
}

std::string RangeText(const Setting& s) {
  if (s.type != Setting::Type::kUInt) return "";
  return std::to_string(s.min) + " to " + std::to_string(s.max);
}

// A description inside a Markdown table cell: a literal "|" would end the cell.
std::string EscapeCell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

int RunInit(const InitOptions& options) {
  Result<InitPlan> plan = PlanInit(options);
  if (!plan.ok()) return PrintError(plan.status().message());
  Result<HostPort> listen = ParseHostPort(plan->listen);
  if (!listen.ok()) return PrintError("listen address: " + listen.status().message());
  if (Status s = CheckOwner(plan->data_dir, "init"); !s.ok()) return PrintError(s.message());
  std::error_code ec;
  fs::create_directories(plan->data_dir, ec);
  if (ec) return PrintError("cannot create " + plan->data_dir + ": " + ec.message());
  fs::permissions(plan->data_dir, fs::perms::owner_all, ec);
  Result<Identity> identity = CreateIdentity(plan->data_dir);
  if (!identity.ok()) return PrintError(identity.status().message());
  if (plan->write_config) {
    if (Status s = WriteConfigIfMissing(plan->data_dir, plan->listen); !s.ok()) {
      return PrintError(s.message());
    }
  }
  RelayAddress address;
  address.pin = identity->pin;
  address.host = AddressHost(options, *listen);
  address.port = listen->port;
  std::cout << address.ToString() << "\n";
  return 0;
}

int RequireIdentity(const Config& config, const std::string& config_hint) {
  if (IdentityExists(config.data_dir)) return 0;
  std::cerr << "tocsin-relay: no relay identity in " << config.data_dir
            << ": run `tocsin-relay init " << config_hint << "` first\n";
  return 2;
}

int RunAdmin(const Config& config, const std::string& line) {
  Result<std::string> result = Status::Internal("unreached");
  const std::string socket = config.AdminSocketPath();
  int error = 0;
  const int fd = ConnectAdmin(socket, &error);
  if (fd >= 0) {
    result = AskRelay(fd, line);
    ::close(fd);
  } else if (error == EACCES) {
    return PrintError("permission denied on " + socket +
                      ": the admin socket is the relay's user's only; run this as that user");
  } else {
    // No relay serves: the command opens the store itself, but never makes one (an
    // invite in a store no relay will serve is useless), nor leaves root's files in it.
    if (!IdentityExists(config.data_dir)) {
      std::cerr << "tocsin-relay: no relay answers on " << socket << " and " << config.data_dir
                << " holds no relay identity: is this the relay's config? (`tocsin-relay "
                   "init` makes a relay)\n";
      return 2;
    }
    const std::string command = line.substr(0, line.find(' '));
    const std::string name = command == "invite" ? "invite create" : command;
    if (Status s = CheckOwner(config.data_dir, name); !s.ok()) return PrintError(s.message());
    result = RunDirect(config, line);
  }
  if (!result.ok()) return PrintError(result.status().message());
  std::cout << *result;
  return 0;
}

Result<std::uint64_t> ParseDurationSeconds(std::string_view text) {
  if (text == "never") return std::uint64_t{0};
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
  // Zero would be an invite dead on arrival, or (as it once was) one that never expires.
  if (value == 0) {
    std::string message(text);
    message += " is no lifetime: give one (45s, 30m, 12h, 7d, 2w) or never";
    return Status::InvalidArgument(message);
  }
  return value * scale;
}

Result<Config> LoadConfigFor(const std::string& config_path, const std::string& data_dir) {
  if (!config_path.empty()) return LoadConfigFile(config_path);
  if (!data_dir.empty()) return LoadConfigFile((fs::path(data_dir) / "relay.toml").string());
  return LoadConfigFile("relay.toml");
}

std::string ConfigReferenceMarkdown() {
  std::string out =
      "| Setting | Type | Default | Range | Description |\n"
      "|---|---|---|---|---|\n";
  for (const Setting& s : ConfigSchema()) {
    out += "| `" + s.FullName() + "` | " + TypeName(s) + " | `" + DefaultText(s) + "` | " +
           RangeText(s) + " | " + EscapeCell(s.description) + " |\n";
  }
  return out;
}

std::string ConfigReferenceToml(const std::string& listen, const std::string& data_dir) {
  std::string text = GenerateConfigText(listen, data_dir);
  // The generated header says init wrote the file; this copy was asked for by hand.
  const std::size_t first_line = text.find('\n');
  return "# tocsin-relay configuration (docs/operators.md; `tocsin-relay config-reference`).\n" +
         text.substr(first_line + 1);
}

}  // namespace tocsin::relay
