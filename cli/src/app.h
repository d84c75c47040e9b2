// The `tocsin` command tree (CLI11) and how one command line is run: parsed, then
// either handed to a running `tocsin listen` through its control socket (which holds the
// device open) or run here on the device opened with the passphrase.
//
// Thread-safety: RunCommandLine may run on several threads at once (listen's control
// server runs one command at a time, beside its event thread).
#ifndef TOCSIN_CLI_APP_H_
#define TOCSIN_CLI_APP_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "session.h"

namespace tocsin::cli {

// What the parsed command line asks for.
struct Action {
  std::function<int(Session&)> run;
  // May be served by a running `listen` (which has the device open).
  bool forwardable = true;
  // Reads its standard input (forwarded along with the command).
  bool reads_stdin = false;
  // `alert status --watch` through a running listen: the command is asked again (without
  // --watch) every `watch_interval` seconds, for `watch_for` seconds (0: until killed).
  bool watch = false;
  double watch_interval = 1;
  int watch_for = 0;
};

struct Invocation {
  GlobalOptions options;
  Action action;
};

// Adds every command to `app`; parsing fills `invocation`.
void BuildApp(CLI::App& app, Invocation& invocation);

// Runs `args` (without the program name). `lent`: the device of the `listen` serving
// this command, or null in a plain run. Returns the exit code.
int RunCommandLine(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                   std::ostream& err, Device* lent = nullptr);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_APP_H_
