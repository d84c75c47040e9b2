#include "config/config.h"

#include <arpa/inet.h>

#include <spdlog/spdlog.h>
#include <toml++/toml.h>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/config_schema.h"

namespace tocsin::relay {
namespace {

Status Invalid(std::string_view origin, const std::string& message) {
  return Status::InvalidArgument(std::string(origin) + ": " + message);
}

const Setting* FindSetting(const std::string& full_name) {
  for (const Setting& s : ConfigSchema()) {
    if (s.FullName() == full_name) return &s;
  }
  return nullptr;
}

// The setting `full_name` names, under its current or an old name (RenamedSettings()).
const Setting* FindSettingOrRenamed(const std::string& full_name) {
  if (const Setting* s = FindSetting(full_name); s != nullptr) return s;
  for (const RenamedSetting& r : RenamedSettings()) {
    if (r.old_name != full_name) continue;
    spdlog::warn("config: {} is the old name of {}; rename it", r.old_name, r.new_name);
    return FindSetting(std::string(r.new_name));
  }
  return nullptr;
}

bool IsSection(const std::string& name) {
  for (const Setting& s : ConfigSchema()) {
    if (s.section == name || s.section.rfind(name + ".", 0) == 0) return true;
  }
  return false;
}

Status ApplyValue(const Setting& s, const toml::node& node, Config* config,
                  std::string_view origin) {
  const std::string key = s.FullName();
  if (s.type == Setting::Type::kString) {
    const auto* value = node.as_string();
    if (value == nullptr) return Invalid(origin, key + ": expected a string");
    const std::string problem = s.check_string(value->get());
    if (!problem.empty()) return Invalid(origin, key + ": " + problem);
    s.string_ref(*config) = value->get();
    return Status::Ok();
  }
  const auto* value = node.as_integer();
  if (value == nullptr) return Invalid(origin, key + ": expected a whole number");
  const std::int64_t v = value->get();
  if (v < 0 || static_cast<std::uint64_t>(v) < s.min || static_cast<std::uint64_t>(v) > s.max) {
    return Invalid(origin, key + ": " + std::to_string(v) + " is out of range " +
                               std::to_string(s.min) + ".." + std::to_string(s.max));
  }
  s.uint_ref(*config) = static_cast<std::uint64_t>(v);
  return Status::Ok();
}

// `seen` holds the settings already set, so that a setting given under both its old and
// its new name is refused rather than one silently winning.
Status Walk(const toml::table& table, const std::string& prefix, Config* config,
            std::string_view origin, std::set<std::string>* seen) {
  for (const auto& [key, node] : table) {
    const std::string name =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const toml::table* sub = node.as_table(); sub != nullptr && IsSection(name)) {
      TOCSIN_RETURN_IF_ERROR(Walk(*sub, name, config, origin, seen));
      continue;
    }
    const Setting* setting = FindSettingOrRenamed(name);
    if (setting == nullptr) return Invalid(origin, "unknown setting \"" + name + "\"");
    if (!seen->insert(setting->FullName()).second) {
      return Invalid(origin, name + ": " + setting->FullName() +
                                 " is set twice (under its old and its new name)");
    }
    TOCSIN_RETURN_IF_ERROR(ApplyValue(*setting, node, config, origin));
  }
  return Status::Ok();
}

std::string DefaultText(const Setting& s, const Config& defaults) {
  Config copy = defaults;
  if (s.type == Setting::Type::kUInt) return std::to_string(s.uint_ref(copy));
  std::ostringstream out;
  out << toml::value<std::string>(s.string_ref(copy));
  return out.str();
}

}  // namespace

std::string Config::AdminSocketPath() const {
  if (!admin_socket.empty()) return admin_socket;
  return (std::filesystem::path(data_dir) / "admin.sock").string();
}

std::string Config::StoreDir() const {
  return (std::filesystem::path(data_dir) / "store").string();
}

StoreOptions Config::MakeStoreOptions() const {
  StoreOptions o;
  o.durability = durability == "wal" ? Durability::kWal : Durability::kFsync;
  for (std::size_t i = 0; i < kTokenClassCount; ++i) {
    const ClassSettings& c = classes[i];
    o.quotas[i].max_queued_messages = static_cast<std::uint32_t>(c.max_queued_messages);
    o.quotas[i].max_queued_bytes = c.max_queued_bytes;
    o.quotas[i].max_sends = static_cast<std::uint32_t>(c.max_sends);
    o.quotas[i].max_prekey_fetches = static_cast<std::uint32_t>(c.max_prekey_fetches);
    o.quotas[i].default_token_ttl_seconds = static_cast<std::uint32_t>(c.ttl_seconds);
  }
  o.token_grace_ms = token_grace_seconds * 1000;
  o.max_views_per_blob = static_cast<std::uint32_t>(max_views_per_blob);
  o.max_one_time_prekeys = static_cast<std::uint32_t>(max_one_time_prekeys);
  o.max_tokens_per_mailbox = static_cast<std::uint32_t>(max_tokens_per_mailbox);
  o.sweep_interval_ms = static_cast<std::uint32_t>(sweep_interval_ms);
  o.min_free_bytes = min_free_disk_bytes;
  o.max_ttl_seconds = static_cast<std::uint32_t>(max_ttl_seconds);
  return o;
}

Result<Config> ParseConfig(std::string_view toml_text, std::string_view origin,
                           std::string_view base_dir) {
  toml::table table;
  try {
    table = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "line " << e.source().begin.line << ": " << e.description();
    return Invalid(origin, msg.str());
  }
  Config config;
  std::set<std::string> seen;
  TOCSIN_RETURN_IF_ERROR(Walk(table, "", &config, origin, &seen));
  const std::string relation = CheckConfigRelations(config);
  if (!relation.empty()) return Invalid(origin, relation);
  std::filesystem::path data(config.data_dir);
  if (data.is_relative() && !base_dir.empty()) {
    std::string joined = (std::filesystem::path(base_dir) / data).lexically_normal().string();
    if (joined.size() > 1 && joined.back() == '/') joined.pop_back();  // "base/." -> "base"
    config.data_dir = joined;
  }
  // The admin socket too: every command finds it wherever it is started from.
  if (!config.admin_socket.empty() && std::filesystem::path(config.admin_socket).is_relative() &&
      !base_dir.empty()) {
    config.admin_socket =
        (std::filesystem::path(base_dir) / config.admin_socket).lexically_normal().string();
  }
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string base = std::filesystem::absolute(path).parent_path().string();
  return ParseConfig(text.str(), path, base);
}

std::string GenerateConfigText(std::string_view listen, std::string_view data_dir) {
  Config defaults;
  defaults.listen = std::string(listen);
  defaults.data_dir = std::string(data_dir);
  std::ostringstream out;
  out << "# tocsin-relay configuration, written by `tocsin-relay init`.\n"
         "# Every setting is listed with its default value; unknown keys are an error.\n"
         "# Durations are whole seconds (or milliseconds where the name says _ms).\n";
  std::string section;
  for (const Setting& s : ConfigSchema()) {
    if (s.section != section) {
      section = s.section;
      out << "\n[" << section << "]\n";
    }
    out << "# " << s.description << "\n" << s.name << " = " << DefaultText(s, defaults) << "\n";
  }
  return out.str();
}

Result<HostPort> ParseHostPort(std::string_view text) {
  HostPort hp;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("expected [IPV6]:PORT");
    }
    hp.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return Status::InvalidArgument("expected IP:PORT");
    hp.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (hp.host.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return Status::InvalidArgument("expected IP:PORT with a port in 0..65535");
  }
  // The relay binds what this names, so it is an address of this host, never a name to
  // look up (which could change under a running relay); clients use names.
  unsigned char ip[16];
  if (::inet_pton(AF_INET, hp.host.c_str(), ip) != 1 &&
      ::inet_pton(AF_INET6, hp.host.c_str(), ip) != 1) {
    return Status::InvalidArgument("not an IP address: \"" + hp.host +
                                   "\" (expected IP:PORT, e.g. 0.0.0.0:7443 or [::]:7443)");
  }
  hp.port = static_cast<std::uint16_t>(port);
  return hp;
}

}  // namespace tocsin::relay
