#include "config/config_schema.h"

#include <array>
#include <utility>

namespace tocsin::relay {
namespace {

using Ref = std::function<std::uint64_t&(Config&)>;

Setting UInt(std::string section, std::string name, std::string description, Ref ref,
             std::uint64_t min, std::uint64_t max) {
  Setting s;
  s.section = std::move(section);
  s.name = std::move(name);
  s.description = std::move(description);
  s.type = Setting::Type::kUInt;
  s.uint_ref = std::move(ref);
  s.min = min;
  s.max = max;
  return s;
}

Setting String(std::string name, std::string description, std::function<std::string&(Config&)> ref,
               std::function<std::string(std::string_view)> check) {
  Setting s;
  s.section = "server";
  s.name = std::move(name);
  s.description = std::move(description);
  s.type = Setting::Type::kString;
  s.string_ref = std::move(ref);
  s.check_string = std::move(check);
  return s;
}

std::function<std::string(std::string_view)> OneOf(std::vector<std::string> choices) {
  return [choices = std::move(choices)](std::string_view value) -> std::string {
    std::string list;
    for (const auto& c : choices) {
      if (c == value) return "";
      list += (list.empty() ? "" : ", ") + ("\"" + c + "\"");
    }
    return "must be one of " + list;
  };
}

std::string CheckAddress(std::string_view value, bool allow_empty) {
  if (value.empty()) return allow_empty ? "" : "must not be empty";
  Result<HostPort> hp = ParseHostPort(value);
  return hp.ok() ? "" : hp.status().message();
}

std::string CheckNonEmpty(std::string_view value) {
  return value.empty() ? "must not be empty" : "";
}

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kYear = 366ull * 24 * 3600;

void AddServer(std::vector<Setting>* s) {
  s->push_back(String(
      "listen", "Address the relay accepts TLS connections on (IP:PORT)",
      [](Config& c) -> std::string& { return c.listen; },
      [](std::string_view v) { return CheckAddress(v, false); }));
  s->push_back(String(
      "metrics_listen",
      "Prometheus metrics listener (plain HTTP, keep it on loopback); "
      "empty disables it",
      [](Config& c) -> std::string& { return c.metrics_listen; },
      [](std::string_view v) { return CheckAddress(v, true); }));
  s->push_back(String(
      "data_dir", "Folder holding the key, certificate and store",
      [](Config& c) -> std::string& { return c.data_dir; }, CheckNonEmpty));
  s->push_back(String(
      "admin_socket",
      "Unix socket for the admin commands (mode 0600), relative to this file's folder; "
      "empty: <data_dir>/admin.sock",
      [](Config& c) -> std::string& { return c.admin_socket; },
      [](std::string_view) { return std::string(); }));
  s->push_back(String(
      "log_level", "trace, debug, info, warn, error or off",
      [](Config& c) -> std::string& { return c.log_level; },
      OneOf({"trace", "debug", "info", "warn", "error", "off"})));
  s->push_back(String(
      "durability",
      "\"fsync\": answer Stored only after fsync (safe); \"wal\": no fsync, a "
      "power cut may lose the last answered envelopes",
      [](Config& c) -> std::string& { return c.durability; }, OneOf({"fsync", "wal"})));
  s->push_back(UInt(
      "server", "io_threads", "Network threads; 0: one per core",
      [](Config& c) -> std::uint64_t& { return c.io_threads; }, 0, 64));
}

void AddLimits(std::vector<Setting>* s) {
  auto add = [s](std::string name, std::string description, std::uint64_t Config::*field,
                 std::uint64_t min, std::uint64_t max) {
    s->push_back(UInt(
        "limits", std::move(name), std::move(description),
        [field](Config& c) -> std::uint64_t& { return c.*field; }, min, max));
  };
  add("max_frame_bytes", "Largest frame accepted or sent", &Config::max_frame_bytes, 1024,
      16 * kMiB);
  add("max_envelope_bytes", "Largest Send envelope", &Config::max_envelope_bytes, 1, 16 * kMiB);
  add("max_blob_bytes", "Largest PutBlob body", &Config::max_blob_bytes, 1, 16 * kMiB);
  add("max_views_per_frame", "Views in one SendViews", &Config::max_views_per_frame, 1, 100000);
  add("max_views_per_blob", "Views over all SendViews of one blob", &Config::max_views_per_blob, 1,
      10000000);
  add("max_ttl_seconds", "TTL cap of envelopes and blobs (TOO_LARGE above it)",
      &Config::max_ttl_seconds, 1, kYear);
  add("default_window", "Subscribe window when the client asks for 0", &Config::default_window, 1,
      65536);
  add("max_window", "Largest Subscribe window", &Config::max_window, 1, 65536);
  add("max_mailboxes_per_connection", "Mailboxes one owner connection may authenticate",
      &Config::max_mailboxes_per_connection, 1, 4096);
  add("max_prekeys_per_request", "One-time pre-keys in one PutPrekeys",
      &Config::max_prekeys_per_request, 1, 100000);
  add("max_one_time_prekeys", "One-time pre-keys stored per mailbox", &Config::max_one_time_prekeys,
      1, 1000000);
  add("max_tokens_per_mailbox", "Delivery tokens valid at once per mailbox",
      &Config::max_tokens_per_mailbox, 1, 100000);
  add("max_connections", "Open connections at once (more are refused)", &Config::max_connections, 1,
      10000000);
  add("handshake_timeout_seconds", "Time a client has to finish TLS and Hello",
      &Config::handshake_timeout_seconds, 1, 3600);
  add("owner_idle_timeout_seconds", "Owner connection closed after this long without a frame",
      &Config::owner_idle_timeout_seconds, 1, 86400);
  add("send_idle_timeout_seconds", "Send connection closed after this long without a frame",
      &Config::send_idle_timeout_seconds, 1, 86400);
  add("max_outbound_bytes",
      "Bytes waiting to be written to one connection; over it the "
      "connection is closed (slow reader)",
      &Config::max_outbound_bytes, 65536, 1024 * kMiB);
  add("max_inflight_requests",
      "Requests of one connection being processed at once; reading "
      "pauses above it",
      &Config::max_inflight_requests, 1, 100000);
  add("token_grace_seconds", "How long a rotated token keeps working by default",
      &Config::token_grace_seconds, 0, kYear);
  add("sweep_interval_ms", "How often expired entries, blobs, tokens and invites are deleted",
      &Config::sweep_interval_ms, 10, 3600 * 1000);
  add("min_free_disk_bytes",
      "Free space the store's disk keeps: below it, writes (Send, SendViews, ...) are "
      "refused with UNAVAILABLE and reads go on; 0: none",
      &Config::min_free_disk_bytes, 0, 1ull << 50);
}

void AddRateLimits(std::vector<Setting>* s) {
  auto add = [s](std::string name, std::string description, std::uint64_t Config::*field) {
    s->push_back(UInt(
        "rate_limits", std::move(name), std::move(description),
        [field](Config& c) -> std::uint64_t& { return c.*field; }, 1, 10000000));
  };
  add("connection_requests_per_second", "Requests per second on one connection",
      &Config::connection_requests_per_second);
  add("connection_burst", "Requests one connection may send at once", &Config::connection_burst);
  add("token_envelopes_per_second",
      "Envelopes (and pre-key fetches) per second into one mailbox over one delivery token",
      &Config::token_envelopes_per_second);
  add("token_burst", "Envelopes one delivery token may deliver to its mailbox at once",
      &Config::token_burst);
  add("mailbox_total_envelopes_per_second",
      "Envelopes (and pre-key fetches) per second into one mailbox over all its tokens",
      &Config::mailbox_total_envelopes_per_second);
  add("mailbox_total_burst", "Envelopes one mailbox may take at once over all its tokens",
      &Config::mailbox_total_burst);
}

void AddTokenClasses(std::vector<Setting>* s) {
  static const std::array<const char*, kTokenClassCount> kNames = {"intro", "contact", "alert"};
  for (std::size_t i = 0; i < kTokenClassCount; ++i) {
    const std::string section = std::string("tokens.") + kNames[i];
    auto add = [&](std::string name, std::string description, std::uint64_t ClassSettings::*field,
                   std::uint64_t max) {
      s->push_back(UInt(
          section, std::move(name), std::move(description),
          [i, field](Config& c) -> std::uint64_t& { return c.classes[i].*field; }, 0, max));
    };
    add("ttl_seconds", "Default token lifetime; 0: never expires", &ClassSettings::ttl_seconds,
        10 * kYear);
    add("max_sends", "Envelopes one token may send; 0: unlimited", &ClassSettings::max_sends,
        UINT32_MAX);
    add("max_prekey_fetches", "Pre-key bundles one token may take; 0: unlimited",
        &ClassSettings::max_prekey_fetches, UINT32_MAX);
    add("max_queued_messages", "Envelopes queued per mailbox under this class; 0: unlimited",
        &ClassSettings::max_queued_messages, UINT32_MAX);
    add("max_queued_bytes", "Bytes queued per mailbox under this class; 0: unlimited",
        &ClassSettings::max_queued_bytes, UINT64_MAX);
  }
}

}  // namespace

const std::vector<Setting>& ConfigSchema() {
  static const std::vector<Setting> kSchema = [] {
    std::vector<Setting> s;
    AddServer(&s);
    AddLimits(&s);
    AddRateLimits(&s);
    AddTokenClasses(&s);
    return s;
  }();
  return kSchema;
}

const std::vector<RenamedSetting>& RenamedSettings() {
  // The per-mailbox envelope rate became a per-token one, with a new per-mailbox total
  // beside it (proto/SPEC.md section 11).
  static const std::vector<RenamedSetting> kRenamed = {
      {"rate_limits.mailbox_envelopes_per_second", "rate_limits.token_envelopes_per_second"},
      {"rate_limits.mailbox_burst", "rate_limits.token_burst"},
  };
  return kRenamed;
}

std::string CheckConfigRelations(const Config& c) {
  if (c.default_window > c.max_window) {
    return "limits.default_window must not exceed limits.max_window";
  }
  if (c.max_envelope_bytes + 1024 > c.max_frame_bytes) {
    return "limits.max_envelope_bytes must be at least 1024 below limits.max_frame_bytes";
  }
  if (c.max_blob_bytes + 1024 > c.max_frame_bytes) {
    return "limits.max_blob_bytes must be at least 1024 below limits.max_frame_bytes";
  }
  if (c.max_views_per_frame > c.max_views_per_blob) {
    return "limits.max_views_per_frame must not exceed limits.max_views_per_blob";
  }
  return "";
}

}  // namespace tocsin::relay
