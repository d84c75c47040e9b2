// tocsin verify request|answer: the dispatcher asks the zone's verifiers to check a
// report; a verifier answers (confirmed, false_alarm, unable, on_my_way).
#include <memory>

#include "alert_commands.h"
#include "alert_text.h"
#include "alerts_support.h"
#include "linger.h"

namespace tocsin::cli {

namespace {

struct VerifyOptions {
  std::string alert;
  std::vector<std::string> verifiers;
  std::string outcome;
  std::string note;
  int eta_minutes = 0;
};

int RunRequest(Session& session, const VerifyOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<AlertInfo> alert = FindAlert(**alerts, o.alert);
  if (!alert.ok()) return session.Fail(alert.status());
  std::vector<MemberKey> keys;
  if (!o.verifiers.empty()) {
    Result<TreeInfo> tree = (*alerts)->Tree(alert->tree);
    if (!tree.ok()) return session.Fail(tree.status());
    for (const std::string& name : o.verifiers) {
      Result<MemberInfo> member = FindMember(*tree, name);
      if (!member.ok()) return session.Fail(member.status());
      keys.push_back(member->key);
    }
  }
  if (Status sent = (*alerts)->RequestVerification(alert->id, keys); !sent.ok()) {
    return session.Fail(sent, "verify request");
  }
  LingerForDelivery(session);
  return session.Done(Json().Set("alert", alert->id).Set("requested", true),
                      "Verification of " + ShortId(alert->id) + " requested.");
}

int RunAnswer(Session& session, const VerifyOptions& o) {
  std::optional<VerifyOutcome> outcome = ParseVerifyOutcome(o.outcome);
  if (!outcome) {
    return session.Fail(kExitUsage, "outcome is confirmed, false_alarm, unable or on_my_way");
  }
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<AlertInfo> alert = FindAlert(**alerts, o.alert);
  if (!alert.ok()) return session.Fail(alert.status());
  Status sent = (*alerts)->SendVerifyResult(alert->id, *outcome, o.note,
                                            static_cast<std::uint32_t>(o.eta_minutes));
  if (!sent.ok()) return session.Fail(sent, "verify");
  LingerForDelivery(session);
  return session.Done(Json().Set("alert", alert->id).Set("outcome", ToString(*outcome)),
                      std::string("Answer sent: ") + ToString(*outcome) + ".");
}

}  // namespace

void AddVerifyCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* verify = app.add_subcommand("verify", "Verification of a report");
  verify->require_subcommand(1);
  auto o = std::make_shared<VerifyOptions>();
  CLI::App* request = verify->add_subcommand("request", "Ask the zone's verifiers (dispatcher)");
  request->add_option("alert", o->alert, "The report (id prefix; default: the latest)");
  request->add_option("--verifier", o->verifiers, "Ask these verifiers (default: the zone's)");
  request->callback(
      [&invocation, o] { invocation.action.run = [o](Session& s) { return RunRequest(s, *o); }; });
  CLI::App* answer = verify->add_subcommand("answer", "Answer a verification request");
  answer->add_option("outcome", o->outcome, "confirmed, false_alarm, unable or on_my_way")
      ->required();
  answer->add_option("alert", o->alert, "The report (id prefix; default: the latest)");
  answer->add_option("--note", o->note, "What you saw");
  answer->add_option("--eta", o->eta_minutes, "Minutes until you are there (on_my_way)");
  answer->callback(
      [&invocation, o] { invocation.action.run = [o](Session& s) { return RunAnswer(s, *o); }; });
}

}  // namespace tocsin::cli
