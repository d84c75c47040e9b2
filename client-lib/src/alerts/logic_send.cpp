// AlertLogic: what this device sends in an alert's life.
#include <algorithm>

#include "alerts/logic.h"
#include "alerts/roster.h"

namespace tocsin::alerts {
namespace {

void FillTexts(google::protobuf::RepeatedPtrField<app::LocalizedText>* out,
               const std::vector<LocalizedText>& texts) {
  for (const auto& text : texts) {
    auto* added = out->Add();
    added->set_language(text.language);
    added->set_text(text.text);
    added->set_instructions(text.instructions);
  }
}

bool HasLanguage(const std::vector<LocalizedText>& texts, std::string_view language) {
  return std::any_of(texts.begin(), texts.end(),
                     [&](const LocalizedText& t) { return t.language == language; });
}

}  // namespace

tree::AlertRecord* AlertLogic::FindAlert(const std::string& alert_id) {
  auto it = alerts_.find(alert_id);
  return it == alerts_.end() ? nullptr : &it->second;
}

tree::AlertRecord* AlertLogic::FindAlert(const app::AlertRef& ref) {
  tree::AlertRecord* record = FindAlert(ref.alert_id());
  return record != nullptr && record->tree_id() == ref.tree_id() ? record : nullptr;
}

Result<tree::AlertRecord*> AlertLogic::KnownAlert(const AlertId& alert) {
  auto id = Unhex(alert, 16, "alert id");
  if (!id.ok()) return id.status();
  auto* record = FindAlert(*id);
  if (record == nullptr) return Status(Code::kNotFound, "no such alert");
  return record;
}

tree::AlertRecord* AlertLogic::NewAlert(const std::string& alert_id, const std::string& tree_id) {
  auto& record = alerts_[alert_id];
  if (record.alert_id().empty()) {
    record.set_alert_id(alert_id);
    record.set_tree_id(tree_id);
    record.set_created_ms(port_.NowMs());
  }
  return record.tree_id() == tree_id ? &record : nullptr;
}

app::AlertRef AlertLogic::NextRef(tree::AlertRecord& record) {
  record.set_sequence(record.sequence() + 1);
  app::AlertRef ref;
  ref.set_alert_id(record.alert_id());
  ref.set_tree_id(record.tree_id());
  ref.set_sequence(record.sequence());
  return ref;
}

namespace {

app::AlertRef CurrentRef(const tree::AlertRecord& record) {
  app::AlertRef ref;
  ref.set_alert_id(record.alert_id());
  ref.set_tree_id(record.tree_id());
  ref.set_sequence(record.sequence());
  return ref;
}

}  // namespace

Status AlertLogic::Save(tree::AlertRecord& record) { return port_.SaveAlert(record); }

bool AlertLogic::Authorised(const tree::TreeRecord& record, LifecycleType type,
                            const std::string& key) const {
  if (IsRevoked(record, key)) return false;
  const auto& auth = record.view().authorised();
  switch (type) {
    case LifecycleType::kAlert:
      return Contains(auth.alert(), key);
    case LifecycleType::kUpdate:
      return Contains(auth.update(), key);
    case LifecycleType::kAllClear:
      return Contains(auth.all_clear(), key);
    case LifecycleType::kCancel:
      return Contains(auth.cancel(), key);
    case LifecycleType::kVerifyRequest:
      return Contains(auth.verify_request(), key);
  }
  return false;
}

Status AlertLogic::SendToDispatchers(const tree::TreeRecord& record, const app::Payload& payload) {
  const std::string bytes = payload.SerializeAsString();
  for (const auto& dispatcher : record.view().dispatchers()) {
    const std::string& key = dispatcher.identity_key();
    if (key == port_.IdentityKey() || IsRevoked(record, key)) continue;
    TOCSIN_RETURN_IF_ERROR(port_.SendTo(key, bytes, 0));
  }
  return Status::Ok();
}

Status AlertLogic::SendToZones(const tree::TreeRecord& record, const tree::AlertRecord& alert,
                               const app::Payload& payload, bool subscribers_too) {
  const std::string bytes = payload.SerializeAsString();
  std::size_t sent = 0;
  for (const auto& group : record.view().groups()) {
    if (!Contains(alert.alert().zones(), group.zone())) continue;
    if (group.subscribers() && !subscribers_too) continue;
    TOCSIN_RETURN_IF_ERROR(port_.SendToGroup(group.group_id(), bytes, 0));
    ++sent;
  }
  if (sent == 0) return Status(Code::kNotFound, "no zone group for the alert's zones");
  return Status::Ok();
}

Result<AlertId> AlertLogic::Report(const TreeId& tree, const ReportSpec& spec) {
  std::lock_guard lock(mutex_);
  auto id = Unhex(tree, 32, "tree id");
  if (!id.ok()) return id.status();
  const auto* record = FindTree(*id);
  if (record == nullptr) return Status(Code::kNotFound, "no such tree");
  tree::AlertRecord* made = NewAlert(port_.RandomBytes(16), *id);
  if (made == nullptr) return Status(Code::kInternal, "a new alert id that is already taken");
  tree::AlertRecord& alert = *made;
  alert.set_reporter(port_.IdentityKey());
  alert.set_state(static_cast<std::uint32_t>(AlertState::kReported));
  auto* report = alert.mutable_report();
  *report->mutable_ref() = CurrentRef(alert);
  for (const auto& zone : spec.zones) report->add_zones(zone);
  report->set_text(spec.text);
  report->set_language(spec.language);
  report->set_source(spec.source);
  report->set_observed_at_ms(spec.observed_at_ms != 0 ? spec.observed_at_ms : port_.NowMs());
  app::Payload payload;
  *payload.mutable_report() = *report;
  TOCSIN_RETURN_IF_ERROR(SendToDispatchers(*record, payload));
  TOCSIN_RETURN_IF_ERROR(Save(alert));
  return Hex(alert.alert_id());
}

Status AlertLogic::RequestVerification(const AlertId& alert_id,
                                       const std::vector<MemberKey>& verifiers) {
  std::lock_guard lock(mutex_);
  auto found = KnownAlert(alert_id);
  if (!found.ok()) return found.status();
  tree::AlertRecord& alert = **found;
  tree::TreeRecord* record = FindTree(alert.tree_id());
  if (record == nullptr) return Status(Code::kNotFound, "no such tree");
  if (!Authorised(*record, LifecycleType::kVerifyRequest, port_.IdentityKey())) {
    return Status(Code::kUnauthorized, "our view does not let us send VerifyRequest");
  }
  std::vector<std::string> targets;
  for (const auto& hex : verifiers) {
    auto key = Unhex(hex, 32, "verifier key");
    if (!key.ok()) return key.status();
    targets.push_back(*key);
  }
  if (targets.empty()) {
    const auto& roster = record->admin() ? record->roster() : record->view().roster();
    std::vector<std::string> backups;
    for (const auto& entry : roster) {
      if (entry.role() == app::VERIFIER && !entry.backup().empty())
        backups.push_back(entry.backup());
    }
    for (const auto& entry : roster) {
      const bool in_zone =
          std::any_of(entry.zones().begin(), entry.zones().end(),
                      [&](const auto& z) { return Contains(alert.report().zones(), z); });
      const bool is_backup =
          std::find(backups.begin(), backups.end(), entry.identity_key()) != backups.end();
      if (entry.role() == app::VERIFIER && in_zone && !is_backup)
        targets.push_back(entry.identity_key());
    }
  }
  if (targets.empty()) return Status(Code::kNotFound, "no verifier in the alert's zones");
  app::Payload payload;
  auto* request = payload.mutable_verify_request();
  *request->mutable_ref() = NextRef(alert);
  *request->mutable_report() = alert.report();
  const auto timeout = record->view().policy().verify_timeout_s();
  request->set_answer_within_seconds(timeout);
  for (const auto& key : targets) {
    TOCSIN_RETURN_IF_ERROR(port_.SendTo(key, payload.SerializeAsString(), 0));
    if (!Contains(alert.verifiers_asked(), key)) alert.add_verifiers_asked(key);
  }
  alert.set_originator(port_.IdentityKey());
  alert.set_verify_requested_ms(port_.NowMs());
  alert.set_verify_timeout_s(timeout);
  alert.set_state(static_cast<std::uint32_t>(AlertState::kVerifying));
  return Save(alert);
}

Status AlertLogic::SendVerifyResult(const AlertId& alert_id, VerifyOutcome outcome,
                                    const std::string& note, std::uint32_t eta_minutes) {
  std::lock_guard lock(mutex_);
  auto found = KnownAlert(alert_id);
  if (!found.ok()) return found.status();
  tree::AlertRecord& alert = **found;
  const tree::TreeRecord* record = FindTree(alert.tree_id());
  if (record == nullptr || !Contains(alert.verifiers_asked(), port_.IdentityKey())) {
    return Status(Code::kUnauthorized, "we were not asked to verify this alert");
  }
  app::Payload payload;
  auto* result = payload.mutable_verify_result();
  *result->mutable_ref() = CurrentRef(alert);
  result->set_outcome(static_cast<app::VerifyResult::Outcome>(static_cast<int>(outcome) + 1));
  result->set_note(note);
  result->set_eta_minutes(eta_minutes);
  TOCSIN_RETURN_IF_ERROR(SendToDispatchers(*record, payload));
  alert.set_verify_outcome(static_cast<std::uint32_t>(outcome) + 1);
  alert.set_verify_note(note);
  if (outcome == VerifyOutcome::kFalseAlarm && !alert.has_alert()) {
    // Our own copy of the report resolves too (and is purged after the retention).
    alert.set_state(static_cast<std::uint32_t>(AlertState::kCancelled));
    alert.set_cancel_reason("false alarm");
    if (alert.resolved_ms() == 0) alert.set_resolved_ms(port_.NowMs());
  }
  return Save(alert);
}

Result<AlertId> AlertLogic::SendAlert(const TreeId& tree, const AlertSpec& spec,
                                      const AlertId& alert_id) {
  std::lock_guard lock(mutex_);
  auto id = Unhex(tree, 32, "tree id");
  if (!id.ok()) return id.status();
  const tree::TreeRecord* record = FindTree(*id);
  if (record == nullptr) return Status(Code::kNotFound, "no such tree");
  if (!Authorised(*record, LifecycleType::kAlert, port_.IdentityKey())) {
    return Status(Code::kUnauthorized, "our view does not let us send Alert");
  }
  if (spec.zones.empty() || !HasLanguage(spec.texts, "es") || !HasLanguage(spec.texts, "en")) {
    return Status(Code::kInvalidArgument, "an alert needs zones and texts in es and en");
  }
  std::string raw_id = port_.RandomBytes(16);
  if (!alert_id.empty()) {
    auto given = Unhex(alert_id, 16, "alert id");
    if (!given.ok()) return given.status();
    raw_id = *given;
  }
  tree::AlertRecord* made = NewAlert(raw_id, *id);
  if (made == nullptr) return Status(Code::kInvalidArgument, "the alert is another tree's");
  tree::AlertRecord& alert = *made;
  const std::uint64_t now = port_.NowMs();
  const std::uint64_t expiry_s = spec.expires_in.count() > 0
                                     ? static_cast<std::uint64_t>(spec.expires_in.count())
                                     : record->view().policy().alert_expiry_s();
  app::Payload payload;
  auto* body = payload.mutable_alert();
  *body->mutable_ref() = NextRef(alert);
  // Verified only by a verifier's confirmation of the report, or the dispatcher's word.
  const bool confirmed =
      alert.verify_outcome() == static_cast<std::uint32_t>(VerifyOutcome::kConfirmed) + 1;
  const bool unable =
      alert.verify_outcome() == static_cast<std::uint32_t>(VerifyOutcome::kUnable) + 1;
  const bool verified = confirmed || spec.dispatcher_confirms;
  const Certainty certainty =
      unable && !spec.dispatcher_confirms ? Certainty::kPossible : spec.certainty;
  body->set_status(static_cast<app::AlertStatus>(static_cast<int>(spec.mode) + 1));
  body->set_severity(static_cast<app::Severity>(static_cast<int>(spec.severity) + 1));
  body->set_certainty(static_cast<app::Certainty>(static_cast<int>(certainty)));
  for (const auto& zone : spec.zones) body->add_zones(zone);
  for (const auto& role : spec.roles_needed) body->add_roles_needed(role);
  FillTexts(body->mutable_texts(), spec.texts);
  body->set_sent_at_ms(now);
  body->set_expires_at_ms(now + expiry_s * 1000);
  body->set_verified(verified);
  *alert.mutable_alert() = *body;
  *alert.mutable_texts() = body->texts();
  alert.set_originator(port_.IdentityKey());
  alert.set_dispatched_ms(now);
  alert.set_state(static_cast<std::uint32_t>(AlertState::kDispatched));
  TOCSIN_RETURN_IF_ERROR(SendToZones(*record, alert, payload, false));
  TOCSIN_RETURN_IF_ERROR(Save(alert));
  return Hex(raw_id);
}

Status AlertLogic::EndAlert(const AlertId& alert_id, LifecycleType type, app::Payload payload,
                            AlertState state) {
  auto found = KnownAlert(alert_id);
  if (!found.ok()) return found.status();
  tree::AlertRecord& alert = **found;
  const tree::TreeRecord* record = FindTree(alert.tree_id());
  if (record == nullptr || !Authorised(*record, type, port_.IdentityKey())) {
    return Status(Code::kUnauthorized,
                  std::string("our view does not let us send ") + ToString(type));
  }
  if (!alert.has_alert() && type == LifecycleType::kCancel) {
    return CancelReport(*record, alert, payload.cancel().reason());
  }
  if (!alert.has_alert()) return Status(Code::kInvalidArgument, "the alert was never sent");
  const app::AlertRef ref = NextRef(alert);
  if (payload.has_update()) *payload.mutable_update()->mutable_ref() = ref;
  if (payload.has_all_clear()) *payload.mutable_all_clear()->mutable_ref() = ref;
  if (payload.has_cancel()) *payload.mutable_cancel()->mutable_ref() = ref;
  const bool resolves = IsResolved(state);
  TOCSIN_RETURN_IF_ERROR(SendToZones(*record, alert, payload, resolves));
  if (!IsResolved(static_cast<AlertState>(alert.state()))) {
    alert.set_state(static_cast<std::uint32_t>(state));
  }
  if (resolves && alert.resolved_ms() == 0) alert.set_resolved_ms(port_.NowMs());
  return Save(alert);
}

Status AlertLogic::CancelReport(const tree::TreeRecord& record, tree::AlertRecord& alert,
                                const std::string& reason) {
  // Nothing went to the zone: the reporter and the verifiers asked are the ones holding
  // it, so they are told (pairwise) and their copies resolve and are purged in time.
  app::Payload payload;
  auto* cancel = payload.mutable_cancel();
  *cancel->mutable_ref() = NextRef(alert);
  cancel->set_reason(reason);
  std::vector<std::string> targets(alert.verifiers_asked().begin(), alert.verifiers_asked().end());
  if (!alert.reporter().empty()) targets.push_back(alert.reporter());
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  for (const auto& key : targets) {
    if (key == port_.IdentityKey() || IsRevoked(record, key)) continue;
    TOCSIN_RETURN_IF_ERROR(port_.SendTo(key, payload.SerializeAsString(), 0));
  }
  if (!IsResolved(static_cast<AlertState>(alert.state()))) {
    alert.set_state(static_cast<std::uint32_t>(AlertState::kCancelled));
  }
  if (alert.cancel_reason().empty()) alert.set_cancel_reason(reason);
  if (alert.resolved_ms() == 0) alert.set_resolved_ms(port_.NowMs());
  return Save(alert);
}

Status AlertLogic::SendUpdate(const AlertId& alert, const std::vector<LocalizedText>& texts,
                              bool stand_by) {
  std::lock_guard lock(mutex_);
  app::Payload payload;
  FillTexts(payload.mutable_update()->mutable_texts(), texts);
  payload.mutable_update()->set_stand_by(stand_by);
  TOCSIN_RETURN_IF_ERROR(EndAlert(alert, LifecycleType::kUpdate, payload, AlertState::kUpdated));
  auto* record = *KnownAlert(alert);
  if (!texts.empty()) *record->mutable_texts() = payload.update().texts();
  if (stand_by) record->set_stand_by(true);
  return Save(*record);
}

Status AlertLogic::SendAllClear(const AlertId& alert, const std::vector<LocalizedText>& texts) {
  std::lock_guard lock(mutex_);
  app::Payload payload;
  FillTexts(payload.mutable_all_clear()->mutable_texts(), texts);
  return EndAlert(alert, LifecycleType::kAllClear, payload, AlertState::kAllClear);
}

Status AlertLogic::SendCancel(const AlertId& alert, const std::string& reason,
                              const std::vector<LocalizedText>& texts) {
  std::lock_guard lock(mutex_);
  app::Payload payload;
  FillTexts(payload.mutable_cancel()->mutable_texts(), texts);
  payload.mutable_cancel()->set_reason(reason);
  TOCSIN_RETURN_IF_ERROR(EndAlert(alert, LifecycleType::kCancel, payload, AlertState::kCancelled));
  auto* record = *KnownAlert(alert);
  record->set_cancel_reason(reason);
  return Save(*record);
}

Status AlertLogic::Ack(const AlertId& alert_id, const AckSpec& spec) {
  std::lock_guard lock(mutex_);
  auto found = KnownAlert(alert_id);
  if (!found.ok()) return found.status();
  tree::AlertRecord& alert = **found;
  const tree::TreeRecord* record = FindTree(alert.tree_id());
  if (record == nullptr || !alert.has_alert()) {
    return Status(Code::kInvalidArgument, "no alert to acknowledge");
  }
  app::Payload payload;
  auto* ack = payload.mutable_ack();
  *ack->mutable_ref() = CurrentRef(alert);
  ack->set_kind(static_cast<app::Ack::Kind>(static_cast<int>(spec.kind) + 1));
  ack->set_eta_minutes(spec.eta_minutes);
  ack->set_at_ms(port_.NowMs());
  std::vector<std::string> targets = {record->view().member().parent(), alert.originator()};
  if (targets[0] == targets[1]) targets.pop_back();
  for (const auto& key : targets) {
    if (key.empty() || key == port_.IdentityKey() || IsRevoked(*record, key)) continue;
    TOCSIN_RETURN_IF_ERROR(port_.SendTo(key, payload.SerializeAsString(), 0));
  }
  alert.set_my_ack(static_cast<std::uint32_t>(spec.kind) + 1);
  TakeAck(alert, port_.IdentityKey(), *ack);
  return Save(alert);
}

}  // namespace tocsin::alerts
