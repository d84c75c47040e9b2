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
  // Either a data folder (init writes DATA/relay.toml there), or an existing config
  // file whose data_dir and listen are used (the file itself is left as it is).
  std::string data_dir;
  std::string config_path;
  std::string listen = "0.0.0.0:7443";  // with data_dir only
  bool listen_given = false;            // --listen was on the command line
  // Host written in the printed address; empty: the listen host, or this machine's
  // name when listening on every interface.
  std::string public_host;
};

// Creates the data folder (mode 0700), key and certificate, plus DATA/relay.toml when
// initialising by data folder, and prints the relay address. A DATA/relay.toml already
// there is kept, and its listen address is the one printed (a different --listen is
// refused). Refuses to touch an
// existing identity, and refuses to run as root on a folder another user owns (the
// relay, running as that user, could not read a key owned by root).
// REQUIRES: exactly one of data_dir and config_path is set.
int RunInit(const InitOptions& options);

// Exit code 2 and a message when `config`'s data folder has no identity yet (serve
// would fail to start; a service manager should not restart it in a loop).
int RequireIdentity(const Config& config, const std::string& config_hint);

// The configuration reference: a Markdown table of every setting of the schema
// (setting, type, default, range, description), as docs/operators.md holds it.
std::string ConfigReferenceMarkdown();

// A complete relay.toml with every setting at its default, except listen and data_dir.
std::string ConfigReferenceToml(const std::string& listen, const std::string& data_dir);

// Sends one admin request line (admin_protocol.h) to the serving relay, or runs it on
// the store directly when no relay serves; prints the answer. Without a serving relay,
// refuses (exit 2) a data folder with no relay identity, and refuses root in a folder
// that another user owns (the relay's user would be left with root's files).
int RunAdmin(const Config& config, const std::string& line);

// "7d", "12h", "30m", "45s", "2w", a bare number of seconds; "never": 0. A zero
// duration is refused.
Result<std::uint64_t> ParseDurationSeconds(std::string_view text);

// The relay's config: --config FILE, or DATA/relay.toml with --data DATA.
Result<Config> LoadConfigFor(const std::string& config_path, const std::string& data_dir);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_ADMIN_COMMANDS_H_
