// tocsin-relay: the store-and-forward relay node. Subcommands: init, serve,
// invite create, stats, check, backup, config-reference (docs/architecture.md,
// docs/operators.md).
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "admin/commands.h"
#include "admin/serve.h"

// jemalloc's options, read when it starts (the binary links it unless TOCSIN_JEMALLOC is
// off, and never in sanitizer builds; without it this is an unused string). A
// background thread gives freed pages back to the system over the ten seconds after a
// burst (jemalloc's default decay) even when the relay goes quiet, instead of at its
// next allocations. MALLOC_CONF in the environment adds to these.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "background_thread:true";
}

namespace {

using namespace tocsin::relay;

struct Where {
  std::string config;
  std::string data;
  void AddTo(CLI::App* app) {
    auto* c = app->add_option("--config,-c", config, "relay.toml to use");
    app->add_option("--data,-d", data, "data folder (uses DATA/relay.toml)")->excludes(c);
  }
};

std::uint64_t NowMs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

int WithConfig(const Where& where, const std::function<int(const Config&)>& run) {
  tocsin::Result<Config> config = LoadConfigFor(where.config, where.data);
  if (!config.ok()) {
    std::cerr << "tocsin-relay: " << config.status().message() << "\n";
    return 2;
  }
  return run(*config);
}

}  // namespace

int main(int argc, char** argv) {
  LogToStderr();
  if (sodium_init() < 0) {
    std::cerr << "tocsin-relay: libsodium failed to initialise\n";
    return 1;
  }
  CLI::App app{"tocsin-relay: store-and-forward relay for Tocsin alert networks"};
  app.set_version_flag("--version", std::string("tocsin-relay ") + TOCSIN_RELAY_VERSION);
  app.require_subcommand(1);

  InitOptions init;
  auto* init_cmd = app.add_subcommand(
      "init", "Create the relay's key and certificate (and relay.toml with --data)");
  auto* init_where = init_cmd->add_option_group("where", "the data folder, one of:");
  auto* init_data = init_where->add_option("--data,-d", init.data_dir,
                                           "data folder to create, with a new DATA/relay.toml");
  init_where->add_option("--config,-c", init.config_path,
                         "existing relay.toml: its data_dir and listen are used, the file "
                         "is left as it is");
  init_where->require_option(1);
  init_cmd->add_option("--listen", init.listen, "IP:PORT to accept connections on (--data)")
      ->capture_default_str()
      ->needs(init_data);
  init_cmd->add_option("--address", init.public_host, "host name clients use (for the address)");

  Where serve_where;
  auto* serve_cmd = app.add_subcommand("serve", "Run the relay until SIGTERM / SIGINT");
  serve_where.AddTo(serve_cmd);

  Where invite_where;
  std::uint32_t uses = 1;
  std::string expires = "7d";
  auto* invite_cmd = app.add_subcommand("invite", "Manage invites");
  invite_cmd->require_subcommand(1);
  auto* invite_create = invite_cmd->add_subcommand("create", "Print a new mailbox invite");
  invite_create->add_option("--uses", uses, "mailboxes the invite may open")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000u));
  invite_create->add_option("--expires", expires, "lifetime: 45s, 30m, 12h, 7d, 2w or never")
      ->capture_default_str();
  invite_where.AddTo(invite_create);

  Where stats_where, check_where, backup_where;
  auto* stats_cmd = app.add_subcommand("stats", "Mailboxes, queued envelopes and bytes, blobs");
  stats_where.AddTo(stats_cmd);
  auto* check_cmd = app.add_subcommand("check", "Check the store's consistency");
  check_where.AddTo(check_cmd);
  std::string backup_dir;
  auto* backup_cmd = app.add_subcommand("backup", "Write a consistent copy of the data folder");
  backup_cmd->add_option("DIR", backup_dir, "folder to create (must not exist)")->required();
  backup_where.AddTo(backup_cmd);

  bool reference_toml = false;
  std::string reference_listen = "0.0.0.0:7443";
  std::string reference_data = "/var/lib/tocsin";
  auto* reference_cmd = app.add_subcommand(
      "config-reference", "Print every setting: a Markdown table, or relay.toml with --toml");
  reference_cmd->add_flag("--toml", reference_toml, "print a relay.toml with every default");
  reference_cmd->add_option("--listen", reference_listen, "listen address written (--toml)")
      ->capture_default_str();
  reference_cmd->add_option("--data-dir", reference_data, "data_dir written (--toml)")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (*init_cmd) {
    init.listen_given = init_cmd->count("--listen") > 0;
    return RunInit(init);
  }
  if (*serve_cmd) {
    return WithConfig(serve_where, [&](const Config& c) {
      const std::string hint =
          serve_where.config.empty() ? "--data " + c.data_dir : "--config " + serve_where.config;
      if (const int missing = RequireIdentity(c, hint); missing != 0) return missing;
      return RunServe(c);
    });
  }
  if (*reference_cmd) {
    std::cout << (reference_toml ? ConfigReferenceToml(reference_listen, reference_data)
                                 : ConfigReferenceMarkdown());
    return 0;
  }
  if (*invite_create) {
    auto seconds = ParseDurationSeconds(expires);
    if (!seconds.ok()) {
      std::cerr << "tocsin-relay: --expires: " << seconds.status().message() << "\n";
      return 2;
    }
    const std::uint64_t at = *seconds == 0 ? 0 : NowMs() + *seconds * 1000;
    return WithConfig(invite_where, [&](const Config& c) {
      return RunAdmin(c, "invite " + std::to_string(uses) + " " + std::to_string(at));
    });
  }
  if (*stats_cmd)
    return WithConfig(stats_where, [](const Config& c) { return RunAdmin(c, "stats"); });
  if (*check_cmd)
    return WithConfig(check_where, [](const Config& c) { return RunAdmin(c, "check"); });
  if (*backup_cmd) {
    const std::string dir = std::filesystem::absolute(backup_dir).lexically_normal().string();
    if (dir.find('\n') != std::string::npos) {  // the admin request is one line
      std::cerr << "tocsin-relay: backup: the folder's name holds a line break\n";
      return 2;
    }
    return WithConfig(backup_where, [&](const Config& c) { return RunAdmin(c, "backup " + dir); });
  }
  return 1;
}
