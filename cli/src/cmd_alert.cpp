// tocsin alert send|update|all-clear|cancel|status|list: the dispatcher's side of an
// alert, and the rolled-up status (redrawn live with --watch).
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "alert_commands.h"
#include "alert_text.h"
#include "alerts_support.h"
#include "commands.h"
#include "linger.h"
#include "terminal.h"

namespace tocsin::cli {

namespace {

struct AlertOptions {
  std::string tree;
  std::string alert;
  std::vector<std::string> zones;
  std::vector<std::string> roles;
  TextOptions text;
  std::string severity = "severe";
  std::string certainty = "observed";
  std::string mode = "actual";
  int expires_in = 0;
  bool confirmed = false;
  bool stand_by = false;
  std::string reason;
  bool watch = false;
  double interval = 1;
  int watch_for = 0;
};

Result<AlertSpec> BuildSpec(const AlertOptions& o) {
  AlertSpec spec;
  auto mode = ParseAlertMode(o.mode);
  auto severity = ParseSeverity(o.severity);
  auto certainty = ParseCertainty(o.certainty);
  if (!mode) return Status::InvalidArgument("--mode is actual, exercise or test");
  if (!severity) return Status::InvalidArgument("--severity is extreme, severe, moderate or minor");
  if (!certainty) return Status::InvalidArgument("--certainty is observed, likely or possible");
  Result<std::vector<LocalizedText>> texts = ParseTexts(o.text);
  if (!texts.ok()) return texts.status();
  spec.mode = *mode;
  spec.severity = *severity;
  spec.certainty = *certainty;
  spec.zones = o.zones;
  spec.roles_needed = o.roles;
  spec.texts = *texts;
  spec.expires_in = std::chrono::seconds(o.expires_in);
  spec.dispatcher_confirms = o.confirmed;
  return spec;
}

int RunSend(Session& session, const AlertOptions& o) {
  Result<AlertSpec> spec = BuildSpec(o);
  if (!spec.ok()) return session.Fail(spec.status());
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  AlertId from_report;
  if (!o.alert.empty()) {
    Result<AlertInfo> report = FindAlert(**alerts, o.alert);
    if (!report.ok()) return session.Fail(report.status());
    from_report = report->id;
  }
  Result<AlertId> id = (*alerts)->SendAlert(tree->id, *spec, from_report);
  if (!id.ok()) return session.Fail(id.status(), "alert send");
  LingerForDelivery(session);
  return session.Done(Json().Set("alert", *id), "Alert " + ShortId(*id) + " sent.");
}

// update, all-clear and cancel share their shape.
enum class Followup { kUpdate, kAllClear, kCancel };

int RunFollowup(Session& session, const AlertOptions& o, Followup followup) {
  Result<std::vector<LocalizedText>> texts = ParseTexts(o.text);
  if (!texts.ok()) return session.Fail(texts.status());
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<AlertInfo> alert = FindAlert(**alerts, o.alert);
  if (!alert.ok()) return session.Fail(alert.status());
  Status sent;
  const char* what = "update";
  if (followup == Followup::kUpdate) {
    sent = (*alerts)->SendUpdate(alert->id, *texts, o.stand_by);
  } else if (followup == Followup::kAllClear) {
    what = "all-clear";
    sent = (*alerts)->SendAllClear(alert->id, *texts);
  } else {
    what = "cancel";
    sent = (*alerts)->SendCancel(alert->id, o.reason, *texts);
  }
  if (!sent.ok()) return session.Fail(sent, std::string("alert ") + what);
  LingerForDelivery(session);
  return session.Done(Json().Set("alert", alert->id).Set("sent", what),
                      std::string("Sent ") + what + " for " + ShortId(alert->id) + ".");
}

int ShowStatus(Session& session, AlertService& alerts, const AlertId& id, bool redraw) {
  Result<AlertStatusInfo> status = alerts.GetStatus(id);
  if (!status.ok()) return session.Fail(status.status(), "alert status");
  Colours colours;
  colours.enabled = !session.json() && !session.served_by_listen() && IsTerminal(1);
  if (redraw && colours.enabled) session.out() << kClearScreenMarker;
  if (session.json()) {
    session.out() << StatusJson(*status).ToString() << "\n" << std::flush;
  } else {
    session.out() << StatusText(*status, colours) << std::flush;
  }
  return kExitOk;
}

int RunStatus(Session& session, const AlertOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<AlertInfo> alert = FindAlert(**alerts, o.alert);
  if (!alert.ok()) return session.Fail(alert.status());
  if (!o.watch) return ShowStatus(session, **alerts, alert->id, false);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(o.watch_for);
  while (o.watch_for <= 0 || std::chrono::steady_clock::now() < end) {
    if (int code = ShowStatus(session, **alerts, alert->id, true); code != kExitOk) return code;
    std::this_thread::sleep_for(std::chrono::duration<double>(o.interval));
  }
  return kExitOk;
}

int RunList(Session& session, const AlertOptions&) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<std::vector<AlertInfo>> all = (*alerts)->Alerts();
  if (!all.ok()) return session.Fail(all.status());
  std::vector<Json> list;
  std::string text;
  for (const AlertInfo& a : *all) {
    list.push_back(AlertJson(a));
    text += ShortId(a.id) + "  " + ToString(a.state) + (a.verified ? "" : "  UNVERIFIED") + "\n";
  }
  if (all->empty()) text = "No alerts.\n";
  return session.Done(Json().Set("alerts", list), text);
}

using AlertRunner = std::function<int(Session&, const AlertOptions&)>;

CLI::App* Sub(CLI::App* parent, Invocation& invocation, const char* name, const char* help,
              std::shared_ptr<AlertOptions> o, AlertRunner run) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  cmd->callback([&invocation, o, run] {
    invocation.action.run = [o, run](Session& s) { return run(s, *o); };
  });
  return cmd;
}

void AddTextOptions(CLI::App* cmd, AlertOptions& o) {
  cmd->add_option("--es", o.text.es, "The text in Spanish");
  cmd->add_option("--en", o.text.en, "The text in English");
  cmd->add_option("--text", o.text.texts, "LANG=TEXT in another language (repeat)");
  cmd->add_option("--es-instructions", o.text.es_instructions,
                  "What to do, in Spanish (\"bring a camera, stay across the street\")");
  cmd->add_option("--en-instructions", o.text.en_instructions, "What to do, in English");
  cmd->add_option("--instructions", o.text.instructions,
                  "LANG=TEXT: what to do, in another language (repeat)");
}

void AddSendOptions(CLI::App* cmd, AlertOptions& o) {
  cmd->add_option("--tree", o.tree, "The tree (default: the only one)");
  cmd->add_option("--from-report", o.alert, "The report this alert confirms (id prefix)");
  cmd->add_option("--zone", o.zones, "A zone to alert (repeat)")->required();
  cmd->add_option("--role", o.roles, "A skill needed: legal_observer, documenter, ... (repeat)");
  AddTextOptions(cmd, o);
  cmd->add_option("--severity", o.severity, "extreme, severe (default), moderate, minor");
  cmd->add_option("--certainty", o.certainty, "observed (default), likely, possible");
  cmd->add_option("--mode", o.mode, "actual (default), exercise, test");
  cmd->add_option("--expires-in", o.expires_in, "Seconds (default: the tree's, 12 h)");
  cmd->add_flag("--confirmed", o.confirmed,
                "You vouch for it yourself. Without it, an alert whose report no verifier "
                "confirmed says UNVERIFIED on every screen");
}

}  // namespace

void AddAlertCommands(CLI::App& app, Invocation& invocation) {
  AddTreeCommand(app, invocation);
  AddReportCommand(app, invocation);
  AddVerifyCommand(app, invocation);
  AddAckCommand(app, invocation);
  CLI::App* alert = app.add_subcommand("alert", "Send and follow alerts (dispatchers)");
  alert->require_subcommand(1);
  auto o = std::make_shared<AlertOptions>();
  AddSendOptions(Sub(alert, invocation, "send", "Send an alert to zones", o, RunSend), *o);
  auto followup = [&](const char* name, const char* help, Followup kind) {
    CLI::App* cmd =
        Sub(alert, invocation, name, help, o,
            [kind](Session& s, const AlertOptions& opts) { return RunFollowup(s, opts, kind); });
    cmd->add_option("alert", o->alert, "The alert (id prefix; default: the latest open one)");
    AddTextOptions(cmd, *o);
    return cmd;
  };
  followup("update", "Send an update", Followup::kUpdate)
      ->add_flag("--stand-by", o->stand_by, "Enough responders: the others stand by");
  followup("all-clear", "Resolve: it is safe again", Followup::kAllClear);
  followup("cancel", "Cancel (false alarm, duplicate)", Followup::kCancel)
      ->add_option("--reason", o->reason, "Why");
  CLI::App* status =
      Sub(alert, invocation, "status", "The rolled-up acks per branch", o, RunStatus);
  status->add_option("alert", o->alert, "The alert (id prefix; default: the latest open one)");
  status->add_flag("--watch", o->watch, "Redraw live");
  status->add_option("--interval", o->interval, "Seconds between redraws (default 1)");
  status->add_option("--watch-for", o->watch_for, "Stop watching after this many seconds");
  status->callback([&invocation, o] {
    invocation.action.watch = o->watch;
    invocation.action.watch_interval = o->interval;
    invocation.action.watch_for = o->watch_for;
    invocation.action.run = [o](Session& s) { return RunStatus(s, *o); };
  });
  Sub(alert, invocation, "list", "Alerts this device knows", o, RunList);
}

}  // namespace tocsin::cli
