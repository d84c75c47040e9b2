// tocsin init: makes a new device (identity key, mailboxes on the network's relays).
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <sstream>

#include "commands.h"
#include "passphrase_source.h"
#include "tocsin/client.h"
#include "tocsin/relay_address.h"

namespace tocsin::cli {

namespace {

struct InitOptions {
  std::vector<std::string> relays;
  std::vector<std::string> invites;
  std::string name;
  std::vector<std::string> languages;
  bool fast_kdf = false;
};

// Invites are printed by `tocsin-relay invite create` in base32.
Result<std::vector<RelaySpec>> RelaySpecs(const InitOptions& options) {
  if (options.relays.empty()) return Status::InvalidArgument("give at least one --relay");
  if (options.invites.size() != options.relays.size()) {
    return Status::InvalidArgument("give one --invite per --relay, in the same order");
  }
  std::vector<RelaySpec> specs;
  for (std::size_t i = 0; i < options.relays.size(); ++i) {
    Result<std::vector<std::uint8_t>> invite = Base32Decode(options.invites[i]);
    if (!invite.ok()) {
      return Status::InvalidArgument("invite " + std::to_string(i + 1) + " is not an invite code");
    }
    specs.push_back({options.relays[i], std::string(invite->begin(), invite->end())});
  }
  return specs;
}

Status MakeDataDir(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::is_empty(DeviceDir(data_dir), ec) && !ec) {
    return Status::InvalidArgument("a device already exists in " + data_dir.string());
  }
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status::IoError("cannot make " + data_dir.string() + ": " + ec.message());
  ::chmod(data_dir.c_str(), 0700);
  return Status::Ok();
}

int RunInit(Session& session, const InitOptions& options) {
  Result<std::vector<RelaySpec>> specs = RelaySpecs(options);
  if (!specs.ok()) return session.Fail(specs.status());
  if (Status made = MakeDataDir(session.data_dir()); !made.ok()) return session.Fail(made);
  Result<Passphrase> passphrase = ReadPassphrase(session.options(), /*confirm=*/true);
  if (!passphrase.ok()) return session.FailOpening(passphrase.status(), "passphrase");
  ClientOptions client_options;
  if (options.fast_kdf) client_options.kdf = KdfCost::kMinimum;
  Result<std::unique_ptr<Client>> client =
      Client::Create(DeviceDir(session.data_dir()), *passphrase, *specs, client_options);
  if (!client.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(DeviceDir(session.data_dir()), ec);
    if (client.status().code() == Code::kUnavailable) {
      return session.Fail(client.status(), "no relay could open a mailbox (relay unreachable?)");
    }
    return session.FailOpening(client.status(), "init");
  }
  Settings settings;
  settings.name = options.name;
  if (!options.languages.empty()) settings.languages = options.languages;
  if (Status saved = SaveSettings(session.data_dir(), settings); !saved.ok()) {
    return session.Fail(saved);
  }
  Json json;
  std::vector<std::string> relays;
  for (const RelayInfo& relay : (*client)->Relays()) relays.push_back(relay.address);
  json.Set("identity_key", (*client)->IdentityKey()).Set("relays", relays);
  json.Set("data", session.data_dir().string());
  std::ostringstream text;
  text << "New device in " << session.data_dir().string() << "\nidentity key "
       << (*client)->IdentityKey() << "\nmailboxes on " << relays.size() << " relay(s)\n"
       << "Next: `tocsin card --qr` to show your contact card.\n";
  return session.Done(json, text.str());
}

}  // namespace

void AddInitCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* cmd = app.add_subcommand("init", "Make a new device: identity key and mailboxes");
  auto options = std::make_shared<InitOptions>();
  cmd->add_option("--relay", options->relays, "A relay address (tocsin://<pin>@host:port)")
      ->required();
  cmd->add_option("--invite", options->invites,
                  "The relay operator's invite code, one per --relay, in the same order")
      ->required();
  cmd->add_option("--name", options->name, "Your name as your contact card suggests it");
  cmd->add_option("--language", options->languages,
                  "Languages you read, preferred first (default: es en)");
  // WARNING: tests and demos only. A cheap Argon2 makes a seized device's passphrase
  // easy to guess.
  cmd->add_flag("--insecure-fast-kdf", options->fast_kdf,
                "WARNING: tests and demos only: a cheap passphrase hash")
      ->group("");
  cmd->callback([&invocation, options] {
    invocation.action.forwardable = false;
    invocation.action.run = [options](Session& s) { return RunInit(s, *options); };
  });
}

}  // namespace tocsin::cli
