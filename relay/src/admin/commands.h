// The tocsin-relay subcommands other than serve: init, and the admin commands that go
// through the admin socket when a relay serves the data folder, or open the store
// directly when none does (RocksDB's lock allows one process at a time).
// Each returns the process exit code and prints to stdout / stderr.
#ifndef TOCSIN_RELAY_ADMIN_COMMANDS_H_
#define TOCSIN_RELAY_ADMIN_COMMANDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace tocsin::relay {

struct InitOptions {
  std::string data_dir;
  std::string listen = "0.0.0.0:7443";
  // Host written in the printed address; empty: the listen host, or this machine's
  // name when listening on every interface.
  std::string public_host;
};

// Creates the data folder (mode 0700), key, certificate and relay.toml, and prints the
// relay address. Refuses to touch an existing identity.
int RunInit(const InitOptions& options);

// Sends one admin request line (admin_protocol.h) to the serving relay, or runs it on
// the store directly when no relay serves; prints the answer.
int RunAdmin(const Config& config, const std::string& line);

// "7d", "12h", "30m", "45s", "2w", a bare number of seconds; "0" or "never": 0.
Result<std::uint64_t> ParseDurationSeconds(std::string_view text);

// The relay's config: --config FILE, or DATA/relay.toml with --data DATA.
Result<Config> LoadConfigFor(const std::string& config_path, const std::string& data_dir);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_ADMIN_COMMANDS_H_
