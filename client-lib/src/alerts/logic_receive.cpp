// AlertLogic: what arrives, checked against the held view before it changes anything.
#include <algorithm>

#include "alerts/logic.h"
#include "alerts/roster.h"
#include "core/clock_offset.h"

namespace tocsin::alerts {
namespace {

constexpr std::uint64_t kHourMs = 3600 * 1000;

struct Lifecycle {
  LifecycleType type;
  const app::AlertRef* ref;
};

Lifecycle LifecycleOf(const app::Payload& payload) {
  switch (payload.body_case()) {
    case app::Payload::kAlert:
      return {LifecycleType::kAlert, &payload.alert().ref()};
    case app::Payload::kUpdate:
      return {LifecycleType::kUpdate, &payload.update().ref()};
    case app::Payload::kAllClear:
      return {LifecycleType::kAllClear, &payload.all_clear().ref()};
    default:
      return {LifecycleType::kCancel, &payload.cancel().ref()};
  }
}

const char* TypeName(LifecycleType type) {
  switch (type) {
    case LifecycleType::kAlert:
      return "Alert";
    case LifecycleType::kUpdate:
      return "Update";
    case LifecycleType::kAllClear:
      return "AllClear";
    case LifecycleType::kCancel:
      return "Cancel";
    case LifecycleType::kVerifyRequest:
      return "VerifyRequest";
  }
  return "message";
}

// The tree a payload belongs to, and its alert reference (null when it has none).
std::pair<std::string, const app::AlertRef*> TreeOf(const app::Payload& payload) {
  switch (payload.body_case()) {
    case app::Payload::kReport:
      return {payload.report().ref().tree_id(), &payload.report().ref()};
    case app::Payload::kVerifyRequest:
      return {payload.verify_request().ref().tree_id(), &payload.verify_request().ref()};
    case app::Payload::kVerifyResult:
      return {payload.verify_result().ref().tree_id(), &payload.verify_result().ref()};
    case app::Payload::kAlert:
    case app::Payload::kUpdate:
    case app::Payload::kAllClear:
    case app::Payload::kCancel: {
      const app::AlertRef* ref = LifecycleOf(payload).ref;
      return {ref->tree_id(), ref};
    }
    case app::Payload::kAck:
      return {payload.ack().ref().tree_id(), &payload.ack().ref()};
    case app::Payload::kBranchStatus:
      return {payload.branch_status().ref().tree_id(), &payload.branch_status().ref()};
    case app::Payload::kHandover:
      return {payload.handover().ref().tree_id(), &payload.handover().ref()};
    case app::Payload::kSecurityNotice:
      return {payload.security_notice().tree_id(), nullptr};
    case app::Payload::kMemberCard:
      return {payload.member_card().tree_id(), nullptr};
    default:
      return {"", nullptr};  // tree updates are signed: who relays them does not matter
  }
}

}  // namespace

void ToOurClock(app::Payload& payload, std::int64_t correction_ms) {
  if (correction_ms == 0) return;
  const auto shift = [correction_ms](std::uint64_t t) { return core::ShiftTime(t, correction_ms); };
  const auto shift_alert = [&shift](app::Alert& alert) {
    alert.set_sent_at_ms(shift(alert.sent_at_ms()));
    alert.set_expires_at_ms(shift(alert.expires_at_ms()));
  };
  const auto shift_report = [&shift](app::Report& report) {
    report.set_observed_at_ms(shift(report.observed_at_ms()));
  };
  switch (payload.body_case()) {
    case app::Payload::kReport:
      return shift_report(*payload.mutable_report());
    case app::Payload::kVerifyRequest:
      return shift_report(*payload.mutable_verify_request()->mutable_report());
    case app::Payload::kAlert:
      return shift_alert(*payload.mutable_alert());
    case app::Payload::kUpdate:
      return payload.mutable_update()->set_expires_at_ms(shift(payload.update().expires_at_ms()));
    case app::Payload::kAck:
      return payload.mutable_ack()->set_at_ms(shift(payload.ack().at_ms()));
    case app::Payload::kHandover: {
      app::Handover& handover = *payload.mutable_handover();
      if (handover.has_alert()) shift_alert(*handover.mutable_alert());
      for (auto& member_ack : *handover.mutable_acks()) {
        member_ack.mutable_ack()->set_at_ms(shift(member_ack.ack().at_ms()));
      }
      return;
    }
    case app::Payload::kSecurityNotice:
      return payload.mutable_security_notice()->set_at_ms(shift(payload.security_notice().at_ms()));
    default:
      return;  // no absolute time (views and revocations are signed: kept as written)
  }
}

Status AlertLogic::OnPayload(const std::string& sender, const std::string& group_id,
                             const app::Payload& received, std::int64_t clock_correction_ms) {
  std::lock_guard lock(mutex_);
  app::Payload payload = received;
  ToOurClock(payload, clock_correction_ms);
  (void)group_id;  // the group path already checked the sender is one of its senders
  const auto [tree_id, ref] = TreeOf(payload);
  // An alert belongs to one tree, and a message is checked against the view of the tree
  // it names: one naming an alert we hold with another tree's id is dropped, and flagged
  // in the alert's own tree.
  if (const tree::AlertRecord* alert = ref != nullptr ? FindAlert(ref->alert_id()) : nullptr;
      alert != nullptr && alert->tree_id() != tree_id) {
    Flag(alert->tree_id(), sender, "a message naming another tree for its alert", ref);
    return Status::Ok();
  }
  // A revoked key's tokens stop at the relays, so little of what it sends arrives; what
  // still does changes nothing and is flagged.
  if (const tree::TreeRecord* record = FindTree(tree_id);
      record != nullptr && IsRevoked(*record, sender)) {
    Flag(tree_id, sender, "a message from a revoked member", ref);
    return Status::Ok();
  }
  switch (payload.body_case()) {
    case app::Payload::kReport:
      return OnReport(sender, payload.report());
    case app::Payload::kVerifyRequest:
      return OnVerifyRequest(sender, payload.verify_request());
    case app::Payload::kVerifyResult:
      return OnVerifyResult(sender, payload.verify_result());
    case app::Payload::kAlert:
    case app::Payload::kUpdate:
    case app::Payload::kAllClear:
    case app::Payload::kCancel:
      return OnLifecycle(sender, payload);
    case app::Payload::kAck:
      return OnAck(sender, payload.ack());
    case app::Payload::kBranchStatus:
      return OnBranchStatus(sender, payload.branch_status());
    case app::Payload::kHandover:
      return OnHandover(sender, payload.handover());
    case app::Payload::kSecurityNotice:
      return OnNotice(sender, payload.security_notice());
    case app::Payload::kTreeUpdate:
      return OnTreeUpdate(sender, payload.tree_update());
    case app::Payload::kMemberCard:
      return OnMemberCard(sender, payload.member_card());
    default:
      return Status::Ok();
  }
}

void AlertLogic::Flag(const std::string& tree_id, const std::string& offender,
                      const std::string& what, const app::AlertRef* ref) {
  app::SecurityNotice notice;
  notice.set_tree_id(tree_id);
  notice.set_offender_key(offender);
  notice.set_what(what);
  notice.set_at_ms(port_.NowMs());
  if (ref != nullptr) *notice.mutable_ref() = *ref;
  AlertEvent event{.kind = AlertEventKind::kSecurityFlag,
                   .time_ms = notice.at_ms(),
                   .tree = Hex(tree_id),
                   .alert = ref != nullptr ? Hex(ref->alert_id()) : "",
                   .from = Hex(offender),
                   .reason = what};
  tree::TreeRecord* record = FindTree(tree_id);
  if (record != nullptr) {
    event.from_name = NameOf(tree_id, offender);
    *record->add_flags() = notice;
    (void)port_.SaveTree(*record);
    if (record->view().member().role() != app::DISPATCHER) {
      app::Payload payload;
      *payload.mutable_security_notice() = notice;
      (void)SendToDispatchers(*record, payload);  // best effort: the flag is kept here anyway
    }
  }
  emit_(std::move(event));
}

bool AlertLogic::Sequenced(tree::AlertRecord& alert, const app::AlertRef& ref) {
  if (ref.sequence() <= alert.sequence() && alert.sequence() != 0) return false;
  alert.set_sequence(ref.sequence());
  return true;
}

Status AlertLogic::OnReport(const std::string& sender, const app::Report& report) {
  tree::TreeRecord* record = FindTree(report.ref().tree_id());
  if (record == nullptr) return Status::Ok();
  if (record->view().member().role() != app::DISPATCHER || Known(*record, sender) == nullptr) {
    Flag(record->tree_id(), sender, "a report from a non-member", &report.ref());
    return Status::Ok();
  }
  auto& times = report_times_[sender];
  const std::uint64_t now = port_.NowMs();
  while (!times.empty() && times.front() + kHourMs <= now) times.pop_front();
  if (times.size() >= record->view().policy().reports_per_hour()) {
    if (times.size() == record->view().policy().reports_per_hour()) {
      Flag(record->tree_id(), sender, "reports over the rate limit", &report.ref());
      times.push_back(now);  // counted; flagged once per window
    }
    return Status::Ok();
  }
  times.push_back(now);
  if (report.ref().alert_id().size() != 16 || FindAlert(report.ref().alert_id()) != nullptr) {
    return Status::Ok();
  }
  tree::AlertRecord& alert = *NewAlert(report.ref().alert_id(), record->tree_id());  // not held
  alert.set_reporter(sender);
  *alert.mutable_report() = report;
  alert.set_state(static_cast<std::uint32_t>(AlertState::kReported));
  TOCSIN_RETURN_IF_ERROR(Save(alert));
  auto event = MakeEvent(AlertEventKind::kReport, alert, sender);
  event.text = report.text();
  emit_(std::move(event));
  return Status::Ok();
}

Status AlertLogic::OnVerifyRequest(const std::string& sender, const app::VerifyRequest& request) {
  tree::TreeRecord* record = FindTree(request.ref().tree_id());
  if (record == nullptr) return Status::Ok();
  if (!Authorised(*record, LifecycleType::kVerifyRequest, sender)) {
    Flag(record->tree_id(), sender, "an unauthorised VerifyRequest", &request.ref());
    return Status::Ok();
  }
  tree::AlertRecord* found = NewAlert(request.ref().alert_id(), record->tree_id());
  if (found == nullptr) return Status::Ok();  // another tree's alert (flagged in OnPayload)
  tree::AlertRecord& alert = *found;
  (void)Sequenced(alert, request.ref());
  *alert.mutable_report() = request.report();
  alert.set_originator(sender);
  if (!Contains(alert.verifiers_asked(), port_.IdentityKey())) {
    alert.add_verifiers_asked(port_.IdentityKey());
  }
  if (!alert.has_alert()) alert.set_state(static_cast<std::uint32_t>(AlertState::kVerifying));
  TOCSIN_RETURN_IF_ERROR(Save(alert));
  auto event = MakeEvent(AlertEventKind::kVerifyRequest, alert, sender);
  event.text = request.report().text();
  emit_(std::move(event));
  return Status::Ok();
}

Status AlertLogic::OnVerifyResult(const std::string& sender, const app::VerifyResult& result) {
  tree::AlertRecord* alert = FindAlert(result.ref());
  tree::TreeRecord* record = FindTree(result.ref().tree_id());
  if (record == nullptr) return Status::Ok();
  if (alert == nullptr || !Contains(alert->verifiers_asked(), sender)) {
    Flag(record->tree_id(), sender, "a VerifyResult from a verifier not asked", &result.ref());
    return Status::Ok();
  }
  const int outcome = static_cast<int>(result.outcome()) - 1;
  if (outcome < 0 || outcome > static_cast<int>(VerifyOutcome::kOnMyWay)) return Status::Ok();
  if (!Contains(alert->verifiers_answered(), sender)) alert->add_verifiers_answered(sender);
  // "On my way" is interim: it never hides an answer already given.
  const bool interim = static_cast<VerifyOutcome>(outcome) == VerifyOutcome::kOnMyWay;
  if (!interim || alert->verify_outcome() == 0) {
    alert->set_verify_outcome(static_cast<std::uint32_t>(outcome) + 1);
    alert->set_verify_note(result.note());
  }
  const auto state = static_cast<AlertState>(alert->state());
  if (state == AlertState::kVerifying || state == AlertState::kReported) {
    switch (static_cast<VerifyOutcome>(outcome)) {
      case VerifyOutcome::kConfirmed:
        alert->set_state(static_cast<std::uint32_t>(AlertState::kConfirmed));
        break;
      case VerifyOutcome::kUnable:
        alert->set_state(static_cast<std::uint32_t>(AlertState::kUnable));
        break;
      case VerifyOutcome::kFalseAlarm:
        // The dispatcher who asked closes the report everywhere it is held.
        if (alert->originator() == port_.IdentityKey()) {
          TOCSIN_RETURN_IF_ERROR(CancelReport(*record, *alert, "false alarm"));
        } else {
          alert->set_state(static_cast<std::uint32_t>(AlertState::kCancelled));
          alert->set_cancel_reason("false alarm");
          alert->set_resolved_ms(port_.NowMs());
        }
        break;
      case VerifyOutcome::kOnMyWay:
        break;
    }
  }
  TOCSIN_RETURN_IF_ERROR(Save(*alert));
  auto event = MakeEvent(AlertEventKind::kVerifyResult, *alert, sender);
  event.outcome = static_cast<VerifyOutcome>(outcome);
  event.text = result.note();
  emit_(std::move(event));
  return Status::Ok();
}

Status AlertLogic::OnLifecycle(const std::string& sender, const app::Payload& payload) {
  const Lifecycle lifecycle = LifecycleOf(payload);
  tree::TreeRecord* record = FindTree(lifecycle.ref->tree_id());
  if (record == nullptr || lifecycle.ref->alert_id().size() != 16) return Status::Ok();
  if (!Authorised(*record, lifecycle.type, sender)) {
    Flag(record->tree_id(), sender, std::string("an unauthorised ") + TypeName(lifecycle.type),
         lifecycle.ref);
    return Status::Ok();
  }
  tree::AlertRecord* found = NewAlert(lifecycle.ref->alert_id(), record->tree_id());
  if (found == nullptr) return Status::Ok();  // another tree's alert (flagged in OnPayload)
  tree::AlertRecord& alert = *found;
  const bool newer = Sequenced(alert, *lifecycle.ref);
  const bool resolved = IsResolved(static_cast<AlertState>(alert.state()));
  AlertEventKind kind = AlertEventKind::kAlert;
  if (payload.has_alert()) {
    if (!alert.has_alert()) {
      *alert.mutable_alert() = payload.alert();
      if (alert.texts().empty()) *alert.mutable_texts() = payload.alert().texts();
      alert.set_originator(sender);
      alert.set_dispatched_ms(port_.NowMs());
    }
    if (!resolved && newer) alert.set_state(static_cast<std::uint32_t>(AlertState::kDispatched));
  } else if (!newer) {
    return Status::Ok();  // an older Update / AllClear / Cancel: already superseded
  } else if (payload.has_update()) {
    kind = AlertEventKind::kUpdate;
    if (!payload.update().texts().empty()) *alert.mutable_texts() = payload.update().texts();
    if (payload.update().stand_by()) alert.set_stand_by(true);
    if (payload.update().expires_at_ms() != 0) {
      alert.mutable_alert()->set_expires_at_ms(payload.update().expires_at_ms());
    }
    if (!resolved) alert.set_state(static_cast<std::uint32_t>(AlertState::kUpdated));
  } else {
    const bool clear = payload.has_all_clear();
    kind = clear ? AlertEventKind::kAllClear : AlertEventKind::kCancel;
    const auto& texts = clear ? payload.all_clear().texts() : payload.cancel().texts();
    if (!texts.empty()) *alert.mutable_texts() = texts;
    if (!clear) alert.set_cancel_reason(payload.cancel().reason());
    alert.set_state(
        static_cast<std::uint32_t>(clear ? AlertState::kAllClear : AlertState::kCancelled));
    if (alert.resolved_ms() == 0) alert.set_resolved_ms(port_.NowMs());
  }
  if (alert.originator().empty()) alert.set_originator(sender);
  TOCSIN_RETURN_IF_ERROR(Save(alert));
  emit_(MakeEvent(kind, alert, sender));
  return Status::Ok();
}

void AlertLogic::TakeAck(tree::AlertRecord& alert, const std::string& member, const app::Ack& ack) {
  for (auto& existing : *alert.mutable_acks()) {
    if (existing.member() == member) {
      if (existing.ack().at_ms() <= ack.at_ms()) *existing.mutable_ack() = ack;
      alert.set_status_dirty(true);
      return;
    }
  }
  auto* added = alert.add_acks();
  added->set_member(member);
  *added->mutable_ack() = ack;
  alert.set_status_dirty(true);
}

Status AlertLogic::OnAck(const std::string& sender, const app::Ack& ack) {
  tree::TreeRecord* record = FindTree(ack.ref().tree_id());
  tree::AlertRecord* alert = FindAlert(ack.ref());
  if (record == nullptr) return Status::Ok();
  const tree::MemberEntry* entry = Known(*record, sender);
  const bool mine = alert != nullptr && alert->originator() == port_.IdentityKey();
  const bool child = entry != nullptr && entry->parent() == port_.IdentityKey();
  bool held = false;
  if (alert != nullptr && entry != nullptr)
    held = Contains(alert->held_branches(), entry->parent());
  if (alert == nullptr && child && ack.ref().alert_id().size() == 16) {
    alert = NewAlert(ack.ref().alert_id(), record->tree_id());  // the ack came before the alert
  }
  if (alert == nullptr || entry == nullptr || !(mine || child || held)) {
    Flag(record->tree_id(), sender, "an ack from a member we do not lead", &ack.ref());
    return Status::Ok();
  }
  TakeAck(*alert, sender, ack);
  if (mine) {
    (void)CheckTurnout(*record, *alert);
    ForwardToHolder(*record, *alert, entry->parent());
  }
  if (!mine) (void)SendBranchStatus(*alert, port_.NowMs(), false);
  TOCSIN_RETURN_IF_ERROR(Save(*alert));
  auto event = MakeEvent(AlertEventKind::kAck, *alert, sender);
  event.ack = AckInfo{.member = Hex(sender),
                      .name = entry->name(),
                      .kind = static_cast<AckKind>(static_cast<int>(ack.kind()) - 1),
                      .eta_minutes = ack.eta_minutes(),
                      .at_ms = ack.at_ms()};
  emit_(std::move(event));
  return Status::Ok();
}

Status AlertLogic::OnBranchStatus(const std::string& sender, const app::BranchStatus& status) {
  tree::TreeRecord* record = FindTree(status.ref().tree_id());
  tree::AlertRecord* alert = FindAlert(status.ref());
  if (record == nullptr) return Status::Ok();
  const tree::MemberEntry* coordinator = Known(*record, status.coordinator_key());
  const bool from_coordinator = sender == status.coordinator_key() && coordinator != nullptr &&
                                coordinator->parent() == port_.IdentityKey();
  const bool from_backup = coordinator != nullptr && coordinator->backup() == sender;
  if (alert == nullptr || !(from_coordinator || from_backup)) {
    Flag(record->tree_id(), sender, "a BranchStatus from a member we do not lead", &status.ref());
    return Status::Ok();
  }
  bool replaced = false;
  for (auto& existing : *alert->mutable_branches()) {
    if (existing.coordinator_key() == status.coordinator_key()) {
      existing = status;
      replaced = true;
    }
  }
  if (!replaced) *alert->add_branches() = status;
  TOCSIN_RETURN_IF_ERROR(Save(*alert));
  auto event = MakeEvent(AlertEventKind::kStatusChanged, *alert, sender);
  event.branch = BranchOf(record->tree_id(), status);
  emit_(std::move(event));
  return Status::Ok();
}

Status AlertLogic::OnHandover(const std::string& sender, const app::Handover& handover) {
  tree::TreeRecord* record = FindTree(handover.ref().tree_id());
  if (record == nullptr) return Status::Ok();
  if (!Authorised(*record, LifecycleType::kAlert, sender)) {
    Flag(record->tree_id(), sender, "an unauthorised Handover", &handover.ref());
    return Status::Ok();
  }
  tree::AlertRecord* found = NewAlert(handover.ref().alert_id(), record->tree_id());
  if (found == nullptr) return Status::Ok();  // another tree's alert (flagged in OnPayload)
  tree::AlertRecord& alert = *found;
  if (!alert.has_alert() && handover.has_alert()) {
    *alert.mutable_alert() = handover.alert();
    *alert.mutable_texts() = handover.alert().texts();
    alert.set_originator(sender);
    alert.set_dispatched_ms(port_.NowMs());
    alert.set_state(static_cast<std::uint32_t>(AlertState::kDispatched));
  }
  const bool first = !Contains(alert.held_branches(), handover.coordinator_key());
  if (first) alert.add_held_branches(handover.coordinator_key());
  for (const auto& member_ack : handover.acks())
    TakeAck(alert, member_ack.member(), member_ack.ack());
  // A handover comes after the ack timeout: those without an ack are to be reached now.
  (void)Step(alert, "reach/" + Hex(handover.coordinator_key()));
  (void)SendBranchStatus(alert, port_.NowMs(), true);
  TOCSIN_RETURN_IF_ERROR(Save(alert));
  if (first) {
    auto event = MakeEvent(AlertEventKind::kHandover, alert, sender);
    const auto children = BranchChildren(*record, handover.coordinator_key());
    event.branch =
        BranchOf(record->tree_id(), RollUp(*record, alert, handover.coordinator_key(), children));
    event.text = "branch of " + NameOf(record->tree_id(), handover.coordinator_key());
    emit_(std::move(event));
  }
  return Status::Ok();
}

Status AlertLogic::OnNotice(const std::string& sender, const app::SecurityNotice& notice) {
  tree::TreeRecord* record = FindTree(notice.tree_id());
  if (record == nullptr || Known(*record, sender) == nullptr) return Status::Ok();
  app::SecurityNotice kept = notice;
  kept.set_what("told by " + NameOf(record->tree_id(), sender) + ": " + notice.what());
  *record->add_flags() = kept;
  TOCSIN_RETURN_IF_ERROR(port_.SaveTree(*record));
  emit_(AlertEvent{.kind = AlertEventKind::kSecurityFlag,
                   .time_ms = port_.NowMs(),
                   .tree = Hex(record->tree_id()),
                   .alert = Hex(notice.ref().alert_id()),
                   .from = Hex(notice.offender_key()),
                   .from_name = NameOf(record->tree_id(), notice.offender_key()),
                   .text = "told by " + NameOf(record->tree_id(), sender),
                   .reason = notice.what()});
  return Status::Ok();
}

}  // namespace tocsin::alerts
