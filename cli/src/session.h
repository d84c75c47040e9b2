// One run of a `tocsin` command: its global options, where its output goes, and the
// device it works on (opened on first use, or lent by a running `tocsin listen` when the
// command came through its control socket).
//
// Exit codes (docs/cli.md): 0 ok, 1 usage, 2 passphrase / authentication (unlocking the
// device, a relay refusing an invite), 3 not found, 4 network, 5 refused or unauthorised
// (what the device asked for is not allowed: a tree's rules, a relay's limits), 10
// internal.
//
// Thread-safety: a Session belongs to the thread that runs its command.
#ifndef TOCSIN_CLI_SESSION_H_
#define TOCSIN_CLI_SESSION_H_

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>

#include "json.h"
#include "settings.h"
#include "tocsin/client.h"
#include "tocsin/status.h"

namespace tocsin::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitAuth = 2;
inline constexpr int kExitNotFound = 3;
inline constexpr int kExitNetwork = 4;
inline constexpr int kExitRefused = 5;
inline constexpr int kExitInternal = 10;

// The exit code for a failed library call; `opening`: it failed while unlocking the
// device or joining relays (kUnauthorized is then 2, a passphrase or an invite; else 5).
int ExitCodeFor(const Status& status, bool opening = false);

// Options every command takes.
struct GlobalOptions {
  std::string data_dir;  // empty: $TOCSIN_HOME, else ~/.local/share/tocsin
  bool json = false;
  std::string passphrase_file;
  int passphrase_fd = -1;
};

// The folder layout: <data>/device (the library's store), <data>/cli.toml (settings),
// <data>/control.sock (while `listen` runs).
std::filesystem::path ResolveDataDir(const std::string& option);
std::filesystem::path DeviceDir(const std::filesystem::path& data_dir);
std::filesystem::path ControlSocketPath(const std::filesystem::path& data_dir);

// An open device: the library's client and the CLI's settings for it.
struct Device {
  std::unique_ptr<Client> client;
  Settings settings;
  // The alert service (tocsin/alerts.h) attached to `client`, when this build has
  // alert support (type-erased so a build without it links). Declared last: released
  // first, before the client it is attached to.
  std::shared_ptr<void> alerts;
};

// Attaches the alert service to a freshly opened device (alerts_support.cpp; a no-op
// without alert support).
Status AttachAlerts(Device& device);

// Opens the device in `data_dir`, reading the passphrase from `options`' sources.
// Errors carry the exit code's meaning: kUnauthorized for a wrong passphrase, kNotFound
// when there is no device, kUnavailable when another process has it open.
Result<std::unique_ptr<Device>> OpenDevice(const GlobalOptions& options,
                                           const std::filesystem::path& data_dir);

class Session {
 public:
  // `lent`: the device of the `listen` process serving this command, or null.
  Session(GlobalOptions options, std::istream& in, std::ostream& out, std::ostream& err,
          Device* lent = nullptr);
  ~Session();

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.json; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::istream& in() { return in_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  // True when a running `listen` serves this command.
  bool served_by_listen() const { return lent_ != nullptr; }

  // The device, opened on first use (reads the passphrase).
  Result<Device*> Open();

  // Prints `status` as a clear message (or a JSON error object) and returns its exit code
  // (2 for kUnauthorized when it came from opening the device, else ExitCodeFor's).
  int Fail(const Status& status, const std::string& context = "");
  // Fail for errors of unlocking a device or joining relays (init).
  int FailOpening(const Status& status, const std::string& context = "");
  int Fail(int exit_code, const std::string& message);
  // Prints `json` (with --json) or `text` (without), and returns 0.
  int Done(const Json& json, const std::string& text);

 private:
  GlobalOptions options_;
  std::filesystem::path data_dir_;
  std::istream& in_;
  std::ostream& out_;
  std::ostream& err_;
  int Report(const Status& status, const std::string& context, int code);

  Device* lent_;
  std::unique_ptr<Device> owned_;
  bool opening_failed_ = false;
};

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_SESSION_H_
