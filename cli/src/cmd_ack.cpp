// tocsin ack: answer an alert (to your coordinator and the dispatcher only).
#include <memory>

#include "alert_commands.h"
#include "alert_text.h"
#include "alerts_support.h"
#include "linger.h"

namespace tocsin::cli {

namespace {

struct AckOptions {
  std::string alert;
  std::string kind = "received";
  int eta_minutes = 0;
};

int RunAck(Session& session, const AckOptions& o) {
  std::optional<AckKind> kind = ParseAckKind(o.kind);
  if (!kind) {
    return session.Fail(kExitUsage,
                        "--kind is received, responding, available_far, declined, on_scene "
                        "or departed");
  }
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<AlertInfo> alert = FindAlert(**alerts, o.alert);
  if (!alert.ok()) return session.Fail(alert.status());
  Status sent = (*alerts)->Ack(alert->id, {*kind, static_cast<std::uint32_t>(o.eta_minutes)});
  if (!sent.ok()) return session.Fail(sent, "ack");
  LingerForDelivery(session);
  return session.Done(
      Json().Set("alert", alert->id).Set("kind", ToString(*kind)),
      std::string("Ack sent for ") + ShortId(alert->id) + ": " + ToString(*kind) + ".");
}

}  // namespace

void AddAckCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* cmd = app.add_subcommand("ack", "Answer an alert: received, responding, ...");
  auto o = std::make_shared<AckOptions>();
  cmd->add_option("alert", o->alert, "The alert (id prefix; default: the latest open one)");
  cmd->add_option("--kind", o->kind,
                  "received (default), responding, available_far, declined, on_scene, departed");
  cmd->add_option("--eta", o->eta_minutes, "Minutes until you arrive (responding)");
  cmd->callback(
      [&invocation, o] { invocation.action.run = [o](Session& s) { return RunAck(s, *o); }; });
}

}  // namespace tocsin::cli
