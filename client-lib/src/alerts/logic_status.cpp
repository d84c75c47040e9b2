// AlertLogic: the roll-up a device shows (`alert status`), lists and security flags.
#include <algorithm>

#include "alerts/logic.h"
#include "alerts/roster.h"

namespace tocsin::alerts {
namespace {

void AddTo(BranchInfo& totals, const BranchInfo& branch) {
  totals.received += branch.received;
  totals.responding += branch.responding;
  totals.on_scene += branch.on_scene;
  totals.available_far += branch.available_far;
  totals.declined += branch.declined;
  totals.departed += branch.departed;
  totals.no_answer += branch.no_answer;
  totals.to_reach.insert(totals.to_reach.end(), branch.to_reach.begin(), branch.to_reach.end());
  totals.to_reach_names.insert(totals.to_reach_names.end(), branch.to_reach_names.begin(),
                               branch.to_reach_names.end());
}

}  // namespace

Result<std::vector<AlertInfo>> AlertLogic::Alerts(const TreeId& tree) {
  std::lock_guard lock(mutex_);
  std::string tree_id;
  if (!tree.empty()) {
    auto id = Unhex(tree, 32, "tree id");
    if (!id.ok()) return id.status();
    tree_id = *id;
  }
  std::vector<AlertInfo> out;
  for (const auto& [id, alert] : alerts_) {
    if (tree_id.empty() || alert.tree_id() == tree_id) out.push_back(InfoOf(alert));
  }
  std::sort(out.begin(), out.end(),
            [](const AlertInfo& a, const AlertInfo& b) { return a.created_ms < b.created_ms; });
  return out;
}

Result<AlertInfo> AlertLogic::GetAlert(const AlertId& alert) {
  std::lock_guard lock(mutex_);
  auto found = KnownAlert(alert);
  if (!found.ok()) return found.status();
  return InfoOf(**found);
}

Result<AlertStatusInfo> AlertLogic::GetStatus(const AlertId& alert_id) {
  std::lock_guard lock(mutex_);
  auto found = KnownAlert(alert_id);
  if (!found.ok()) return found.status();
  const tree::AlertRecord& alert = **found;
  const tree::TreeRecord* record = FindTree(alert.tree_id());
  if (record == nullptr) return Status(Code::kNotFound, "no such tree");
  AlertStatusInfo status;
  status.alert = InfoOf(alert);
  std::vector<std::string> coordinators;
  if (!RosterOf(*record).empty()) coordinators = Coordinators(*record, alert);
  if (record->view().member().role() == app::COORDINATOR) {
    coordinators.push_back(port_.IdentityKey());
  }
  for (const auto& held : alert.held_branches()) coordinators.push_back(held);
  std::sort(coordinators.begin(), coordinators.end());
  coordinators.erase(std::unique(coordinators.begin(), coordinators.end()), coordinators.end());
  for (const auto& coordinator : coordinators) {
    app::BranchStatus rolled =
        RollUp(*record, alert, coordinator, BranchChildren(*record, coordinator));
    for (const auto& received : alert.branches()) {
      if (received.coordinator_key() == coordinator && rolled.to_reach().empty()) {
        *rolled.mutable_to_reach() = received.to_reach();  // the coordinator's own list
      }
    }
    rolled.set_held_by(Holder(*record, alert, coordinator, nullptr));
    BranchInfo branch = BranchOf(record->tree_id(), rolled);
    branch.coordinator_acked =
        std::any_of(alert.acks().begin(), alert.acks().end(),
                    [&](const auto& a) { return a.member() == coordinator; });
    for (const auto& received : alert.branches()) {
      if (received.coordinator_key() != coordinator) continue;
      if (received.held_by() == coordinator) branch.coordinator_acked = true;
    }
    AddTo(status.totals, branch);
    status.branches.push_back(std::move(branch));
  }
  for (const auto& member_ack : alert.acks()) {
    status.acks.push_back(AckInfo{
        .member = Hex(member_ack.member()),
        .name = NameOf(record->tree_id(), member_ack.member()),
        .kind = static_cast<AckKind>(std::max(0, static_cast<int>(member_ack.ack().kind()) - 1)),
        .eta_minutes = member_ack.ack().eta_minutes(),
        .at_ms = member_ack.ack().at_ms()});
  }
  status.to_reach = status.totals.to_reach;
  return status;
}

Result<std::vector<AlertEvent>> AlertLogic::SecurityFlags(const TreeId& tree) {
  std::lock_guard lock(mutex_);
  auto id = Unhex(tree, 32, "tree id");
  if (!id.ok()) return id.status();
  const auto* record = FindTree(*id);
  if (record == nullptr) return Status(Code::kNotFound, "no such tree");
  std::vector<AlertEvent> out;
  for (const auto& notice : record->flags()) {
    out.push_back(
        AlertEvent{.kind = AlertEventKind::kSecurityFlag,
                   .time_ms = notice.at_ms(),
                   .tree = tree,
                   .alert = notice.ref().alert_id().empty() ? "" : Hex(notice.ref().alert_id()),
                   .from = Hex(notice.offender_key()),
                   .from_name = NameOf(*id, notice.offender_key()),
                   .reason = notice.what()});
  }
  return out;
}

}  // namespace tocsin::alerts
