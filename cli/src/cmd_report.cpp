// tocsin report: a member (or the hotline) reports what they see to the dispatchers.
// Shown UNVERIFIED everywhere until a verifier confirms it.
#include <iterator>
#include <memory>

#include "alert_commands.h"
#include "alert_text.h"
#include "alerts_support.h"
#include "linger.h"

namespace tocsin::cli {

namespace {

struct ReportOptions {
  std::string tree;
  std::vector<std::string> zones;
  std::string text;
  bool from_stdin = false;
  std::string language = "es";
  std::string source = "member";
};

int RunReport(Session& session, const ReportOptions& o) {
  ReportSpec spec;
  spec.text = o.text;
  if (o.from_stdin) spec.text.assign(std::istreambuf_iterator<char>(session.in()), {});
  while (!spec.text.empty() && (spec.text.back() == '\n' || spec.text.back() == '\r')) {
    spec.text.pop_back();
  }
  if (spec.text.empty()) return session.Fail(kExitUsage, "nothing to report: give TEXT or --stdin");
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  spec.zones = o.zones;
  spec.language = o.language;
  spec.source = o.source;
  Result<AlertId> id = (*alerts)->Report(tree->id, spec);
  if (!id.ok()) return session.Fail(id.status(), "report");
  LingerForDelivery(session);
  return session.Done(Json().Set("alert", *id).Set("verified", false),
                      "Report " + ShortId(*id) +
                          " sent to the dispatchers (UNVERIFIED until "
                          "a verifier confirms it).");
}

}  // namespace

void AddReportCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* cmd = app.add_subcommand("report", "Report what you see to the tree's dispatchers");
  auto o = std::make_shared<ReportOptions>();
  cmd->add_option("text", o->text, "What, where, how many (no names of people)");
  cmd->add_flag("--stdin", o->from_stdin, "Read the report from standard input (a hotline)");
  cmd->add_option("--tree", o->tree, "The tree (default: the only one)");
  cmd->add_option("--zone", o->zones, "The zone (repeat)")->required();
  cmd->add_option("--language", o->language, "The report's language (default es)");
  cmd->add_option("--source", o->source, "member (default) or hotline");
  cmd->callback([&invocation, o] {
    invocation.action.reads_stdin = o->from_stdin;
    invocation.action.run = [o](Session& s) { return RunReport(s, *o); };
  });
}

}  // namespace tocsin::cli
