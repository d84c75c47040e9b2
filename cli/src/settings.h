// The CLI's own settings for a device, in <data>/cli.toml (toml++): the name shown on
// the device's card and the languages its user reads, first preferred. Nothing secret
// is kept there.
//
// Thread-safety: values; Load and Save are not synchronised with each other.
#ifndef TOCSIN_CLI_SETTINGS_H_
#define TOCSIN_CLI_SETTINGS_H_

#include <filesystem>
#include <string>
#include <vector>

#include "tocsin/status.h"

namespace tocsin::cli {

struct Settings {
  std::string name;                                // suggested name on our card
  std::vector<std::string> languages{"es", "en"};  // preferred first
};

// Missing file: defaults. kInvalidArgument for a file that does not parse.
Result<Settings> LoadSettings(const std::filesystem::path& data_dir);
Status SaveSettings(const std::filesystem::path& data_dir, const Settings& settings);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_SETTINGS_H_
