// deploy/testnet.sh: the relays it starts accept TLS connections that speak the
// protocol, and SIGTERM to the script stops every relay and removes the temporary folder.
// Also: the relay serves under MemoryDenyWriteExecute (the systemd unit sets it), checked
// with systemd's seccomp filter on any kernel, the kernel's own W^X switch (prctl
// PR_SET_MDWE) where the kernel has it, and the relay's mappings after traffic.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "relay_process.h"
#include "test_client.h"

namespace tocsin::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kTestnetDeadline = std::chrono::seconds(90);

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Runs `args` with stdout and stderr to files; returns the pid.
pid_t Spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

// The exit status of `pid` once it ends before `deadline`; -1 if it does not.
int WaitExit(pid_t pid, Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

bool WaitFor(const std::function<bool()>& condition, Clock::time_point deadline) {
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// The folder testnet.sh names on stderr ("data and logs in DIR").
std::string NetworkDir(const std::string& errors) {
  const std::string marker = "data and logs in ";
  const std::size_t at = errors.find(marker);
  if (at == std::string::npos) return "";
  const std::size_t start = at + marker.size();
  return errors.substr(start, errors.find('\n', start) - start);
}

// The relay pids from each relayN/serving.txt ("pid N" line).
std::vector<pid_t> RelayPids(const std::string& dir, int relays) {
  std::vector<pid_t> pids;
  for (int i = 1; i <= relays; ++i) {
    for (const std::string& line :
         Lines(ReadText(dir + "/relay" + std::to_string(i) + "/serving.txt"))) {
      if (line.rfind("pid ", 0) == 0) pids.push_back(std::stoi(line.substr(4)));
    }
  }
  return pids;
}

// Connects with TLS 1.3 (the pin checked), says Hello, and opens a mailbox with
// `invite` (base32) when one is given.
void RequireSpeaksTheProtocol(const std::string& text, const std::string& invite = "") {
  INFO(text);
  Result<RelayAddress> address = ParseRelayAddress(text);
  REQUIRE(address.ok());
  CHECK(address->host == "127.0.0.1");
  auto client = TestClient::Connect(*address);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  REQUIRE((*client)->Hello(invite.empty() ? wire::SEND : wire::OWNER).ok());
  CHECK((*client)->Ping().ok());
  if (invite.empty()) return;
  Result<std::vector<std::uint8_t>> bytes = Base32Decode(invite);
  REQUIRE(bytes.ok());
  auto mailbox =
      (*client)->CreateMailbox(std::string(bytes->begin(), bytes->end()), AuthKeyPair::Generate());
  INFO(mailbox.status().ToString());
  CHECK(mailbox.ok());
}

struct Network {
  std::string scratch;
  std::string addresses_file;
  std::string invites_file;
  std::string out;
  std::string err;
  pid_t pid = -1;
};

Network StartNetwork(const std::string& binary, int relays) {
  Network n;
  n.scratch = RelayProcess::MakeTempDir("tocsin-testnet-test-");
  n.addresses_file = n.scratch + "/addresses";
  n.invites_file = n.scratch + "/invites";
  n.out = n.scratch + "/out";
  n.err = n.scratch + "/err";
  n.pid = Spawn(
      {TOCSIN_TESTNET_SCRIPT, "--relays", std::to_string(relays), "--binary", binary, "--addresses",
       n.addresses_file, "--invites", n.invites_file, "--set", "limits.sweep_interval_ms=200"},
      n.out, n.err);
  return n;
}

// SIGTERM to the script; it must exit 0 leaving no relay process and no folder.
void RequireCleanStop(Network& n, const std::string& dir, const std::vector<pid_t>& relay_pids) {
  REQUIRE(::kill(n.pid, SIGTERM) == 0);
  const int status = WaitExit(n.pid, Clock::now() + kTestnetDeadline);
  INFO(ReadText(n.err));
  CHECK(status == 0);
  for (const pid_t pid : relay_pids) CHECK(::kill(pid, 0) == -1);
  CHECK_FALSE(fs::exists(dir));
  CHECK_FALSE(fs::exists(n.addresses_file));  // the script did not remove it: the test does
  fs::remove_all(n.scratch);
}

TEST_CASE("testnet.sh starts relays that accept TLS and stops them on SIGTERM",
          "[deploy][testnet]") {
  Network n = StartNetwork(TOCSIN_RELAY_BINARY, 2);
  REQUIRE(n.pid > 0);
  const bool up =
      WaitFor([&] { return fs::exists(n.addresses_file); }, Clock::now() + kTestnetDeadline);
  INFO(ReadText(n.err));
  REQUIRE(up);
  const std::vector<std::string> addresses = Lines(ReadText(n.addresses_file));
  REQUIRE(addresses.size() == 2);
  CHECK(addresses[0] != addresses[1]);
  CHECK(Lines(ReadText(n.out)) == addresses);  // stdout says the same, in order
  const std::vector<std::string> invites = Lines(ReadText(n.invites_file));
  REQUIRE(invites.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) RequireSpeaksTheProtocol(addresses[i], invites[i]);

  const std::string dir = NetworkDir(ReadText(n.err));
  REQUIRE(fs::is_directory(dir));
  CHECK(ReadText(dir + "/relay1/relay.toml").find("sweep_interval_ms = 200") != std::string::npos);
  const std::vector<pid_t> relay_pids = RelayPids(dir, 2);
  REQUIRE(relay_pids.size() == 2);
  fs::remove(n.addresses_file);
  RequireCleanStop(n, dir, relay_pids);
}

// A wrapper that runs tocsin-relay under MemoryDenyWriteExecute's rule (mdwe_exec):
// systemd's seccomp filter on every kernel, and the kernel's own W^X rule (PR_SET_MDWE)
// when `with_prctl`.
std::string MdweWrapper(const std::string& dir, bool with_prctl) {
  const std::string path = dir + "/tocsin-relay-mdwe";
  std::ofstream(path) << "#!/bin/sh\nexec " << TOCSIN_MDWE_EXEC << (with_prctl ? " --prctl " : " ")
                      << TOCSIN_RELAY_BINARY << " \"$@\"\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

// True when `mdwe_exec ARG` exits 0.
bool MdweExec(const std::string& arg) {
  const pid_t pid = Spawn({TOCSIN_MDWE_EXEC, arg}, "/dev/null", "/dev/null");
  return WaitExit(pid, Clock::now() + kTestnetDeadline) == 0;
}

// The mappings of `pid` (lines of /proc/PID/maps) whose permissions include `perms`
// ("wx": writable and executable; "x": executable).
std::vector<std::string> MappingsWith(pid_t pid, const std::string& perms) {
  std::vector<std::string> found;
  for (const std::string& line : Lines(ReadText("/proc/" + std::to_string(pid) + "/maps"))) {
    std::istringstream fields(line);
    std::string range;
    std::string mode;
    fields >> range >> mode;
    bool all = mode.size() == 4;
    for (const char p : perms) all = all && mode.find(p) != std::string::npos;
    if (all) found.push_back(line);
  }
  return found;
}

// Traffic that exercises TLS, the store and delivery: a mailbox opened with `invite`,
// envelopes sent on a send connection, delivered on the owner connection and acked.
void RequireDeliversEnvelopes(const std::string& text, const std::string& invite) {
  Result<RelayAddress> address = ParseRelayAddress(text);
  REQUIRE(address.ok());
  auto owner = TestClient::Connect(*address);
  REQUIRE(owner.ok());
  REQUIRE((*owner)->Hello(wire::OWNER).ok());
  Result<std::vector<std::uint8_t>> invite_bytes = Base32Decode(invite);
  REQUIRE(invite_bytes.ok());
  const AuthKeyPair key = AuthKeyPair::Generate();
  auto mailbox =
      (*owner)->CreateMailbox(std::string(invite_bytes->begin(), invite_bytes->end()), key);
  INFO(mailbox.status().ToString());
  REQUIRE(mailbox.ok());
  const std::string token = RandomToken();
  REQUIRE((*owner)->SetToken(*mailbox, wire::CONTACT, token).ok());
  REQUIRE((*owner)->Subscribe(*mailbox).ok());
  auto sender = TestClient::Connect(*address);
  REQUIRE(sender.ok());
  REQUIRE((*sender)->Hello(wire::SEND).ok());
  constexpr int kEnvelopes = 20;
  for (int i = 0; i < kEnvelopes; ++i) {
    std::string envelope = "envelope " + std::to_string(i);
    envelope.resize(1024, '.');
    REQUIRE((*sender)->Send(*mailbox, token, envelope).ok());
  }
  for (int i = 0; i < kEnvelopes; ++i) {
    auto delivery = (*owner)->NextDelivery();
    INFO(delivery.status().ToString());
    REQUIRE(delivery.ok());
    CHECK(delivery->envelope().rfind("envelope " + std::to_string(i) + ".", 0) == 0);
    REQUIRE((*owner)->Ack(*mailbox, {delivery->seq()}).ok());
  }
}

// MemoryDenyWriteExecute: the systemd unit asks for it; the relay serves real traffic
// under the rule systemd enforces for it, as a seccomp filter (systemd 252, any kernel)
// and, where the kernel has it (Linux 6.3+), also under the kernel's own W^X rule
// (PR_SET_MDWE, which newer systemd uses); and afterwards no mapping of the relay is
// writable and executable.
TEST_CASE("the relay serves with memory that is never writable and executable",
          "[deploy][testnet]") {
  bool unit_asks = false;
  for (const std::string& line : Lines(ReadText(TOCSIN_SYSTEMD_UNIT))) {
    unit_asks = unit_asks || line == "MemoryDenyWriteExecute=yes";
  }
  CHECK(unit_asks);
  // The filter refuses what systemd's refuses (else this test would prove nothing).
  REQUIRE(MdweExec("--self-test"));
  const bool with_prctl = MdweExec("--check");
  if (!with_prctl) WARN("this kernel has no PR_SET_MDWE: checked with the seccomp filter only");

  const std::string dir = RelayProcess::MakeTempDir("tocsin-mdwe-");
  const std::string wrapper = MdweWrapper(dir, with_prctl);
  Network n = StartNetwork(wrapper, 1);
  const bool up =
      WaitFor([&] { return fs::exists(n.addresses_file); }, Clock::now() + kTestnetDeadline);
  INFO(ReadText(n.err));
  REQUIRE(up);
  const std::vector<std::string> addresses = Lines(ReadText(n.addresses_file));
  const std::vector<std::string> invites = Lines(ReadText(n.invites_file));
  REQUIRE(addresses.size() == 1);
  REQUIRE(invites.size() == 1);
  RequireDeliversEnvelopes(addresses[0], invites[0]);
  const std::string net_dir = NetworkDir(ReadText(n.err));
  const std::vector<pid_t> relay_pids = RelayPids(net_dir, 1);
  REQUIRE(relay_pids.size() == 1);

  CHECK_FALSE(MappingsWith(relay_pids[0], "x").empty());  // the maps were read
  for (const std::string& mapping : MappingsWith(relay_pids[0], "wx")) {
    FAIL_CHECK("writable and executable: " << mapping);
  }
  CHECK(::kill(relay_pids[0], 0) == 0);  // still serving after the traffic
  fs::remove(n.addresses_file);
  RequireCleanStop(n, net_dir, relay_pids);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tocsin::testing
