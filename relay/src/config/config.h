// The relay's configuration: one schema (config_schema.cpp) from which relay.toml is
// loaded, validated and generated (name, type, default, range, description). Each limit
// (proto/SPEC.md section 11) is a setting here.
//
// Thread-safety: a loaded Config is an immutable value; read it from any thread.
#ifndef TOCSIN_RELAY_CONFIG_CONFIG_H_
#define TOCSIN_RELAY_CONFIG_CONFIG_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/mailbox_store.h"
#include "tocsin/status.h"

namespace tocsin::relay {

// Per token class quotas (relay.toml [tokens.intro], [tokens.contact], [tokens.alert]).
struct ClassSettings {
  std::uint64_t ttl_seconds = 0;  // default token lifetime; 0 = never expires
  std::uint64_t max_sends = 0;    // 0 = unlimited
  std::uint64_t max_prekey_fetches = 0;
  std::uint64_t max_queued_messages = 0;
  std::uint64_t max_queued_bytes = 0;
};

struct Config {
  // [server]
  std::string listen = "0.0.0.0:7443";
  std::string metrics_listen = "127.0.0.1:9090";  // empty: no metrics listener
  std::string data_dir = ".";
  std::string admin_socket;  // empty: <data_dir>/admin.sock
  std::string log_level = "info";
  std::string durability = "fsync";
  std::uint64_t io_threads = 0;  // 0: one per core
  // [limits]
  std::uint64_t max_frame_bytes = 262144;
  std::uint64_t max_envelope_bytes = 65792;
  std::uint64_t max_blob_bytes = 65792;
  std::uint64_t max_views_per_frame = 2000;
  std::uint64_t max_views_per_blob = 20000;
  std::uint64_t max_ttl_seconds = 259200;
  std::uint64_t default_window = 64;
  std::uint64_t max_window = 1024;
  std::uint64_t max_mailboxes_per_connection = 16;
  std::uint64_t max_prekeys_per_request = 200;
  std::uint64_t max_one_time_prekeys = 1000;
  std::uint64_t max_tokens_per_mailbox = 256;
  std::uint64_t max_connections = 20000;
  std::uint64_t handshake_timeout_seconds = 10;
  std::uint64_t owner_idle_timeout_seconds = 300;
  std::uint64_t send_idle_timeout_seconds = 60;
  std::uint64_t max_outbound_bytes = 8 * 1024 * 1024;
  std::uint64_t max_inflight_requests = 256;
  std::uint64_t token_grace_seconds = 86400;
  std::uint64_t sweep_interval_ms = 10000;
  std::uint64_t min_free_disk_bytes = 128ull << 20;
  // [rate_limits]
  std::uint64_t connection_requests_per_second = 500;
  std::uint64_t connection_burst = 1000;
  std::uint64_t token_envelopes_per_second = 50;  // per (mailbox, delivery token)
  std::uint64_t token_burst = 200;
  std::uint64_t mailbox_total_envelopes_per_second = 2000;  // per mailbox, all tokens
  std::uint64_t mailbox_total_burst = 5000;
  // [tokens.*], indexed by ClassIndex().
  std::array<ClassSettings, kTokenClassCount> classes{{
      {604800, 20, 10, 20, 1048576},
      {0, 0, 0, 1000, 16 * 1024 * 1024},
      {0, 0, 0, 1000, 16 * 1024 * 1024},
  }};

  // The admin socket path in force (admin_socket or its default).
  std::string AdminSocketPath() const;
  // Where the RocksDB store lives: <data_dir>/store.
  std::string StoreDir() const;
  // The store's options for this configuration (quotas, durability, grace, sweeper).
  StoreOptions MakeStoreOptions() const;
};

// Parses relay.toml text. `origin` names the file in messages. Unknown keys, values of
// the wrong type or out of range, and unparseable TOML are kInvalidArgument with the
// key's name and the reason. A relative data_dir or admin_socket is taken relative to
// `base_dir`.
Result<Config> ParseConfig(std::string_view toml_text, std::string_view origin,
                           std::string_view base_dir);

// Reads and parses a file (kIoError when it cannot be read).
Result<Config> LoadConfigFile(const std::string& path);

// A commented relay.toml holding every setting with its default, except the given
// listen address and data folder.
std::string GenerateConfigText(std::string_view listen, std::string_view data_dir);

// "IPV4:PORT" or "[IPV6]:PORT" split; kInvalidArgument when malformed or when the host
// is not an IP address (a host name).
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_CONFIG_CONFIG_H_
