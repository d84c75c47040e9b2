// tocsin::AlertService: the public face of the alert engine (alerts.h).
#include "alerts/engine.h"
#include "core/client_core.h"
#include "tocsin/alerts.h"

namespace tocsin {

using alerts::AlertEngine;

AlertService::AlertService(std::unique_ptr<AlertEngine> engine) : engine_(std::move(engine)) {}

Result<std::unique_ptr<AlertService>> AlertService::Attach(Client& client, AlertOptions options) {
  if (client.core().closed()) return Status(Code::kUnavailable, "the client is closed");
  auto engine = AlertEngine::Start(client, std::move(options));
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<AlertService>(new AlertService(std::move(engine).value()));
}

AlertService::~AlertService() { Close(); }

void AlertService::Close() {
  if (engine_) engine_->Close();
}

Result<TreeId> AlertService::CreateTree(const TreeSpec& spec) {
  return engine_->logic().CreateTree(spec);
}
Result<MemberInfo> AlertService::AddMember(const TreeId& tree, const MemberSpec& spec) {
  return engine_->logic().AddMember(tree, spec);
}
Result<MemberInfo> AlertService::ReplaceMemberKey(const TreeId& tree, const MemberKey& old_key,
                                                  const std::string& new_card) {
  return engine_->logic().ReplaceMemberKey(tree, old_key, new_card);
}
Status AlertService::RemoveMember(const TreeId& tree, const MemberKey& member) {
  return engine_->logic().RemoveMember(tree, member);
}
Status AlertService::SetPolicy(const TreeId& tree, const EscalationPolicy& policy) {
  return engine_->logic().SetPolicy(tree, policy);
}
Result<std::size_t> AlertService::PushViews(const TreeId& tree, bool all) {
  return engine_->logic().PushViews(tree, all);
}
Result<std::string> AlertService::ExportView(const TreeId& tree, const MemberKey& member) {
  return engine_->logic().ExportView(tree, member);
}
Result<std::string> AlertService::CoSignView(const std::string& signed_update) {
  return engine_->logic().CoSignView(signed_update);
}

Status AlertService::ChangeAdmins(const TreeId& tree, const std::vector<MemberKey>& admins,
                                  std::uint32_t threshold) {
  return engine_->logic().ChangeAdmins(tree, admins, threshold);
}

Result<std::string> AlertService::ExportPending(const TreeId& tree) {
  return engine_->logic().ExportPending(tree);
}

Result<std::vector<CosignItem>> AlertService::InspectBundle(const std::string& bundle) {
  return engine_->logic().InspectBundle(bundle);
}

Result<std::string> AlertService::CoSignBundle(const std::string& bundle) {
  return engine_->logic().CoSignBundle(bundle);
}

Result<std::size_t> AlertService::ImportSignatures(const std::string& bundle) {
  return engine_->logic().ImportSignatures(bundle);
}
Status AlertService::AcceptUpdate(const std::string& signed_update) {
  return engine_->logic().AcceptUpdate(signed_update);
}
Result<std::vector<TreeInfo>> AlertService::Trees() const { return engine_->logic().Trees(); }
Result<TreeInfo> AlertService::Tree(const TreeId& tree) const {
  return engine_->logic().Tree(tree);
}

Result<AlertId> AlertService::Report(const TreeId& tree, const ReportSpec& spec) {
  return engine_->logic().Report(tree, spec);
}
Status AlertService::RequestVerification(const AlertId& alert,
                                         const std::vector<MemberKey>& verifiers) {
  return engine_->logic().RequestVerification(alert, verifiers);
}
Status AlertService::SendVerifyResult(const AlertId& alert, VerifyOutcome outcome,
                                      const std::string& note, std::uint32_t eta_minutes) {
  return engine_->logic().SendVerifyResult(alert, outcome, note, eta_minutes);
}
Result<AlertId> AlertService::SendAlert(const TreeId& tree, const AlertSpec& spec,
                                        const AlertId& alert) {
  return engine_->logic().SendAlert(tree, spec, alert);
}
Status AlertService::SendUpdate(const AlertId& alert, const std::vector<LocalizedText>& texts,
                                bool stand_by) {
  return engine_->logic().SendUpdate(alert, texts, stand_by);
}
Status AlertService::SendAllClear(const AlertId& alert, const std::vector<LocalizedText>& texts) {
  return engine_->logic().SendAllClear(alert, texts);
}
Status AlertService::SendCancel(const AlertId& alert, const std::string& reason,
                                const std::vector<LocalizedText>& texts) {
  return engine_->logic().SendCancel(alert, reason, texts);
}
Status AlertService::Ack(const AlertId& alert, const AckSpec& ack) {
  return engine_->logic().Ack(alert, ack);
}
Result<std::vector<AlertInfo>> AlertService::Alerts(const TreeId& tree) const {
  return engine_->logic().Alerts(tree);
}
Result<AlertInfo> AlertService::GetAlert(const AlertId& alert) const {
  return engine_->logic().GetAlert(alert);
}
Result<AlertStatusInfo> AlertService::GetStatus(const AlertId& alert) const {
  return engine_->logic().GetStatus(alert);
}

void AlertService::SetEventHandler(std::function<void(const AlertEvent&)> handler) {
  engine_->SetEventHandler(std::move(handler));
}
std::optional<AlertEvent> AlertService::WaitEvent(std::chrono::milliseconds timeout) {
  return engine_->WaitEvent(timeout);
}
Result<std::vector<AlertEvent>> AlertService::SecurityFlags(const TreeId& tree) const {
  return engine_->logic().SecurityFlags(tree);
}
Result<std::size_t> AlertService::Tick(std::uint64_t now_ms) {
  return engine_->logic().Tick(now_ms);
}
std::uint64_t AlertService::NowMs() const { return engine_->NowMs(); }

}  // namespace tocsin
