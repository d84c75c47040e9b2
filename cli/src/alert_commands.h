// The alert-tree commands (one file each), added together by AddAlertCommands.
#ifndef TOCSIN_CLI_ALERT_COMMANDS_H_
#define TOCSIN_CLI_ALERT_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "app.h"

namespace tocsin::cli {

void AddTreeCommand(CLI::App& app, Invocation& invocation);
void AddReportCommand(CLI::App& app, Invocation& invocation);
void AddVerifyCommand(CLI::App& app, Invocation& invocation);
void AddAckCommand(CLI::App& app, Invocation& invocation);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_ALERT_COMMANDS_H_
