// One function per command file (cmd_<name>.cpp): each adds its subcommand to the app.
#ifndef TOCSIN_CLI_COMMANDS_H_
#define TOCSIN_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "app.h"

namespace tocsin::cli {

void AddInitCommand(CLI::App& app, Invocation& invocation);
void AddCardCommand(CLI::App& app, Invocation& invocation);
void AddContactCommand(CLI::App& app, Invocation& invocation);
void AddSendCommand(CLI::App& app, Invocation& invocation);
void AddGroupCommand(CLI::App& app, Invocation& invocation);
void AddListenCommand(CLI::App& app, Invocation& invocation);
void AddAlertCommands(CLI::App& app, Invocation& invocation);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_COMMANDS_H_
