#include "app.h"

#include <chrono>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "commands.h"
#include "control.h"
#include "terminal.h"
#include "tocsin/client.h"

namespace tocsin::cli {

namespace {

void AddGlobalOptions(CLI::App& app, GlobalOptions& options) {
  app.add_option("--data", options.data_dir,
                 "Data folder of this device (default: $TOCSIN_HOME or ~/.local/share/tocsin)");
  app.add_flag("--json", options.json, "Print machine-readable JSON (one object per line)");
  app.add_option("--passphrase-file", options.passphrase_file,
                 "Read the passphrase from the first line of this file");
  app.add_option("--passphrase-fd", options.passphrase_fd,
                 "Read the passphrase from this open file descriptor");
}

// Subcommands' help lists only their own options: each says where the global ones are.
void AddGlobalFooter(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->footer(
        "Global options (before or after the command): --data DIR, --json, "
        "--passphrase-file PATH, --passphrase-fd N. Exit codes: docs/cli.md.");
    // A repeatable option takes one value per use (--zone a --zone b), so it never
    // swallows the positional argument that follows it.
    for (CLI::Option* option : sub->get_options()) {
      if (option->nonpositional()) option->allow_extra_args(false);
    }
    AddGlobalFooter(*sub);
  }
}

// CLI11 reports help and parse errors as exceptions; they become exit codes here.
int ParseErrorExit(CLI::App& app, const CLI::ParseError& e, std::ostream& out, std::ostream& err) {
  const int code = app.exit(e, out, err);
  return code == 0 ? kExitOk : kExitUsage;
}

std::string ReadAll(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Redraws a forwarded `--watch` command: listen answers one snapshot at a time.
int ForwardWatch(const std::filesystem::path& socket, std::vector<std::string> args,
                 const Action& action, std::ostream& out, std::ostream& err) {
  std::erase(args, "--watch");
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(action.watch_for);
  const bool clear = &out == &std::cout && IsTerminal(1);
  while (action.watch_for <= 0 || std::chrono::steady_clock::now() < end) {
    if (clear) out << kClearScreenMarker;
    if (int code = Forward(socket, args, "", out, err); code != kExitOk) return code;
    std::this_thread::sleep_for(std::chrono::duration<double>(action.watch_interval));
  }
  return kExitOk;
}

}  // namespace

void BuildApp(CLI::App& app, Invocation& invocation) {
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tocsin ") + TOCSIN_CLI_VERSION);
  AddGlobalOptions(app, invocation.options);
  AddInitCommand(app, invocation);
  AddCardCommand(app, invocation);
  AddContactCommand(app, invocation);
  AddSendCommand(app, invocation);
  AddGroupCommand(app, invocation);
  AddListenCommand(app, invocation);
  AddAlertCommands(app, invocation);
  AddGlobalFooter(app);
}

int RunCommandLine(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                   std::ostream& err, Device* lent) {
  CLI::App app{"tocsin: end-to-end encrypted alerts for rapid-response networks", "tocsin"};
  Invocation invocation;
  BuildApp(app, invocation);
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return ParseErrorExit(app, e, out, err);
  }
  if (!invocation.action.run) return kExitOk;
  const Action& action = invocation.action;
  if (lent == nullptr && action.forwardable) {
    const auto socket = ControlSocketPath(ResolveDataDir(invocation.options.data_dir));
    if (ControlSocketLive(socket)) {
      if (action.watch) return ForwardWatch(socket, args, action, out, err);
      const std::string input = action.reads_stdin ? ReadAll(in) : std::string();
      return Forward(socket, args, input, out, err);
    }
  }
  Session session(invocation.options, in, out, err, lent);
  if (lent != nullptr && !action.forwardable) {
    return session.Fail(kExitUsage, "this command cannot run while `tocsin listen` runs");
  }
  return action.run(session);
}

}  // namespace tocsin::cli
