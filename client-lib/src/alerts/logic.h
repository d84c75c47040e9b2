// AlertLogic: the alert-tree state machine of one device (alerts.h is the contract it
// implements): trees and signed views, authorisation, the alert lifecycle, roll-ups and
// escalation. It sees the world through an AlertPort, and time only through the `now`
// it is given, so tests drive it with an injected clock and an in-memory network.
//
// Thread-safety: every public method takes the logic's lock; the port is called with it
// held. Events go to `emit` with the lock held: it must only queue them.
#ifndef TOCSIN_ALERTS_LOGIC_H_
#define TOCSIN_ALERTS_LOGIC_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "alerts/port.h"
#include "alerts/roster.h"
#include "alerts/signed.h"
#include "tocsin/alert.pb.h"
#include "tocsin/alerts.h"
#include "tocsin/tree.pb.h"

namespace tocsin::alerts {

using Emit = std::function<void(AlertEvent)>;

using PendingList = google::protobuf::RepeatedPtrField<tree::PendingUpdate>;

// The signed object a TreeUpdate carries, and the label its signatures cover.
enum class UpdateKind { kView, kRevocation, kAdminSet };
struct Carried {
  tree::Signed object;
  std::string_view label;
  UpdateKind kind = UpdateKind::kView;
};
Result<Carried> CarriedBy(const app::TreeUpdate& update);
void PutBack(app::TreeUpdate& update, const Carried& carried);

// Who hears of a revocation, from the roster as it was before: `told`, the members whose
// view mentions the key (they drop it); `holders`, those whose card the key's own view
// held (they replace their ALERT token).
struct RevocationAudience {
  std::vector<std::string> told;
  std::vector<std::string> holders;
};

class AlertLogic {
 public:
  AlertLogic(AlertPort& port, Emit emit) : port_(port), emit_(std::move(emit)) {}

  Status Load();

  // Trees (logic_tree.cpp).
  Result<TreeId> CreateTree(const TreeSpec& spec);
  Result<MemberInfo> AddMember(const TreeId& tree, const MemberSpec& spec);
  Result<MemberInfo> ReplaceMemberKey(const TreeId& tree, const MemberKey& old_key,
                                      const std::string& new_card);
  Status RemoveMember(const TreeId& tree, const MemberKey& member);
  Status SetPolicy(const TreeId& tree, const EscalationPolicy& policy);
  Result<std::size_t> PushViews(const TreeId& tree, bool all);
  Result<std::string> ExportView(const TreeId& tree, const MemberKey& member);
  Result<std::string> CoSignView(const std::string& signed_update);
  Status AcceptUpdate(const std::string& signed_update);

  // Co-signing (logic_cosign.cpp).
  Status ChangeAdmins(const TreeId& tree, const std::vector<MemberKey>& admins,
                      std::uint32_t threshold);
  Result<std::string> ExportPending(const TreeId& tree);
  Result<std::vector<CosignItem>> InspectBundle(const std::string& bundle);
  Result<std::string> CoSignBundle(const std::string& bundle);
  Result<std::size_t> ImportSignatures(const std::string& bundle);
  Result<std::vector<TreeInfo>> Trees();
  Result<TreeInfo> Tree(const TreeId& tree);

  // Alerts (logic_send.cpp).
  Result<AlertId> Report(const TreeId& tree, const ReportSpec& spec);
  Status RequestVerification(const AlertId& alert, const std::vector<MemberKey>& verifiers);
  Status SendVerifyResult(const AlertId& alert, VerifyOutcome outcome, const std::string& note,
                          std::uint32_t eta_minutes);
  Result<AlertId> SendAlert(const TreeId& tree, const AlertSpec& spec, const AlertId& alert);
  Status SendUpdate(const AlertId& alert, const std::vector<LocalizedText>& texts, bool stand_by);
  Status SendAllClear(const AlertId& alert, const std::vector<LocalizedText>& texts);
  Status SendCancel(const AlertId& alert, const std::string& reason,
                    const std::vector<LocalizedText>& texts);
  Status Ack(const AlertId& alert, const AckSpec& ack);
  Result<std::vector<AlertInfo>> Alerts(const TreeId& tree);
  Result<AlertInfo> GetAlert(const AlertId& alert);
  Result<AlertStatusInfo> GetStatus(const AlertId& alert);
  Result<std::vector<AlertEvent>> SecurityFlags(const TreeId& tree);

  // A payload from `sender` (32-byte identity key), group messages with `group_id`
  // (logic_receive.cpp). The absolute times in it are the sender's clock; adding
  // `clock_correction_ms` brings them into ours (core/clock_offset.h), which every record
  // and timer here reads. Returns OK for what it dropped too (after flagging it).
  Status OnPayload(const std::string& sender, const std::string& group_id,
                   const app::Payload& payload, std::int64_t clock_correction_ms);

  // Timers (logic_timer.cpp).
  Result<std::size_t> Tick(std::uint64_t now_ms);

 private:
  // ---- signing sets and co-signing
  Verifier MakeVerifier();
  // The admins who sign for the tree now (the genesis's, or the last change's).
  SigningSet CurrentSet(const tree::TreeRecord& record) const;
  // Sets the genesis and the admin chain and adds our signature.
  Status SignObject(const tree::TreeRecord& record, tree::Signed& object, std::string_view label);
  // Sends `update` to `targets` when it has m signatures (true), else keeps it pending
  // (false; a view for `member` replaces one already pending).
  Result<bool> Publish(tree::TreeRecord& record, const app::TreeUpdate& update,
                       const std::vector<std::string>& targets, const std::string& member);
  // Takes an admin-set change with m signatures: our index, pending items re-signed,
  // every view pushed with the new chain.
  Status ApplyAdminSet(tree::TreeRecord& record, const tree::Signed& object);
  // Sends (or applies) every pending item with m signatures; returns how many.
  Result<std::size_t> FlushPending(tree::TreeRecord& record);
  Status CoSignUpdate(app::TreeUpdate& update, const std::string& tree_id);
  Status MergeSignatures(const tree::TreeRecord& record, tree::PendingUpdate& pending,
                         const Carried& incoming);

  // ---- trees
  tree::TreeRecord* FindTree(const std::string& tree_id);
  Result<tree::TreeRecord*> AdminTree(const TreeId& tree);
  Status SignAndKeepOwnView(tree::TreeRecord& record);
  Result<tree::Signed> SignedView(const tree::TreeRecord& record, const std::string& member);
  Status SyncGroups(tree::TreeRecord& record);
  // Signs and sends the views of the members not up to date (all of them with `all`),
  // restricted to `only` when it is not empty.
  Result<std::size_t> SendViews(tree::TreeRecord& record, bool all,
                                const std::vector<std::string>& only);
  RevocationAudience AudienceOf(const tree::TreeRecord& record, const std::string& key) const;
  // Admin: revokes `key` (already out of the roster, or replaced in it): records who must
  // rotate, replaces our own ALERT token, signs and sends the revocation, forgets the key.
  Status Revoke(tree::TreeRecord& record, const std::string& key,
                const RevocationAudience& audience);
  // Sends our long-term card for the tree to its dispatchers (`rotate`: new tokens, and
  // the card goes to the neighbours who write to us too, and to every other tree here).
  Status SendMyCard(const tree::TreeRecord& record, bool rotate);
  // Sends `card` to the tree's dispatchers and, with `to_neighbours`, to the members we know
  // who write to us (parent, children, backup, the coordinators we back up).
  Status SendCard(const tree::TreeRecord& record, const std::string& card, bool to_neighbours);
  // After our ALERT token was replaced for the tree `rotated_for`: the new card to every
  // other tree held here (its dispatchers and our neighbours; as its admin, our roster
  // entry and the views holding it). Best effort.
  void CardToOtherTrees(const std::string& rotated_for);
  // Admin: our roster entry takes our current card; the views holding it are sent.
  Status RefreshOwnEntry(tree::TreeRecord& record);
  // Replaces our ALERT token when our view names a revoked key that held it and we have
  // not done so yet. True when it did.
  bool RotateIfDue(tree::TreeRecord& record);
  Status OnMemberCard(const std::string& sender, const app::MemberCard& card);
  Status TakeView(const tree::Signed& signed_view, const std::string& sender, bool by_hand);
  Status TakeRevocation(const tree::Signed& signed_revocation, const std::string& sender);
  // Whether every group `view` names is its tree's: one its views named here before, or
  // one that no other tree has here and the device does not hold for anything else.
  Result<bool> OwnGroups(const tree::View& view);
  Status ApplyView(const tree::Signed& signed_view, tree::View view);
  void IntroduceViewMembers(const tree::View& view);
  const tree::MemberEntry* Known(const tree::TreeRecord& record, const std::string& key) const;
  bool IsRevoked(const tree::TreeRecord& record, const std::string& key) const;
  // Forgets a key revoked in `record`'s tree (its tokens revoked, out of our groups),
  // unless another tree held here still lists it or it is a contact of the user's own.
  Status ForgetRevoked(const tree::TreeRecord& record, const std::string& key);

  // ---- alerts
  tree::AlertRecord* FindAlert(const std::string& alert_id);
  // The alert `ref` names, when `ref` also names its tree (nullptr otherwise).
  tree::AlertRecord* FindAlert(const app::AlertRef& ref);
  Result<tree::AlertRecord*> KnownAlert(const AlertId& alert);
  // The alert `alert_id` of `tree_id`, made when new; nullptr when the id is another
  // tree's alert (an alert belongs to one tree).
  tree::AlertRecord* NewAlert(const std::string& alert_id, const std::string& tree_id);
  app::AlertRef NextRef(tree::AlertRecord& record);
  Status Save(tree::AlertRecord& record);
  Status SendToDispatchers(const tree::TreeRecord& record, const app::Payload& payload);
  Status SendToZones(const tree::TreeRecord& record, const tree::AlertRecord& alert,
                     const app::Payload& payload, bool subscribers_too);
  bool Authorised(const tree::TreeRecord& record, LifecycleType type, const std::string& key) const;
  Status EndAlert(const AlertId& alert, LifecycleType type, app::Payload payload, AlertState state);
  // Cancels a report that was never sent as an alert: a Cancel to its reporter and the
  // verifiers asked, and our copy resolved.
  Status CancelReport(const tree::TreeRecord& record, tree::AlertRecord& alert,
                      const std::string& reason);

  // ---- receiving
  Status OnReport(const std::string& sender, const app::Report& report);
  Status OnVerifyRequest(const std::string& sender, const app::VerifyRequest& request);
  Status OnVerifyResult(const std::string& sender, const app::VerifyResult& result);
  Status OnLifecycle(const std::string& sender, const app::Payload& payload);
  Status OnAck(const std::string& sender, const app::Ack& ack);
  Status OnBranchStatus(const std::string& sender, const app::BranchStatus& status);
  Status OnHandover(const std::string& sender, const app::Handover& handover);
  Status OnNotice(const std::string& sender, const app::SecurityNotice& notice);
  Status OnTreeUpdate(const std::string& sender, const app::TreeUpdate& update);
  // Drops a message: a kSecurityFlag event, recorded, told to the dispatchers.
  void Flag(const std::string& tree_id, const std::string& offender, const std::string& what,
            const app::AlertRef* ref);
  void TakeAck(tree::AlertRecord& alert, const std::string& member, const app::Ack& ack);
  bool Sequenced(tree::AlertRecord& alert, const app::AlertRef& ref);

  // ---- roll-up and timers
  app::BranchStatus RollUp(const tree::TreeRecord& record, const tree::AlertRecord& alert,
                           const std::string& coordinator,
                           const std::vector<tree::MemberEntry>& children) const;
  std::vector<tree::MemberEntry> BranchChildren(const tree::TreeRecord& record,
                                                const std::string& coordinator) const;
  std::vector<std::string> Coordinators(const tree::TreeRecord& record,
                                        const tree::AlertRecord& alert) const;
  Status SendBranchStatus(tree::AlertRecord& alert, std::uint64_t now, bool force);
  bool Step(tree::AlertRecord& alert, const std::string& key);
  std::size_t EscalateAlert(tree::TreeRecord& record, tree::AlertRecord& alert, std::uint64_t now);
  std::size_t Handover(tree::TreeRecord& record, tree::AlertRecord& alert,
                       const std::string& coordinator, std::uint32_t step);
  Status SendHandover(const tree::TreeRecord& record, tree::AlertRecord& alert,
                      const std::string& coordinator, std::uint32_t step,
                      const std::string& target);
  // Passes a new ack on to whoever holds its branch after a handover.
  void ForwardToHolder(const tree::TreeRecord& record, tree::AlertRecord& alert,
                       const std::string& coordinator);
  std::string Holder(const tree::TreeRecord& record, const tree::AlertRecord& alert,
                     const std::string& coordinator, std::uint32_t* step) const;
  const Entries& RosterOf(const tree::TreeRecord& record) const;
  std::size_t Remind(tree::TreeRecord& record, tree::AlertRecord& alert, std::uint64_t now);
  std::size_t OwnReach(tree::TreeRecord& record, tree::AlertRecord& alert, std::uint64_t now);
  std::size_t CheckTurnout(tree::TreeRecord& record, tree::AlertRecord& alert);
  std::size_t VerifierTimeouts(tree::TreeRecord& record, tree::AlertRecord& alert,
                               std::uint64_t now);
  std::size_t Expire(const tree::TreeRecord& record, tree::AlertRecord& alert, std::uint64_t now);
  // Drops the security flags older than the tree's retention.
  bool PurgeFlags(tree::TreeRecord& record, std::uint64_t now);

  // ---- conversions to the API
  AlertInfo InfoOf(const tree::AlertRecord& alert) const;
  TreeInfo TreeInfoOf(const tree::TreeRecord& record) const;
  MemberInfo MemberOf(const tree::MemberEntry& entry) const;
  std::string NameOf(const std::string& tree_id, const std::string& key) const;
  AlertEvent MakeEvent(AlertEventKind kind, const tree::AlertRecord& alert,
                       const std::string& from);
  BranchInfo BranchOf(const std::string& tree_id, const app::BranchStatus& status) const;

  AlertPort& port_;
  Emit emit_;
  std::recursive_mutex mutex_;
  std::map<std::string, tree::TreeRecord> trees_;                  // by tree id (32 bytes)
  std::map<std::string, tree::AlertRecord> alerts_;                // by alert id (16 bytes)
  std::map<std::string, std::deque<std::uint64_t>> report_times_;  // rate limit, by source
};

// Moves every absolute time a payload carries (an alert's sent and expiry times, an
// update's new expiry, an ack's time, a report's observation time, a notice's time,
// those inside a handover) by `correction_ms`, into the receiver's clock.
void ToOurClock(app::Payload& payload, std::int64_t correction_ms);

// Policy <-> proto.
tree::Policy ToProto(const EscalationPolicy& policy);
EscalationPolicy FromProto(const tree::Policy& policy);
app::Role ToProto(MemberRole role);
MemberRole FromProto(app::Role role);
std::string Hex(std::string_view bytes);
// Raw bytes from hex of `size` bytes; kInvalidArgument otherwise.
Result<std::string> Unhex(std::string_view hex, std::size_t size, const char* what);

}  // namespace tocsin::alerts

#endif  // TOCSIN_ALERTS_LOGIC_H_
