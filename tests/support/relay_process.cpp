#include "relay_process.h"

#include <asio.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "tocsin/relay_address.h"

extern char** environ;

namespace tocsin::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Spawns `args` with stdout and stderr sent to the given files (appended).
pid_t Spawn(const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` up to `timeout`; returns its status or -1 (still running).
int WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeStatus(status);
    if (r < 0) return -1;
    if (Clock::now() > until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool TcpConnects(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// `serve` on `config`, under the wrapper named by TOCSIN_RELAY_WRAPPER if set (words
// separated by spaces, e.g. "valgrind --tool=callgrind --instr-atstart=no"), and under
// the limits in `prlimits` (prlimit options; prlimit sets them, then execs: the relay
// keeps prlimit's pid).
std::vector<std::string> ServeCommand(const std::string& config,
                                      const std::vector<std::string>& prlimits) {
  std::vector<std::string> args;
  if (!prlimits.empty()) {
    args.emplace_back("prlimit");
    args.insert(args.end(), prlimits.begin(), prlimits.end());
  }
  if (const char* wrapper = std::getenv("TOCSIN_RELAY_WRAPPER")) {
    std::istringstream words(wrapper);
    for (std::string word; words >> word;) args.push_back(word);
  }
  for (const char* a : {TOCSIN_RELAY_BINARY, "serve", "--config"}) args.emplace_back(a);
  args.push_back(config);
  return args;
}

// Binds 127.0.0.1:`port` (0: the kernel picks) and releases it; the port bound, or 0.
std::uint16_t BindAndRelease(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof(addr);
  std::uint16_t bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  ::close(fd);
  return bound;
}

// The ports outside the kernel's ephemeral range (as deploy/testnet.sh picks them).
std::pair<int, int> PortsOutsideEphemeral() {
  int low = 32768;
  int high = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  if (low >= 22000) return {20000, low - 20000};
  if (high <= 63000) return {high + 1, 65535 - high};
  return {20000, 40000};
}

}  // namespace

// Outside the ephemeral range: a port the kernel picked there could be given to any
// outgoing connection (another test's client) before the relay binds it.
std::uint16_t FreePort() {
  static std::mutex mutex;
  static std::mt19937 rng{std::random_device{}()};
  const auto [first, count] = PortsOutsideEphemeral();
  std::lock_guard lock(mutex);
  for (int tries = 0; tries < 200; ++tries) {
    const auto port = static_cast<std::uint16_t>(first + static_cast<int>(rng() % count));
    if (BindAndRelease(port) == port) return port;
  }
  return BindAndRelease(0);
}

bool SetTomlValue(std::string* text, const std::string& key, const std::string& value) {
  const std::size_t dot = key.rfind('.');
  if (dot == std::string::npos) return false;
  std::string header = "\n[";
  header.append(key, 0, dot).append("]\n");
  const std::size_t section = text->find(header);
  if (section == std::string::npos) return false;
  const std::size_t section_end = text->find("\n[", section + header.size());
  std::string line_start = "\n";
  line_start.append(key, dot + 1).append(" = ");
  const std::size_t at = text->find(line_start, section);
  if (at == std::string::npos || (section_end != std::string::npos && at > section_end)) {
    return false;
  }
  const std::size_t value_at = at + line_start.size();
  const std::size_t eol = text->find('\n', value_at);
  text->replace(value_at, eol - value_at, value);
  return true;
}

std::string RelayProcess::MakeTempDir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

RelayProcess::RelayProcess(ConfigOverrides overrides) {
  data_dir_ = MakeTempDir("tocsin-relay-test-");
  address_.host = "127.0.0.1";
  address_.port = FreePort();
  // Picked at random, so it could come out equal to the listen port.
  do {
    metrics_port_ = FreePort();
  } while (metrics_port_ == address_.port);
  const std::string listen = "127.0.0.1:" + std::to_string(address_.port);
  const std::string dir = data_dir_ + "/data";
  data_dir_ = dir;
  CommandResult init = RunBinary({TOCSIN_RELAY_BINARY, "init", "--data", dir, "--listen", listen});
  Result<RelayAddress> parsed = ParseRelayAddress(init.output.substr(0, init.output.find('\n')));
  if (init.exit_code != 0 || !parsed.ok()) {
    init_status_ = Status::Internal("tocsin-relay init failed: " + init.errors + init.output);
    return;
  }
  address_.pin = parsed->pin;
  overrides.try_emplace("server.metrics_listen",
                        "\"127.0.0.1:" + std::to_string(metrics_port_) + "\"");
  init_status_ = Reconfigure(overrides);
}

RelayProcess::~RelayProcess() {
  Kill9();
  std::error_code ec;
  if (!data_dir_.empty()) fs::remove_all(fs::path(data_dir_).parent_path(), ec);
}

Status RelayProcess::Reconfigure(const ConfigOverrides& overrides) {
  std::string text = ReadFile(config_path());
  for (const auto& [key, value] : overrides) {
    if (!SetTomlValue(&text, key, value)) {
      return Status::InvalidArgument("no setting " + key + " in relay.toml");
    }
  }
  std::ofstream(config_path(), std::ios::trunc) << text;
  return Status::Ok();
}

bool RelayProcess::Accepting() const {
  const std::string serving = ReadFile(data_dir_ + "/serving.txt");
  if (serving.find("pid " + std::to_string(pid_) + "\n") == std::string::npos) return false;
  return TcpConnects(address_.port);
}

std::uint64_t RelayProcess::RssKiB() const {
  if (!running()) return 0;
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

Status RelayProcess::Start(std::chrono::milliseconds timeout) {
  if (!init_status_.ok()) return init_status_;
  if (running()) return Status::InvalidArgument("already running");
  const std::string log = data_dir_ + "/../relay.log";
  std::vector<std::string> prlimits;
  if (file_size_limit_ != 0) prlimits.push_back("--fsize=" + std::to_string(file_size_limit_));
  if (open_files_soft_ != 0) {
    prlimits.push_back("--nofile=" + std::to_string(open_files_soft_) + ":" +
                       std::to_string(open_files_hard_));
  }
  pid_ = Spawn(ServeCommand(config_path(), prlimits), log, log);
  if (pid_ < 0) return Status::IoError("cannot start " TOCSIN_RELAY_BINARY);
  const auto until = Clock::now() + timeout;
  while (!Accepting()) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Unavailable("relay exited with " + std::to_string(DecodeStatus(status)) +
                                 ":\n" + Log());
    }
    if (Clock::now() > until) {
      Kill9();
      return Status::Unavailable("relay did not start in time:\n" + Log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Ok();
}

void RelayProcess::Kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  WaitExit(pid_, std::chrono::seconds(60));
  pid_ = -1;
}

int RelayProcess::Terminate(std::chrono::milliseconds timeout) {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  const int code = WaitExit(pid_, timeout);
  if (code < 0) {
    Kill9();
    return -1;
  }
  pid_ = -1;
  return code;
}

std::string RelayProcess::Log() const { return ReadFile(data_dir_ + "/../relay.log"); }

CommandResult RelayProcess::RunCommand(const std::vector<std::string>& args) const {
  std::vector<std::string> all = {TOCSIN_RELAY_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  all.push_back("--config");
  all.push_back(config_path());
  return RunBinary(all);
}

bool RelayProcess::WaitForStat(const std::string& line, std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    const CommandResult stats = RunCommand({"stats"});
    if (stats.exit_code == 0 && stats.output.find(line + "\n") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

CommandResult RelayProcess::RunBinary(const std::vector<std::string>& args,
                                      std::chrono::milliseconds timeout) {
  CommandResult result;
  const std::string dir = MakeTempDir("tocsin-relay-cmd-");
  const std::string out = dir + "/out";
  const std::string err = dir + "/err";
  std::vector<std::string> argv = args;
  if (argv.empty() || argv[0] != TOCSIN_RELAY_BINARY)
    argv.insert(argv.begin(), TOCSIN_RELAY_BINARY);
  const pid_t pid = Spawn(argv, out, err);
  if (pid > 0) {
    result.exit_code = WaitExit(pid, timeout);
    if (result.exit_code < 0) {
      ::kill(pid, SIGKILL);
      WaitExit(pid, std::chrono::seconds(60));
    }
  }
  result.output = ReadFile(out);
  result.errors = ReadFile(err);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return result;
}

std::string RelayProcess::CreateInvite(int uses, const std::string& expires) const {
  CommandResult r =
      RunCommand({"invite", "create", "--uses", std::to_string(uses), "--expires", expires});
  if (r.exit_code != 0) {
    // The caller sees only an empty invite: say why here.
    std::cerr << "tocsin-relay invite create exited " << r.exit_code << ": " << r.errors
              << "\nthe relay's log:\n"
              << Log() << "\n";
    return "";
  }
  Result<std::vector<std::uint8_t>> bytes = Base32Decode(r.output.substr(0, r.output.find('\n')));
  if (!bytes.ok() || bytes->size() != 16) return "";
  return std::string(bytes->begin(), bytes->end());
}

std::string HttpGet(std::uint16_t port, const std::string& path) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  asio::error_code ec;
  socket.connect({asio::ip::address_v4::loopback(), port}, ec);
  if (ec) return "";
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  asio::write(socket, asio::buffer(request), ec);
  std::string reply;
  asio::read(socket, asio::dynamic_buffer(reply), ec);
  return reply;
}

double MetricValue(const std::string& page, const std::string& name) {
  const std::string start = "\n" + name + " ";
  const std::size_t at = page.find(start);
  if (at == std::string::npos) return -1;
  const std::size_t from = at + start.size();
  return std::stod(page.substr(from, page.find('\n', from) - from));
}

double MetricWhenReached(const RelayProcess& relay, const std::string& name, double value,
                         std::chrono::milliseconds timeout) {
  const auto read = [&] {
    return std::max(0.0, MetricValue(HttpGet(relay.metrics_port(), "/metrics"), name));
  };
  const auto until = std::chrono::steady_clock::now() + timeout;
  double now = read();
  while (now < value && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    now = read();
  }
  return now;
}

}  // namespace tocsin::testing
