// Built when libtocsin has no alert-tree service yet: the tree and alert commands say so.
#include "commands.h"
#include "listen.h"

namespace tocsin::cli {

Status AttachAlerts(Device&) { return Status::Ok(); }
Status StartAlertEvents(Device&, ListenOutput&) { return Status::Ok(); }
void StopAlertEvents(Device&) {}
bool HandleAlertKey(Device&, char, ListenOutput&) { return false; }
std::string AlertKeyHelp() { return ""; }

void AddAlertCommands(CLI::App& app, Invocation& invocation) {
  for (const char* name : {"tree", "report", "verify", "alert", "ack"}) {
    CLI::App* cmd = app.add_subcommand(name, "Alert trees (not in this build)");
    cmd->allow_extras();
    cmd->callback([&invocation] {
      invocation.action.run = [](Session& s) {
        return s.Fail(kExitInternal, "this build of tocsin has no alert-tree support");
      };
    });
  }
}

}  // namespace tocsin::cli
