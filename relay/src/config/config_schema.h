// The schema behind Config: each setting's TOML name, type, default, description and
// validation. Loading, checking and generating relay.toml all walk this one table, so a
// new setting is added in exactly one place (config_schema.cpp).
#ifndef TOCSIN_RELAY_CONFIG_CONFIG_SCHEMA_H_
#define TOCSIN_RELAY_CONFIG_CONFIG_SCHEMA_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tocsin::relay {

struct Setting {
  enum class Type { kUInt, kString };
  std::string section;      // "server", "limits", "tokens.intro", ...
  std::string name;         // the key inside its section
  std::string description;  // one line, written above the key in relay.toml
  Type type = Type::kUInt;
  std::uint64_t min = 0;  // kUInt bounds, inclusive
  std::uint64_t max = UINT64_MAX;
  std::function<std::uint64_t&(Config&)> uint_ref;  // kUInt
  std::function<std::string&(Config&)> string_ref;  // kString
  // kString: returns an error message for a bad value, or "" when it is fine.
  std::function<std::string(std::string_view)> check_string;

  std::string FullName() const { return section + "." + name; }
};

// Every setting, in the order relay.toml lists them.
const std::vector<Setting>& ConfigSchema();

// A setting that was renamed. relay.toml may still use the old name, which sets the new
// setting (with a warning in the log), so that an older relay.toml, such as an edited
// packaged one that an upgrade keeps, still loads. Full names ("section.name").
struct RenamedSetting {
  std::string_view old_name;
  std::string_view new_name;
};
const std::vector<RenamedSetting>& RenamedSettings();

// Checks that hold between settings (default_window <= max_window, ...). Returns an
// error message naming the settings, or "".
std::string CheckConfigRelations(const Config& config);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_CONFIG_CONFIG_SCHEMA_H_
