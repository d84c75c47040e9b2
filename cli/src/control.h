// The control socket of a running `tocsin listen`: <data>/control.sock, a Unix socket
// in the owner-only data folder (mode 0600, and the peer's uid must be ours). While
// `listen` holds the device open, other `tocsin` commands on the same data folder send
// it their command line (and standard input) and print what it answers: so a responder
// can ack from another terminal, and scripts can send while a device listens.
//
// Access to the socket is access to the unlocked device, exactly like access to the
// `listen` process itself (same user): no passphrase is asked for a forwarded command.
//
// Wire: length-prefixed strings (4 bytes, big-endian length, at most 4 MiB each).
// Request: argument count, the arguments, standard input. Reply: exit code, standard
// output, standard error.
//
// Thread-safety: ControlServer runs its own thread; commands run there one at a time.
#ifndef TOCSIN_CLI_CONTROL_H_
#define TOCSIN_CLI_CONTROL_H_

#include <atomic>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <thread>
#include <vector>

#include "tocsin/status.h"

namespace tocsin::cli {

// True when a `listen` answers on `socket`.
bool ControlSocketLive(const std::filesystem::path& socket);

// Sends a command line to the `listen` on `socket`, copies its output to `out` / `err`
// and returns its exit code (4 when the socket fails midway).
int Forward(const std::filesystem::path& socket, const std::vector<std::string>& args,
            const std::string& input, std::ostream& out, std::ostream& err);

class ControlServer {
 public:
  // Runs a command: (args, stdin, out, err) -> exit code.
  using Handler = std::function<int(const std::vector<std::string>&, const std::string&,
                                    std::string*, std::string*)>;

  ControlServer() = default;
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds `socket` (a stale file is replaced) and serves. kUnavailable when another
  // listen already serves it.
  Status Start(const std::filesystem::path& socket, Handler handler);
  // Stops serving and removes the socket file. Idempotent.
  void Stop();

 private:
  void Serve();
  void ServeOne(int connection);

  std::filesystem::path path_;
  Handler handler_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_CONTROL_H_
