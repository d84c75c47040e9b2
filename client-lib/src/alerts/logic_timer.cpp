// AlertLogic: roll-ups and everything time drives (escalation, turnout, expiry,
// retention). Each step is keyed (step/target) in the alert's record and runs once.
#include <algorithm>

#include "alerts/logic.h"
#include "alerts/roster.h"

namespace tocsin::alerts {
namespace {

const app::Ack* AckOf(const tree::AlertRecord& alert, const std::string& member) {
  for (const auto& member_ack : alert.acks()) {
    if (member_ack.member() == member) return &member_ack.ack();
  }
  return nullptr;
}

bool InZones(const tree::MemberEntry& entry, const tree::AlertRecord& alert) {
  const auto& zones = alert.alert().zones();
  if (zones.empty() || entry.zones().empty()) return true;
  return std::any_of(entry.zones().begin(), entry.zones().end(),
                     [&](const std::string& zone) { return Contains(zones, zone); });
}

void Count(app::BranchStatus& status, app::Ack::Kind kind) {
  switch (kind) {
    case app::Ack::RECEIVED:
      status.set_received(status.received() + 1);
      break;
    case app::Ack::RESPONDING:
      status.set_responding(status.responding() + 1);
      break;
    case app::Ack::AVAILABLE_FAR:
      status.set_available_far(status.available_far() + 1);
      break;
    case app::Ack::DECLINED:
      status.set_declined(status.declined() + 1);
      break;
    case app::Ack::ON_SCENE:
      status.set_on_scene(status.on_scene() + 1);
      break;
    case app::Ack::DEPARTED:
      status.set_departed(status.departed() + 1);
      break;
    default:
      break;
  }
}

std::string StepKey(const std::string& kind, const std::string& target) {
  return kind + "/" + Hex(target);
}

}  // namespace

const Entries& AlertLogic::RosterOf(const tree::TreeRecord& record) const {
  return record.admin() ? record.roster() : record.view().roster();
}

bool AlertLogic::Step(tree::AlertRecord& alert, const std::string& key) {
  if (Contains(alert.steps(), key)) return false;
  alert.add_steps(key);
  return true;
}

std::vector<tree::MemberEntry> AlertLogic::BranchChildren(const tree::TreeRecord& record,
                                                          const std::string& coordinator) const {
  if (coordinator == port_.IdentityKey()) {
    return {record.view().children().begin(), record.view().children().end()};
  }
  for (const auto& branch : record.view().backs_up()) {
    if (branch.coordinator().identity_key() == coordinator) {
      return {branch.children().begin(), branch.children().end()};
    }
  }
  std::vector<tree::MemberEntry> children;
  for (const auto& entry : RosterOf(record)) {
    if (entry.parent() == coordinator && entry.identity_key() != coordinator) {
      children.push_back(entry);
    }
  }
  return children;
}

std::vector<std::string> AlertLogic::Coordinators(const tree::TreeRecord& record,
                                                  const tree::AlertRecord& alert) const {
  std::vector<std::string> keys;
  for (const auto& entry : RosterOf(record)) {
    if (entry.role() == app::COORDINATOR && InZones(entry, alert)) {
      keys.push_back(entry.identity_key());
    }
  }
  return keys;
}

app::BranchStatus AlertLogic::RollUp(const tree::TreeRecord& record, const tree::AlertRecord& alert,
                                     const std::string& coordinator,
                                     const std::vector<tree::MemberEntry>& children) const {
  (void)record;
  app::BranchStatus status;
  status.mutable_ref()->set_alert_id(alert.alert_id());
  status.mutable_ref()->set_tree_id(alert.tree_id());
  status.mutable_ref()->set_sequence(alert.sequence());
  status.set_coordinator_key(coordinator);
  const bool reach = Contains(alert.steps(), StepKey("reach", coordinator));
  for (const auto& child : children) {
    if (child.role() == app::SUBSCRIBER || !InZones(child, alert)) continue;
    if (const auto* ack = AckOf(alert, child.identity_key())) {
      Count(status, ack->kind());
      continue;
    }
    status.set_no_answer(status.no_answer() + 1);
    if (reach) status.add_to_reach(child.identity_key());
  }
  return status;
}

Status AlertLogic::SendBranchStatus(tree::AlertRecord& alert, std::uint64_t now, bool force) {
  tree::TreeRecord* record = FindTree(alert.tree_id());
  if (record == nullptr || !alert.status_dirty()) return Status::Ok();
  const std::uint64_t coalesce = record->view().policy().status_coalesce_ms();
  if (!force && alert.status_sent_ms() != 0 && now < alert.status_sent_ms() + coalesce) {
    return Status::Ok();  // the next Tick sends it
  }
  std::vector<std::pair<std::string, std::string>> branches;  // coordinator, to whom
  const std::string& me = port_.IdentityKey();
  if (record->view().member().role() == app::COORDINATOR) {
    branches.emplace_back(me, record->view().member().parent());
  }
  for (const auto& held : alert.held_branches()) branches.emplace_back(held, alert.originator());
  for (const auto& [coordinator, target] : branches) {
    if (target.empty() || target == me) continue;
    app::Payload payload;
    *payload.mutable_branch_status() =
        RollUp(*record, alert, coordinator, BranchChildren(*record, coordinator));
    payload.mutable_branch_status()->set_held_by(me);
    TOCSIN_RETURN_IF_ERROR(port_.SendTo(target, payload.SerializeAsString(), 0));
  }
  alert.set_status_dirty(false);
  alert.set_status_sent_ms(now);
  return Status::Ok();
}

std::string AlertLogic::Holder(const tree::TreeRecord& record, const tree::AlertRecord& alert,
                               const std::string& coordinator, std::uint32_t* step) const {
  const auto* entry = FindEntry(RosterOf(record), coordinator);
  if (entry == nullptr) return coordinator;
  if (Contains(alert.steps(), StepKey("handover/2", coordinator))) {
    if (step != nullptr) *step = 2;
    return entry->parent();
  }
  if (Contains(alert.steps(), StepKey("handover/1", coordinator))) {
    if (step != nullptr) *step = 1;
    return entry->backup();
  }
  return coordinator;
}

Status AlertLogic::SendHandover(const tree::TreeRecord& record, tree::AlertRecord& alert,
                                const std::string& coordinator, std::uint32_t step,
                                const std::string& target) {
  if (target == port_.IdentityKey()) {
    if (!Contains(alert.held_branches(), coordinator)) alert.add_held_branches(coordinator);
    return Status::Ok();
  }
  const auto children = BranchChildren(record, coordinator);
  app::Payload payload;
  auto* handover = payload.mutable_handover();
  handover->mutable_ref()->set_alert_id(alert.alert_id());
  handover->mutable_ref()->set_tree_id(alert.tree_id());
  handover->mutable_ref()->set_sequence(alert.sequence());
  handover->set_coordinator_key(coordinator);
  handover->set_step(step);
  *handover->mutable_alert() = alert.alert();
  for (const auto& child : children) {
    if (const auto* ack = AckOf(alert, child.identity_key())) {
      auto* member_ack = handover->add_acks();
      member_ack->set_member(child.identity_key());
      *member_ack->mutable_ack() = *ack;
    }
  }
  *handover->mutable_to_reach() = RollUp(record, alert, coordinator, children).to_reach();
  return port_.SendTo(target, payload.SerializeAsString(), 0);
}

void AlertLogic::ForwardToHolder(const tree::TreeRecord& record, tree::AlertRecord& alert,
                                 const std::string& coordinator) {
  std::uint32_t step = 0;
  const std::string holder = Holder(record, alert, coordinator, &step);
  if (step == 0 || holder.empty()) return;
  (void)SendHandover(record, alert, coordinator, step, holder);  // best effort; the step is done
}

std::size_t AlertLogic::Handover(tree::TreeRecord& record, tree::AlertRecord& alert,
                                 const std::string& coordinator, std::uint32_t step) {
  const auto* entry = FindEntry(RosterOf(record), coordinator);
  if (entry == nullptr) return 0;
  const std::string target = step == 1 ? entry->backup() : entry->parent();
  if (target.empty() || !Step(alert, StepKey("handover/" + std::to_string(step), coordinator))) {
    return 0;
  }
  (void)SendHandover(record, alert, coordinator, step, target);
  alert.set_state(static_cast<std::uint32_t>(AlertState::kEscalated));
  auto event = MakeEvent(AlertEventKind::kEscalation, alert, "");
  event.text = "branch of " + NameOf(record.tree_id(), coordinator) + " handed to " +
               NameOf(record.tree_id(), target);
  app::BranchStatus rolled =
      RollUp(record, alert, coordinator, BranchChildren(record, coordinator));
  rolled.set_held_by(target);
  event.branch = BranchOf(record.tree_id(), rolled);
  emit_(std::move(event));
  return 1;
}

std::size_t AlertLogic::Remind(tree::TreeRecord& record, tree::AlertRecord& alert,
                               std::uint64_t now) {
  const std::uint64_t timeout = record.view().policy().ack_timeout_s() * 1000ull;
  std::size_t steps = 0;
  app::Payload payload;
  *payload.mutable_alert() = alert.alert();
  for (std::uint32_t loop = 1; loop < record.view().policy().loops(); ++loop) {
    if (now < alert.dispatched_ms() + loop * timeout) break;
    for (const auto& entry : RosterOf(record)) {
      const auto& key = entry.identity_key();
      if (entry.role() == app::DISPATCHER || entry.role() == app::SUBSCRIBER) continue;
      if (!InZones(entry, alert) || AckOf(alert, key) != nullptr) continue;
      if (!Step(alert, StepKey("remind/" + std::to_string(loop), key))) continue;
      (void)port_.SendTo(key, payload.SerializeAsString(), 0);  // a reminder, best effort
      ++steps;
    }
  }
  return steps;
}

std::size_t AlertLogic::EscalateAlert(tree::TreeRecord& record, tree::AlertRecord& alert,
                                      std::uint64_t now) {
  const std::uint64_t timeout = record.view().policy().ack_timeout_s() * 1000ull;
  if (!alert.has_alert() || alert.dispatched_ms() == 0 || now < alert.dispatched_ms() + timeout) {
    return 0;
  }
  std::size_t steps = 0;
  for (const auto& coordinator : Coordinators(record, alert)) {
    if (Step(alert, StepKey("reach", coordinator))) ++steps;
    bool heard = AckOf(alert, coordinator) != nullptr;
    for (const auto& branch : alert.branches()) {
      if (branch.coordinator_key() == coordinator && branch.held_by() == coordinator) heard = true;
    }
    if (heard) continue;
    const auto* entry = FindEntry(RosterOf(record), coordinator);
    if (entry == nullptr) continue;
    if (!entry->backup().empty()) {
      steps += Handover(record, alert, coordinator, 1);
    } else {
      steps += Handover(record, alert, coordinator, 2);
    }
    if (now < alert.dispatched_ms() + 2 * timeout || entry->backup().empty()) continue;
    bool backup_heard = AckOf(alert, entry->backup()) != nullptr;
    for (const auto& branch : alert.branches()) {
      if (branch.coordinator_key() == coordinator && branch.held_by() == entry->backup()) {
        backup_heard = true;
      }
    }
    if (!backup_heard) steps += Handover(record, alert, coordinator, 2);
  }
  return steps + Remind(record, alert, now);
}

std::size_t AlertLogic::OwnReach(tree::TreeRecord& record, tree::AlertRecord& alert,
                                 std::uint64_t now) {
  const std::uint64_t timeout = record.view().policy().ack_timeout_s() * 1000ull;
  if (!alert.has_alert() || alert.dispatched_ms() == 0 || now < alert.dispatched_ms() + timeout) {
    return 0;
  }
  std::vector<std::string> branches(alert.held_branches().begin(), alert.held_branches().end());
  if (record.view().member().role() == app::COORDINATOR) branches.push_back(port_.IdentityKey());
  std::size_t steps = 0;
  for (const auto& coordinator : branches) {
    if (!Step(alert, StepKey("reach", coordinator))) continue;
    ++steps;
    alert.set_status_dirty(true);
    app::BranchStatus rolled =
        RollUp(record, alert, coordinator, BranchChildren(record, coordinator));
    if (rolled.to_reach().empty()) continue;
    auto event = MakeEvent(AlertEventKind::kEscalation, alert, "");
    event.text = std::to_string(rolled.to_reach_size()) + " to reach in the branch of " +
                 NameOf(record.tree_id(), coordinator);
    event.branch = BranchOf(record.tree_id(), rolled);
    emit_(std::move(event));
  }
  return steps;
}

std::size_t AlertLogic::CheckTurnout(tree::TreeRecord& record, tree::AlertRecord& alert) {
  const auto& policy = record.view().policy();
  if (alert.stand_by() || Contains(alert.steps(), "standby")) return 0;
  std::uint32_t total = 0;
  std::map<std::string, std::uint32_t> per_role;
  for (const auto& member_ack : alert.acks()) {
    const auto kind = member_ack.ack().kind();
    if (kind != app::Ack::RESPONDING && kind != app::Ack::ON_SCENE) continue;
    ++total;
    if (const auto* entry = FindEntry(RosterOf(record), member_ack.member())) {
      for (const auto& skill : entry->skills()) ++per_role[skill];
    }
  }
  bool reached = policy.turnout_cap() != 0 && total >= policy.turnout_cap();
  for (const auto& [role, cap] : policy.turnout_cap_per_role()) {
    if (cap != 0 && per_role[role] >= cap) reached = true;
  }
  if (!reached || !Step(alert, "standby")) return 0;
  const std::vector<LocalizedText> texts = {
      {"es", "Ya hay suficientes personas respondiendo: esperen instrucciones.", ""},
      {"en", "Enough responders are on their way: stand by.", ""}};
  (void)SendUpdate(Hex(alert.alert_id()), texts, true);
  return 1;
}

std::size_t AlertLogic::VerifierTimeouts(tree::TreeRecord& record, tree::AlertRecord& alert,
                                         std::uint64_t now) {
  if (alert.verify_requested_ms() == 0 || alert.has_alert()) return 0;
  if (now < alert.verify_requested_ms() + alert.verify_timeout_s() * 1000ull) return 0;
  std::size_t steps = 0;
  const std::vector<std::string> asked(alert.verifiers_asked().begin(),
                                       alert.verifiers_asked().end());
  for (const auto& verifier : asked) {
    if (Contains(alert.verifiers_answered(), verifier)) continue;
    const auto* entry = FindEntry(RosterOf(record), verifier);
    if (entry == nullptr || entry->backup().empty()) continue;
    if (!Step(alert, StepKey("verify-backup", verifier))) continue;
    app::Payload payload;
    auto* request = payload.mutable_verify_request();
    request->mutable_ref()->set_alert_id(alert.alert_id());
    request->mutable_ref()->set_tree_id(alert.tree_id());
    request->mutable_ref()->set_sequence(alert.sequence());
    *request->mutable_report() = alert.report();
    request->set_answer_within_seconds(alert.verify_timeout_s());
    (void)port_.SendTo(entry->backup(), payload.SerializeAsString(), 0);
    if (!Contains(alert.verifiers_asked(), entry->backup()))
      alert.add_verifiers_asked(entry->backup());
    auto event = MakeEvent(AlertEventKind::kEscalation, alert, "");
    event.text = NameOf(record.tree_id(), verifier) +
                 " did not answer: " + NameOf(record.tree_id(), entry->backup()) + " asked too";
    emit_(std::move(event));
    ++steps;
  }
  return steps;
}

std::size_t AlertLogic::Expire(const tree::TreeRecord& record, tree::AlertRecord& alert,
                               std::uint64_t now) {
  const auto state = static_cast<AlertState>(alert.state());
  // A report (or a verification request) that never became an alert lives as long as
  // an alert would: it is not kept forever on the reporter's or a verifier's phone.
  const std::uint64_t expires_at =
      alert.has_alert() ? alert.alert().expires_at_ms()
                        : alert.created_ms() + record.view().policy().alert_expiry_s() * 1000ull;
  if (IsResolved(state) || expires_at == 0 || now < expires_at) return 0;
  alert.set_state(static_cast<std::uint32_t>(AlertState::kExpired));
  alert.set_resolved_ms(now);
  emit_(MakeEvent(AlertEventKind::kExpired, alert, ""));
  return 1;
}

Result<std::size_t> AlertLogic::Tick(std::uint64_t now) {
  std::lock_guard lock(mutex_);
  std::size_t steps = 0;
  std::vector<std::string> purge;
  for (auto& [id, alert] : alerts_) {
    tree::TreeRecord* record = FindTree(alert.tree_id());
    if (record == nullptr) continue;
    const std::string before = alert.SerializeAsString();
    steps += Expire(*record, alert, now);
    if (IsResolved(static_cast<AlertState>(alert.state()))) {
      if (now >= alert.resolved_ms() + record->view().policy().retention_s() * 1000ull) {
        purge.push_back(id);
      }
    } else if (alert.originator() == port_.IdentityKey()) {
      steps += VerifierTimeouts(*record, alert, now) + EscalateAlert(*record, alert, now);
    }
    if (!IsResolved(static_cast<AlertState>(alert.state()))) {
      steps += OwnReach(*record, alert, now);
      TOCSIN_RETURN_IF_ERROR(SendBranchStatus(alert, now, false));
    }
    if (alert.SerializeAsString() != before) TOCSIN_RETURN_IF_ERROR(Save(alert));
  }
  for (const auto& id : purge) {
    TOCSIN_RETURN_IF_ERROR(port_.DeleteAlert(alerts_[id]));
    alerts_.erase(id);
    ++steps;
  }
  for (auto& [id, record] : trees_) {
    if (RotateIfDue(record)) ++steps;
    if (PurgeFlags(record, now)) ++steps;
  }
  return steps;
}

bool AlertLogic::PurgeFlags(tree::TreeRecord& record, std::uint64_t now) {
  const std::uint64_t retention = record.view().policy().retention_s() * 1000ull;
  auto& flags = *record.mutable_flags();
  const int before = flags.size();
  flags.erase(
      std::remove_if(flags.begin(), flags.end(),
                     [&](const app::SecurityNotice& n) { return n.at_ms() + retention <= now; }),
      flags.end());
  if (flags.size() == before) return false;
  (void)port_.SaveTree(record);  // a failure is retried at the next Tick
  return true;
}

}  // namespace tocsin::alerts
