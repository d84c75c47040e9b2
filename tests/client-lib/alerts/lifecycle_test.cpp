// The alert lifecycle on the in-memory network with an injected clock: report, verify,
// dispatch, acks rolled up, escalation, turnout cap, all-clear, expiry and retention.
#include "tree_fixture.h"

namespace tocsin::testing {
namespace {

const BranchInfo& BranchOfCoordinator(const AlertStatusInfo& status, const Device& coordinator) {
  for (const auto& branch : status.branches) {
    if (branch.coordinator == coordinator.hex()) return branch;
  }
  FAIL("no branch for " << coordinator.name);
  return status.branches.front();
}

TEST_CASE("Members hold only their own view and the dispatcher holds the roster") {
  TreeFixture f;
  auto responder = Take(f.r1.logic->Tree(f.tree));
  CHECK_FALSE(responder.holds_roster);
  std::set<std::string> seen;
  for (const auto& member : responder.members) seen.insert(member.key);
  CHECK(seen == std::set<std::string>{f.c1.hex(), f.d.hex()});  // its coordinator, dispatcher
  auto backup = Take(f.b1.logic->Tree(f.tree));
  CHECK(backup.backs_up == std::vector<std::string>{f.c1.hex()});  // C1's branch in advance
  std::set<std::string> branch;
  for (const auto& member : backup.members) branch.insert(member.key);
  CHECK(branch.count(f.r2.hex()) == 1);
  CHECK(branch.count(f.r3.hex()) == 0);
  CHECK(Take(f.d.logic->Tree(f.tree)).members.size() == 11);
  // Every device sent its long-term card after its first view; views now carry them.
  for (const auto& member : Take(f.d.logic->Tree(f.tree)).members) CHECK(member.alert_card);
  for (const auto& member : responder.members) CHECK(member.alert_card);
}

TEST_CASE("A report reaches the dispatcher unverified, verification confirms it") {
  TreeFixture f;
  const AlertId id = Take(f.r1.logic->Report(f.tree, {.zones = {"bh"}, .text = "vans at Soto"}));
  f.net.Deliver();
  REQUIRE(f.d.Count(AlertEventKind::kReport) == 1);
  CHECK(f.d.Last(AlertEventKind::kReport)->text == "vans at Soto");
  CHECK_FALSE(AlertOf(f.d, id).verified);
  Check(f.d.logic->RequestVerification(id, {}));
  f.net.Deliver();
  CHECK(f.v1.Count(AlertEventKind::kVerifyRequest) == 1);
  CHECK(f.v2.Count(AlertEventKind::kVerifyRequest) == 0);  // V2 is V1's backup
  Check(f.v1.logic->SendVerifyResult(id, VerifyOutcome::kConfirmed, "two vans", 0));
  f.net.Deliver();
  CHECK(AlertOf(f.d, id).state == AlertState::kConfirmed);
  CHECK(f.d.Last(AlertEventKind::kVerifyResult)->outcome == VerifyOutcome::kConfirmed);
  CHECK(f.r1.logic->SendVerifyResult(id, VerifyOutcome::kConfirmed, "", 0).code() ==
        Code::kUnauthorized);
}

TEST_CASE("A silent verifier's backup is asked after the verifier timeout, not before") {
  EscalationPolicy policy;
  policy.verify_timeout = 60s;
  TreeFixture f(policy);
  const AlertId id = Take(f.r1.logic->Report(f.tree, {.zones = {"bh"}, .text = "agents"}));
  f.net.Deliver();
  Check(f.d.logic->RequestVerification(id, {}));
  f.net.Deliver();
  f.Advance(59s);
  f.TickAll();
  CHECK(f.v2.Count(AlertEventKind::kVerifyRequest) == 0);
  f.Advance(1s);
  f.TickAll();
  CHECK(f.v2.Count(AlertEventKind::kVerifyRequest) == 1);
  f.Advance(60s);
  CHECK(f.TickAll() == 0);  // the step has one owner and runs once
  CHECK(f.v2.Count(AlertEventKind::kVerifyRequest) == 1);
  Check(f.v2.logic->SendVerifyResult(id, VerifyOutcome::kConfirmed, "seen", 0));
  f.net.Deliver();
  CHECK(AlertOf(f.d, id).state == AlertState::kConfirmed);
}

TEST_CASE("Acks go to the parent and the originator and roll up per branch") {
  TreeFixture f;
  const AlertId id = f.Dispatch();
  CHECK(f.r1.Count(AlertEventKind::kAlert) == 1);
  CHECK(AlertOf(f.r1, id).asked_to_respond);        // a legal observer
  CHECK_FALSE(AlertOf(f.r2, id).asked_to_respond);  // a medic: information only
  CHECK(f.s.Count(AlertEventKind::kAlert) == 0);    // subscribers get AllClear / Cancel only
  Check(f.r1.logic->Ack(id, {.kind = AckKind::kResponding, .eta_minutes = 15}));
  f.net.Deliver();
  CHECK(f.c1.Count(AlertEventKind::kAck) == 1);
  CHECK(f.d.Count(AlertEventKind::kAck) == 1);
  CHECK(f.c2.Count(AlertEventKind::kAck) == 0);
  CHECK(f.r2.Count(AlertEventKind::kAck) == 0);
  // C1's roll-up reached the dispatcher at once (nothing sent in the last 2 s)...
  REQUIRE(f.d.Count(AlertEventKind::kStatusChanged) == 1);
  CHECK(f.d.Last(AlertEventKind::kStatusChanged)->branch->responding == 1);
  // ...a second ack within 2 s is coalesced and goes out on a later tick.
  Check(f.r2.logic->Ack(id, {.kind = AckKind::kOnScene}));
  f.net.Deliver();
  CHECK(f.d.Count(AlertEventKind::kStatusChanged) == 1);
  f.Advance(2s);
  f.TickAll();
  REQUIRE(f.d.Count(AlertEventKind::kStatusChanged) == 2);
  const auto& branch = *f.d.Last(AlertEventKind::kStatusChanged)->branch;
  CHECK(branch.responding == 1);
  CHECK(branch.on_scene == 1);
  CHECK(branch.no_answer == 1);  // B1
  auto status = Take(f.d.logic->GetStatus(id));
  CHECK(status.totals.responding == 1);
  CHECK(status.totals.on_scene == 1);
  CHECK(status.totals.no_answer == 3);  // B1, B2, R3
  CHECK(BranchOfCoordinator(status, f.c1).coordinator_acked);
}

TEST_CASE(
    "A silent coordinator's branch goes to its backup after the ack timeout, then to "
    "its parent") {
  TreeFixture f;
  f.net.SetOffline(f.c2.key(), true);
  const AlertId id = f.Dispatch();
  Check(f.c1.logic->Ack(id, {.kind = AckKind::kReceived}));
  f.net.Deliver();
  f.Advance(119s);
  f.TickAll();
  CHECK(f.b2.Count(AlertEventKind::kHandover) == 0);
  f.Advance(1s);
  f.TickAll();
  REQUIRE(f.b2.Count(AlertEventKind::kHandover) == 1);
  CHECK(f.b1.Count(AlertEventKind::kHandover) == 0);  // C1 acked: its branch stays
  auto b2_status = Take(f.b2.logic->GetStatus(id));
  REQUIRE(b2_status.branches.size() == 1);
  CHECK(b2_status.branches[0].coordinator == f.c2.hex());
  // After the timeout R3 and B2 had no ack: they are on the reach list the backup sees.
  CHECK(b2_status.branches[0].to_reach.size() == 2);
  auto d_status = Take(f.d.logic->GetStatus(id));
  CHECK(BranchOfCoordinator(d_status, f.c2).held_by == f.b2.hex());
  CHECK(BranchOfCoordinator(d_status, f.c2).handed_over);
  CHECK(f.TickAll() == 0);  // idempotent: nothing runs twice
  // An ack from R3 now reaches the dispatcher, who passes it on to the branch's holder.
  Check(f.r3.logic->Ack(id, {.kind = AckKind::kResponding, .eta_minutes = 5}));
  f.net.Deliver();
  auto after = Take(f.b2.logic->GetStatus(id));
  CHECK(after.branches[0].responding == 1);
  // The backup answered (its BranchStatus): after another timeout the branch stays with it.
  f.net.SetOffline(f.b2.key(), true);
  f.Advance(120s);
  f.TickAll();
  CHECK(BranchOfCoordinator(Take(f.d.logic->GetStatus(id)), f.c2).held_by == f.b2.hex());
}

TEST_CASE("A branch whose backup is silent too ends with the coordinator's parent") {
  TreeFixture f;
  f.net.SetOffline(f.c2.key(), true);
  f.net.SetOffline(f.b2.key(), true);
  const AlertId id = f.Dispatch();
  f.Advance(120s);
  f.TickAll();
  f.Advance(120s);
  f.TickAll();
  auto status = Take(f.d.logic->GetStatus(id));
  CHECK(BranchOfCoordinator(status, f.c2).held_by == f.d.hex());
}

TEST_CASE("The turnout cap sends one automatic stand-by update") {
  EscalationPolicy policy;
  policy.turnout_cap = 2;
  TreeFixture f(policy);
  const AlertId id = f.Dispatch();
  Check(f.r1.logic->Ack(id, {.kind = AckKind::kResponding}));
  f.net.Deliver();
  CHECK(f.r2.Count(AlertEventKind::kUpdate) == 0);
  Check(f.r3.logic->Ack(id, {.kind = AckKind::kOnScene}));
  f.net.Deliver();
  REQUIRE(f.r2.Count(AlertEventKind::kUpdate) == 1);
  CHECK(AlertOf(f.r2, id).stand_by);
  Check(f.b1.logic->Ack(id, {.kind = AckKind::kResponding}));
  f.net.Deliver();
  CHECK(f.r2.Count(AlertEventKind::kUpdate) == 1);  // once
}

TEST_CASE("All-clear resolves everywhere, subscribers included, and a late Alert shows resolved") {
  TreeFixture f;
  f.net.SetOffline(f.r2.key(), true);
  const AlertId id = f.Dispatch();
  Check(
      f.d.logic->SendUpdate(id, {{"es", "dos detenidos", ""}, {"en", "two detained", ""}}, false));
  f.net.Deliver();
  CHECK(AlertOf(f.r1, id).state == AlertState::kUpdated);
  Check(f.d.logic->SendAllClear(id, {{"es", "se fueron", ""}, {"en", "they left", ""}}));
  f.net.Deliver();
  CHECK(AlertOf(f.r1, id).state == AlertState::kAllClear);
  CHECK(f.s.Count(AlertEventKind::kAllClear) == 1);
  // R2 was away; its copies come late and out of order: the AllClear (sequence 3), then
  // the Alert (sequence 1).
  f.net.SetOffline(f.r2.key(), false);
  const auto& sent = f.d.port->alerts.begin()->second;
  app::Payload all_clear;
  *all_clear.mutable_all_clear()->mutable_ref() = sent.alert().ref();
  all_clear.mutable_all_clear()->mutable_ref()->set_sequence(3);
  app::Payload alert;
  *alert.mutable_alert() = sent.alert();
  f.net.Inject(f.d.key(), f.r2.key(), all_clear);
  f.net.Inject(f.d.key(), f.r2.key(), alert);
  f.net.Deliver();
  CHECK(AlertOf(f.r2, id).state == AlertState::kAllClear);
  REQUIRE(f.r2.Last(AlertEventKind::kAlert) != nullptr);
  CHECK(f.r2.Last(AlertEventKind::kAlert)->info->state == AlertState::kAllClear);
  CHECK(AlertOf(f.r2, id).texts.size() == 2);  // the alert's own texts, shown as resolved
}

TEST_CASE("An alert expires, and resolved alerts are purged after the retention period") {
  EscalationPolicy policy;
  policy.alert_expiry = 3600s;
  policy.retention = 24h;
  TreeFixture f(policy);
  const AlertId id = f.Dispatch();
  f.Advance(3600s);
  f.TickAll();
  CHECK(AlertOf(f.r1, id).state == AlertState::kExpired);
  CHECK(f.r1.Count(AlertEventKind::kExpired) == 1);
  f.Advance(24h - 1ms);
  f.TickAll();
  CHECK(f.r1.logic->GetAlert(id).ok());
  f.Advance(1ms);
  f.TickAll();
  CHECK(f.r1.logic->GetAlert(id).status().code() == Code::kNotFound);
  CHECK(f.r1.port->alerts.empty());  // its row is gone from the store
}

TEST_CASE("Reports over the per-source rate limit are dropped and flagged once") {
  EscalationPolicy policy;
  policy.reports_per_hour = 3;
  TreeFixture f(policy);
  for (int i = 0; i < 10; ++i) {
    (void)Take(f.r1.logic->Report(f.tree, {.zones = {"bh"}, .text = "fake " + std::to_string(i)}));
  }
  f.net.Deliver();
  CHECK(f.d.Count(AlertEventKind::kReport) == 3);
  CHECK(f.d.Count(AlertEventKind::kSecurityFlag) == 1);
  f.Advance(3600s);
  (void)Take(f.r1.logic->Report(f.tree, {.zones = {"bh"}, .text = "real"}));
  f.net.Deliver();
  CHECK(f.d.Count(AlertEventKind::kReport) == 4);
}

}  // namespace
}  // namespace tocsin::testing

namespace tocsin::testing {
namespace {

TEST_CASE(
    "A false alarm resolves the report on the reporter's, verifiers' and dispatcher's devices") {
  EscalationPolicy policy;
  policy.retention = 3600s;
  TreeFixture f(policy);
  const AlertId id = Take(f.r1.logic->Report(f.tree, {.zones = {"bh"}, .text = "vans?"}));
  f.net.Deliver();
  Check(f.d.logic->RequestVerification(id, {f.v1.hex(), f.v2.hex()}));
  f.net.Deliver();
  Check(f.v1.logic->SendVerifyResult(id, VerifyOutcome::kFalseAlarm, "a film crew", 0));
  f.net.Deliver();
  for (Device* device : {&f.d, &f.r1, &f.v1, &f.v2}) {
    INFO(device->name);
    const AlertInfo info = AlertOf(*device, id);
    CHECK(info.state == AlertState::kCancelled);
    CHECK(info.cancel_reason == "false alarm");
  }
  CHECK(f.r1.Count(AlertEventKind::kCancel) == 1);  // the reporter is told
  CHECK(f.v2.Count(AlertEventKind::kCancel) == 1);  // so is the other verifier asked
  CHECK(f.r2.port->alerts.empty());                 // nobody else ever held it
  f.Advance(3600s);
  f.TickAll();
  for (Device* device : {&f.d, &f.r1, &f.v1, &f.v2}) {
    INFO(device->name);
    CHECK(device->logic->GetAlert(id).status().code() == Code::kNotFound);
    CHECK(device->port->alerts.empty());
  }
}

TEST_CASE("A dispatcher cancels a report that was never sent, and its holders purge it") {
  EscalationPolicy policy;
  policy.retention = 3600s;
  TreeFixture f(policy);
  const AlertId id = Take(f.r1.logic->Report(f.tree, {.zones = {"bh"}, .text = "again?"}));
  f.net.Deliver();
  Check(f.d.logic->RequestVerification(id, {}));
  f.net.Deliver();
  Check(f.d.logic->SendCancel(id, "duplicate of an earlier report", {}));
  f.net.Deliver();
  for (Device* device : {&f.d, &f.r1, &f.v1}) {
    INFO(device->name);
    CHECK(AlertOf(*device, id).state == AlertState::kCancelled);
    CHECK(AlertOf(*device, id).cancel_reason == "duplicate of an earlier report");
  }
  CHECK(f.r2.Count(AlertEventKind::kCancel) == 0);  // not sent to the zone
  CHECK(f.d.logic->SendUpdate(id, {}, false).code() == Code::kInvalidArgument);
  f.Advance(3600s);
  f.TickAll();
  for (Device* device : {&f.d, &f.r1, &f.v1}) CHECK(device->port->alerts.empty());
}

TEST_CASE("A report nobody acts on expires like an alert and is purged after retention") {
  EscalationPolicy policy;
  policy.alert_expiry = 7200s;
  policy.retention = 3600s;
  TreeFixture f(policy);
  const AlertId id = Take(f.r1.logic->Report(f.tree, {.zones = {"bh"}, .text = "maybe"}));
  f.net.Deliver();
  f.Advance(7200s - 1ms);
  f.TickAll();
  CHECK(AlertOf(f.r1, id).state == AlertState::kReported);
  f.Advance(1ms);
  f.TickAll();
  CHECK(AlertOf(f.r1, id).state == AlertState::kExpired);
  CHECK(AlertOf(f.d, id).state == AlertState::kExpired);
  f.Advance(3600s);
  f.TickAll();
  CHECK(f.r1.port->alerts.empty());
  CHECK(f.d.port->alerts.empty());
}

TEST_CASE("Security flags are purged after the tree's retention") {
  EscalationPolicy policy;
  policy.retention = 3600s;
  TreeFixture f(policy);
  const AlertId id = f.Dispatch();
  app::Payload all_clear;
  *all_clear.mutable_all_clear()->mutable_ref() = f.d.port->alerts.begin()->second.alert().ref();
  all_clear.mutable_all_clear()->mutable_ref()->set_sequence(50);
  f.net.Inject(f.x.key(), f.r1.key(), all_clear);
  f.net.Deliver();
  REQUIRE(Take(f.r1.logic->SecurityFlags(f.tree)).size() == 1);
  REQUIRE(Take(f.d.logic->SecurityFlags(f.tree)).size() == 1);
  f.Advance(3600s - 1ms);
  f.TickAll();
  CHECK(Take(f.r1.logic->SecurityFlags(f.tree)).size() == 1);
  f.Advance(1ms);
  f.TickAll();
  CHECK(Take(f.r1.logic->SecurityFlags(f.tree)).empty());
  CHECK(Take(f.d.logic->SecurityFlags(f.tree)).empty());
  CHECK(f.r1.port->trees.begin()->second.flags().empty());  // gone from the stored record
  (void)id;
}

}  // namespace
}  // namespace tocsin::testing

namespace tocsin::testing {
namespace {

// A report from R1, verification asked of V1 and V2, answered by V1 with `outcome`.
AlertId Verified(TreeFixture& f, std::optional<VerifyOutcome> outcome) {
  const AlertId id = Take(f.r1.logic->Report(f.tree, {.zones = {"bh"}, .text = "vans"}));
  f.net.Deliver();
  Check(f.d.logic->RequestVerification(id, {f.v1.hex(), f.v2.hex()}));
  f.net.Deliver();
  if (outcome) Check(f.v1.logic->SendVerifyResult(id, *outcome, "", 0));
  f.net.Deliver();
  return id;
}

AlertInfo SentFrom(TreeFixture& f, const AlertId& report, bool dispatcher_confirms) {
  AlertSpec spec = f.Spec();
  spec.certainty = Certainty::kObserved;
  spec.dispatcher_confirms = dispatcher_confirms;
  const AlertId id = Take(f.d.logic->SendAlert(f.tree, spec, report));
  f.net.Deliver();
  REQUIRE(f.r2.Last(AlertEventKind::kAlert) != nullptr);
  CHECK(f.r2.Last(AlertEventKind::kAlert)->info->verified == AlertOf(f.r2, id).verified);
  CHECK(AlertOf(f.d, id).verified == AlertOf(f.r2, id).verified);  // the dispatcher's screen too
  return AlertOf(f.r2, id);
}

TEST_CASE("An alert is verified only by a verifier's confirmation or the dispatcher's word") {
  TreeFixture f;
  SECTION("a new alert without a report") {
    const AlertInfo info = SentFrom(f, "", false);
    CHECK_FALSE(info.verified);
    CHECK(info.certainty == Certainty::kObserved);
  }
  SECTION("a new alert the dispatcher vouches for") { CHECK(SentFrom(f, "", true).verified); }
  SECTION("a report nobody answered") {
    CHECK_FALSE(SentFrom(f, Verified(f, std::nullopt), false).verified);
  }
  SECTION("a confirmed report") {
    const AlertInfo info = SentFrom(f, Verified(f, VerifyOutcome::kConfirmed), false);
    CHECK(info.verified);
    CHECK(info.certainty == Certainty::kObserved);
  }
  SECTION("a confirmed report, then another verifier on their way: still confirmed") {
    const AlertId id = Verified(f, VerifyOutcome::kConfirmed);
    Check(f.v2.logic->SendVerifyResult(id, VerifyOutcome::kOnMyWay, "", 10));
    f.net.Deliver();
    CHECK(SentFrom(f, id, false).verified);
  }
  SECTION("unable to verify: UNVERIFIED and possible, whatever the dispatcher typed") {
    const AlertInfo info = SentFrom(f, Verified(f, VerifyOutcome::kUnable), false);
    CHECK_FALSE(info.verified);
    CHECK(info.certainty == Certainty::kPossible);
  }
  SECTION("unable to verify, but the dispatcher confirms it by other means") {
    const AlertInfo info = SentFrom(f, Verified(f, VerifyOutcome::kUnable), true);
    CHECK(info.verified);
    CHECK(info.certainty == Certainty::kObserved);
  }
}

}  // namespace
}  // namespace tocsin::testing

namespace tocsin::testing {
namespace {

TEST_CASE("Reminders go to members without an ack at each loop, not before, and once") {
  EscalationPolicy policy;
  policy.ack_timeout = 60s;
  policy.loops = 3;
  TreeFixture f(policy);
  const AlertId id = f.Dispatch();
  for (Device* acked : {&f.c1, &f.c2, &f.r1}) {
    Check(acked->logic->Ack(id, {.kind = AckKind::kReceived}));
  }
  f.net.Deliver();
  auto alerts = [&](Device& d) { return d.Count(AlertEventKind::kAlert); };
  f.Advance(59s);
  f.TickAll();
  CHECK(alerts(f.r2) == 1);  // only the Alert itself
  f.Advance(1s);
  f.TickAll();  // loop 1
  for (Device* silent : {&f.r2, &f.r3, &f.b1, &f.b2, &f.v1, &f.v2}) {
    INFO(silent->name);
    CHECK(alerts(*silent) == 2);
  }
  CHECK(alerts(f.r1) == 1);  // acked: not reminded
  CHECK(alerts(f.c1) == 1);
  CHECK(alerts(f.s) == 0);  // subscribers get no Alert, reminders neither
  CHECK(f.TickAll() == 0);  // nothing runs twice
  Check(f.r2.logic->Ack(id, {.kind = AckKind::kDeclined}));
  f.net.Deliver();
  f.Advance(60s);
  f.TickAll();  // loop 2
  CHECK(alerts(f.r3) == 3);
  CHECK(alerts(f.r2) == 2);  // answered in between
  f.Advance(60s);
  f.TickAll();  // loops = 3: two reminder rounds, no third
  CHECK(alerts(f.r3) == 3);
}

TEST_CASE("A Cancel of a sent alert resolves it for members and subscribers, and stays") {
  TreeFixture f;
  const AlertId id = f.Dispatch();
  Check(f.d.logic->SendCancel(id, "duplicate", {{"es", "duplicado", ""}, {"en", "duplicate", ""}}));
  f.net.Deliver();
  for (Device* device : {&f.r1, &f.r3, &f.c2}) {
    INFO(device->name);
    CHECK(AlertOf(*device, id).state == AlertState::kCancelled);
    CHECK(AlertOf(*device, id).cancel_reason == "duplicate");
    CHECK(AlertOf(*device, id).texts.front().text == "duplicado");
  }
  CHECK(f.s.Count(AlertEventKind::kCancel) == 1);
  CHECK(AlertOf(f.d, id).state == AlertState::kCancelled);
  // A later Update changes the texts but the alert stays resolved.
  Check(f.d.logic->SendUpdate(id, {{"es", "nota", ""}, {"en", "note", ""}}, false));
  f.net.Deliver();
  CHECK(AlertOf(f.r1, id).state == AlertState::kCancelled);
  CHECK(IsResolved(AlertOf(f.r1, id).state));
}

TEST_CASE("A per-skill turnout cap sends the stand-by when that skill is enough") {
  EscalationPolicy policy;
  policy.turnout_cap_per_role["legal_observer"] = 2;
  TreeFixture f(policy);
  const AlertId id = f.Dispatch();
  Check(f.r1.logic->Ack(id, {.kind = AckKind::kResponding}));  // legal observer
  Check(f.r2.logic->Ack(id, {.kind = AckKind::kOnScene}));     // medic: another skill
  f.net.Deliver();
  CHECK(f.r2.Count(AlertEventKind::kUpdate) == 0);
  Check(f.r3.logic->Ack(id, {.kind = AckKind::kAvailableFar}));  // not on the way
  f.net.Deliver();
  CHECK(f.r2.Count(AlertEventKind::kUpdate) == 0);
  Check(f.b1.logic->Ack(id, {.kind = AckKind::kOnScene}));  // the second legal observer
  f.net.Deliver();
  REQUIRE(f.r2.Count(AlertEventKind::kUpdate) == 1);
  CHECK(AlertOf(f.r2, id).stand_by);
  Check(f.r3.logic->Ack(id, {.kind = AckKind::kResponding}));
  f.net.Deliver();
  CHECK(f.r2.Count(AlertEventKind::kUpdate) == 1);
}

TEST_CASE("A coordinator's own reach list names its silent responders after the ack timeout") {
  EscalationPolicy policy;
  policy.ack_timeout = 60s;
  TreeFixture f(policy);
  const AlertId id = f.Dispatch();
  Check(f.r1.logic->Ack(id, {.kind = AckKind::kResponding}));
  f.net.Deliver();
  f.Advance(59s);
  f.TickAll();
  CHECK(f.c1.Count(AlertEventKind::kEscalation) == 0);
  CHECK(Take(f.c1.logic->GetStatus(id)).to_reach.empty());
  f.Advance(1s);
  f.TickAll();
  REQUIRE(f.c1.Count(AlertEventKind::kEscalation) == 1);
  CHECK(f.c1.Last(AlertEventKind::kEscalation)->text == "2 to reach in the branch of C1");
  const auto status = Take(f.c1.logic->GetStatus(id));
  REQUIRE(status.branches.size() == 1);
  CHECK(std::set<std::string>(status.branches[0].to_reach.begin(),
                              status.branches[0].to_reach.end()) ==
        std::set<std::string>{f.r2.hex(), f.b1.hex()});
  CHECK(std::set<std::string>(status.branches[0].to_reach_names.begin(),
                              status.branches[0].to_reach_names.end()) ==
        std::set<std::string>{"R2", "B1"});
  // Its BranchStatus carries the list up to the dispatcher.
  f.Advance(2s);
  f.TickAll();
  const BranchInfo* up = nullptr;
  for (const auto& event : f.d.events) {
    if (event.kind == AlertEventKind::kStatusChanged && event.branch &&
        event.branch->coordinator == f.c1.hex()) {
      up = &*event.branch;
    }
  }
  REQUIRE(up != nullptr);
  CHECK(up->to_reach.size() == 2);
  f.Advance(60s);
  f.TickAll();
  CHECK(f.c1.Count(AlertEventKind::kEscalation) == 1);  // once
}

}  // namespace
}  // namespace tocsin::testing
