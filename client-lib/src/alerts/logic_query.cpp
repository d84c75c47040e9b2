// AlertLogic: loading, queries, and conversions to the API's values.
#include <algorithm>

#include "alerts/logic.h"
#include "alerts/roster.h"
#include "core/hex.h"

namespace tocsin::alerts {
namespace {

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return {list.begin(), list.end()};
}

std::vector<std::string> HexAll(const google::protobuf::RepeatedPtrField<std::string>& keys) {
  std::vector<std::string> out;
  for (const auto& key : keys) out.push_back(Hex(key));
  return out;
}

}  // namespace

std::string Hex(std::string_view bytes) { return core::ToHex(bytes); }

Result<std::string> Unhex(std::string_view hex, std::size_t size, const char* what) {
  auto bytes = core::FromHex(hex, size);
  if (!bytes) return Status(Code::kInvalidArgument, std::string("a malformed ") + what);
  return *bytes;
}

tree::Policy ToProto(const EscalationPolicy& policy) {
  tree::Policy out;
  out.set_ack_timeout_s(static_cast<std::uint32_t>(policy.ack_timeout.count()));
  out.set_loops(policy.loops);
  out.set_verify_timeout_s(static_cast<std::uint32_t>(policy.verify_timeout.count()));
  out.set_turnout_cap(policy.turnout_cap);
  for (const auto& [role, cap] : policy.turnout_cap_per_role) {
    (*out.mutable_turnout_cap_per_role())[role] = cap;
  }
  out.set_alert_expiry_s(static_cast<std::uint32_t>(policy.alert_expiry.count()));
  out.set_retention_s(static_cast<std::uint32_t>(policy.retention.count()));
  out.set_status_coalesce_ms(static_cast<std::uint32_t>(policy.status_coalesce.count()));
  out.set_reports_per_hour(policy.reports_per_hour);
  return out;
}

EscalationPolicy FromProto(const tree::Policy& policy) {
  EscalationPolicy out;
  out.ack_timeout = std::chrono::seconds(policy.ack_timeout_s());
  out.loops = policy.loops();
  out.verify_timeout = std::chrono::seconds(policy.verify_timeout_s());
  out.turnout_cap = policy.turnout_cap();
  for (const auto& [role, cap] : policy.turnout_cap_per_role())
    out.turnout_cap_per_role[role] = cap;
  out.alert_expiry = std::chrono::seconds(policy.alert_expiry_s());
  out.retention = std::chrono::seconds(policy.retention_s());
  out.status_coalesce = std::chrono::milliseconds(policy.status_coalesce_ms());
  out.reports_per_hour = policy.reports_per_hour();
  return out;
}

app::Role ToProto(MemberRole role) { return static_cast<app::Role>(static_cast<int>(role) + 1); }

MemberRole FromProto(app::Role role) {
  const int value = static_cast<int>(role) - 1;
  if (value < 0 || value > static_cast<int>(MemberRole::kSubscriber))
    return MemberRole::kSubscriber;
  return static_cast<MemberRole>(value);
}

Status AlertLogic::Load() {
  std::lock_guard lock(mutex_);
  auto trees = port_.LoadTrees();
  if (!trees.ok()) return trees.status();
  for (auto& record : *trees) trees_[record.tree_id()] = std::move(record);
  auto alerts = port_.LoadAlerts();
  if (!alerts.ok()) return alerts.status();
  for (auto& record : *alerts) alerts_[record.alert_id()] = std::move(record);
  return Status::Ok();
}

MemberInfo AlertLogic::MemberOf(const tree::MemberEntry& entry) const {
  return MemberInfo{.key = Hex(entry.identity_key()),
                    .name = entry.name(),
                    .role = FromProto(entry.role()),
                    .parent = entry.parent().empty() ? "" : Hex(entry.parent()),
                    .backup = entry.backup().empty() ? "" : Hex(entry.backup()),
                    .zones = Strings(entry.zones()),
                    .languages = Strings(entry.languages()),
                    .skills = Strings(entry.skills()),
                    .alert_card = entry.alert_card()};
}

std::string AlertLogic::NameOf(const std::string& tree_id, const std::string& key) const {
  auto it = trees_.find(tree_id);
  if (it != trees_.end()) {
    if (const auto* entry = Known(it->second, key)) return entry->name();
  }
  return key.size() >= 4 ? Hex(key.substr(0, 4)) : Hex(key);
}

TreeInfo AlertLogic::TreeInfoOf(const tree::TreeRecord& record) const {
  TreeInfo info;
  const SigningSet set = CurrentSet(record);
  info.id = Hex(record.tree_id());
  info.name = record.view().tree_name();
  info.version = record.view().version();
  for (const auto& admin : set.admins) info.admins.push_back(Hex(admin));
  info.threshold = set.threshold;
  info.admin_set_version = set.version;
  info.pending = static_cast<std::size_t>(record.pending_size());
  info.is_admin = record.admin();
  info.holds_roster = record.admin() || record.view().roster_size() > 0;
  info.me = MemberOf(record.view().member());
  info.policy = FromProto(record.view().policy());
  std::vector<const tree::MemberEntry*> entries;
  if (info.holds_roster) {
    for (const auto& entry : RosterOf(record)) entries.push_back(&entry);
  } else {
    const auto& view = record.view();
    for (const Entries* list : {&view.parent_chain(), &view.children(), &view.dispatchers()}) {
      for (const auto& entry : *list) entries.push_back(&entry);
    }
    if (!view.backup().identity_key().empty()) entries.push_back(&view.backup());
    for (const auto& branch : view.backs_up()) {
      entries.push_back(&branch.coordinator());
      for (const auto& entry : branch.children()) entries.push_back(&entry);
      info.backs_up.push_back(Hex(branch.coordinator().identity_key()));
    }
  }
  for (const auto* entry : entries) {
    // A revocation may come before the view without the member: it is out already.
    if (IsRevoked(record, entry->identity_key())) continue;
    const std::string hex = Hex(entry->identity_key());
    const bool seen = std::any_of(info.members.begin(), info.members.end(),
                                  [&](const MemberInfo& m) { return m.key == hex; });
    if (!seen) info.members.push_back(MemberOf(*entry));
  }
  const auto& auth = record.view().authorised();
  info.authorised[LifecycleType::kAlert] = HexAll(auth.alert());
  info.authorised[LifecycleType::kUpdate] = HexAll(auth.update());
  info.authorised[LifecycleType::kAllClear] = HexAll(auth.all_clear());
  info.authorised[LifecycleType::kCancel] = HexAll(auth.cancel());
  info.authorised[LifecycleType::kVerifyRequest] = HexAll(auth.verify_request());
  return info;
}

AlertInfo AlertLogic::InfoOf(const tree::AlertRecord& alert) const {
  AlertInfo info;
  info.id = Hex(alert.alert_id());
  info.tree = Hex(alert.tree_id());
  info.state = static_cast<AlertState>(alert.state());
  info.sequence = alert.sequence();
  info.originator = alert.originator().empty() ? "" : Hex(alert.originator());
  info.reporter = alert.reporter().empty() ? "" : Hex(alert.reporter());
  const auto& body = alert.alert();
  info.verified = alert.has_alert() && body.verified();
  if (alert.has_alert()) {
    info.mode = static_cast<AlertMode>(std::max(0, static_cast<int>(body.status()) - 1));
    info.severity = static_cast<Severity>(std::max(0, static_cast<int>(body.severity()) - 1));
    info.certainty = static_cast<Certainty>(body.certainty());
    info.zones = Strings(body.zones());
  } else {
    info.zones = Strings(alert.report().zones());
  }
  info.roles_needed = Strings(body.roles_needed());
  for (const auto& text : alert.texts()) {
    info.texts.push_back({text.language(), text.text(), text.instructions()});
  }
  info.report_text = alert.report().text();
  info.report_source = alert.report().source();
  info.cancel_reason = alert.cancel_reason();
  info.stand_by = alert.stand_by();
  info.created_ms = alert.created_ms();
  info.sent_ms = body.sent_at_ms();
  info.expires_at_ms = body.expires_at_ms();
  info.resolved_ms = alert.resolved_ms();
  if (alert.my_ack() != 0) info.my_ack = static_cast<AckKind>(alert.my_ack() - 1);
  if (alert.verify_outcome() != 0) {
    info.verify_outcome = static_cast<VerifyOutcome>(alert.verify_outcome() - 1);
  }
  info.verify_note = alert.verify_note();
  auto tree = trees_.find(alert.tree_id());
  if (tree != trees_.end() && alert.has_alert()) {
    const auto& me = tree->second.view().member();
    info.asked_to_respond =
        me.role() != app::SUBSCRIBER &&
        (body.roles_needed().empty()
             ? me.role() == app::RESPONDER
             : std::any_of(me.skills().begin(), me.skills().end(),
                           [&](const std::string& s) { return Contains(body.roles_needed(), s); }));
  }
  return info;
}

AlertEvent AlertLogic::MakeEvent(AlertEventKind kind, const tree::AlertRecord& alert,
                                 const std::string& from) {
  AlertEvent event;
  event.kind = kind;
  event.time_ms = port_.NowMs();
  event.tree = Hex(alert.tree_id());
  event.alert = Hex(alert.alert_id());
  if (!from.empty()) {
    event.from = Hex(from);
    event.from_name = NameOf(alert.tree_id(), from);
  }
  event.info = InfoOf(alert);
  return event;
}

BranchInfo AlertLogic::BranchOf(const std::string& tree_id, const app::BranchStatus& status) const {
  BranchInfo info;
  info.coordinator = Hex(status.coordinator_key());
  info.coordinator_name = NameOf(tree_id, status.coordinator_key());
  info.held_by = status.held_by().empty() ? info.coordinator : Hex(status.held_by());
  info.handed_over = info.held_by != info.coordinator;
  info.received = status.received();
  info.responding = status.responding();
  info.on_scene = status.on_scene();
  info.available_far = status.available_far();
  info.declined = status.declined();
  info.departed = status.departed();
  info.no_answer = status.no_answer();
  for (const auto& key : status.to_reach()) {
    info.to_reach.push_back(Hex(key));
    info.to_reach_names.push_back(NameOf(tree_id, key));
  }
  return info;
}

}  // namespace tocsin::alerts
