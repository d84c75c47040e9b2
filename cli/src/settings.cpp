#include "settings.h"

#include <toml++/toml.h>
#include <fstream>
#include <sstream>

namespace tocsin::cli {

namespace {

std::filesystem::path SettingsPath(const std::filesystem::path& data_dir) {
  return data_dir / "cli.toml";
}

}  // namespace

Result<Settings> LoadSettings(const std::filesystem::path& data_dir) {
  Settings settings;
  std::error_code ec;
  if (!std::filesystem::exists(SettingsPath(data_dir), ec)) return settings;
  toml::table table;
  try {
    table = toml::parse_file(SettingsPath(data_dir).string());
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument("cannot read " + SettingsPath(data_dir).string() + ": " +
                                   std::string(e.description()));
  }
  settings.name = table["name"].value_or(std::string());
  if (const toml::array* languages = table["languages"].as_array()) {
    settings.languages.clear();
    for (const auto& language : *languages) {
      if (auto text = language.value<std::string>()) settings.languages.push_back(*text);
    }
  }
  return settings;
}

Status SaveSettings(const std::filesystem::path& data_dir, const Settings& settings) {
  toml::array languages;
  for (const std::string& language : settings.languages) languages.push_back(language);
  toml::table table{{"name", settings.name}, {"languages", languages}};
  std::ostringstream text;
  text << "# tocsin CLI settings (docs/cli.md)\n" << table << "\n";
  const std::filesystem::path path = SettingsPath(data_dir);
  const std::filesystem::path temporary = path.string() + ".new";
  {
    std::ofstream file(temporary, std::ios::trunc);
    file << text.str();
    if (!file.good()) return Status::IoError("cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return Status::IoError("cannot write " + path.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace tocsin::cli
