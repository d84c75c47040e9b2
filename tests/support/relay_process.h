// RelayProcess: the real tocsin-relay binary, run for a test or a benchmark.
//
// It makes a temporary data folder, runs `tocsin-relay init` there, applies config
// overrides to the generated relay.toml, then `serve` on 127.0.0.1 with a free port
// (the same port again on every restart, so the relay address stays the same), waits
// until the relay accepts connections, and removes the folder when destroyed (killing
// the relay first if it still runs). The binary's path is the compile definition
// TOCSIN_RELAY_BINARY (see support.cmake). With TOCSIN_RELAY_WRAPPER set in the
// environment, `serve` runs under that command (a profiler: "valgrind --tool=callgrind").
//
// Usage:
//   tocsin::testing::RelayProcess relay({{"limits.max_ttl_seconds", "60"}});
//   relay.Start();                       // REQUIRE(relay.Start().ok())
//   TestClient::Connect(relay.address()) ...
//   relay.Kill9(); relay.Start();        // crash and restart on the same data
//   relay.Terminate(); relay.Reconfigure({...}); relay.Start();  // restart, other settings
//   int code = relay.Terminate();        // SIGTERM, returns the exit status
//   auto r = relay.RunCommand({"stats"}); // any subcommand, --config added for you
//
// Thread-safety: one thread drives a RelayProcess.
#ifndef TOCSIN_TESTS_SUPPORT_RELAY_PROCESS_H_
#define TOCSIN_TESTS_SUPPORT_RELAY_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tocsin/relay_address.h"
#include "tocsin/status.h"

namespace tocsin::testing {

// "section.key" -> TOML value text, e.g. {"server.durability", "\"wal\""},
// {"limits.max_ttl_seconds", "60"}.
using ConfigOverrides = std::map<std::string, std::string>;

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128 + signal
  std::string output;  // stdout
  std::string errors;  // stderr
};

class RelayProcess {
 public:
  // Makes the folder and runs init. Check init_status() (a test should REQUIRE it ok).
  explicit RelayProcess(ConfigOverrides overrides = {});
  ~RelayProcess();
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  const Status& init_status() const { return init_status_; }
  // Applies more overrides to relay.toml; a running relay sees them at its next Start.
  Status Reconfigure(const ConfigOverrides& overrides);

  // Starts serve and waits (up to `timeout`) until it accepts TLS connections.
  Status Start(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Starts later runs of serve under a file size limit (RLIMIT_FSIZE, via prlimit):
  // a write that would grow a file past `bytes` fails (EFBIG), as a full disk would
  // fail it. 0 removes the limit. For failure tests.
  void set_file_size_limit(std::uint64_t bytes) { file_size_limit_ = bytes; }
  // Starts later runs of serve with this open-file limit (RLIMIT_NOFILE, soft and hard,
  // via prlimit). 0: as inherited.
  void set_open_files_limit(std::uint64_t soft, std::uint64_t hard) {
    open_files_soft_ = soft;
    open_files_hard_ = hard;
  }
  // SIGKILL and reap. No-op when not running.
  void Kill9();
  // SIGTERM; waits up to `timeout` for the exit and returns its status (-1: still
  // running after the timeout, then killed).
  int Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // The running relay's resident memory (VmRSS), KiB; 0 when not running or unreadable.
  std::uint64_t RssKiB() const;

  // tocsin://<pin>@127.0.0.1:<port>
  const RelayAddress& address() const { return address_; }
  std::uint16_t port() const { return address_.port; }
  std::uint16_t metrics_port() const { return metrics_port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string config_path() const { return data_dir_ + "/relay.toml"; }
  // The relay's stderr so far (all runs).
  std::string Log() const;

  // Runs `tocsin-relay <args...> --config <relay.toml>` and waits for it.
  CommandResult RunCommand(const std::vector<std::string>& args) const;
  // Polls `stats` until one of its lines reads `line` (e.g. "queued envelopes: 0").
  bool WaitForStat(const std::string& line,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // Runs `tocsin-relay <args...>` as given.
  static CommandResult RunBinary(const std::vector<std::string>& args,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // A new invite from `invite create` (the 16 bytes), through the admin socket when
  // running, on the folder directly otherwise. Empty on failure.
  std::string CreateInvite(int uses = 100, const std::string& expires = "7d") const;

  // A folder for the test's own files, removed with the relay's.
  static std::string MakeTempDir(const std::string& prefix);

 private:
  bool Accepting() const;

  std::string data_dir_;
  RelayAddress address_;
  std::uint16_t metrics_port_ = 0;
  pid_t pid_ = -1;
  std::uint64_t file_size_limit_ = 0;
  std::uint64_t open_files_soft_ = 0;
  std::uint64_t open_files_hard_ = 0;
  Status init_status_;
};

// Sets `key` (section.name) to `value` in relay.toml text; false when not found.
bool SetTomlValue(std::string* text, const std::string& key, const std::string& value);

// An unused TCP port on 127.0.0.1, outside the kernel's ephemeral range (bound and
// released: good enough for tests).
std::uint16_t FreePort();

// The whole HTTP/1.1 reply (status line, headers, body) of GET `path` on 127.0.0.1:`port`;
// empty when nothing answers. For the relay's metrics listener.
std::string HttpGet(std::uint16_t port, const std::string& path);

// The value of the metric line `name` (exactly, labels included) on a Prometheus page;
// -1 when the page has no such line.
double MetricValue(const std::string& page, const std::string& name);

// Reads the relay's metric `name` until it is at least `value` (a counter the relay
// bumps on its own thread, a moment after the client saw the cause) or `timeout` ran
// out; returns the last value read. A line not on the page yet (a labelled counter
// before its first count) reads as 0.
double MetricWhenReached(const RelayProcess& relay, const std::string& name, double value,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_SUPPORT_RELAY_PROCESS_H_
