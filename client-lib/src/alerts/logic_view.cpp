// AlertLogic: revocations, and views received (checks, then what they change).
#include <algorithm>

#include "alerts/logic.h"
#include "alerts/roster.h"
#include "alerts/signed.h"

namespace tocsin::alerts {
namespace {

bool Mentions(const tree::View& view, const std::string& key) {
  auto in = [&key](const Entries& entries) { return FindEntry(entries, key) != nullptr; };
  if (view.member().identity_key() == key || view.backup().identity_key() == key) return true;
  if (in(view.parent_chain()) || in(view.children()) || in(view.dispatchers())) return true;
  for (const auto& branch : view.backs_up()) {
    if (branch.coordinator().identity_key() == key || in(branch.children())) return true;
  }
  return in(view.roster());
}

// The members of `record`'s roster (`key` excepted) whose view holds `key`'s entry.
std::vector<std::string> Mentioning(const tree::TreeRecord& record, const std::string& key) {
  std::vector<std::string> members;
  for (const auto& entry : record.roster()) {
    if (entry.identity_key() == key) continue;
    auto view = MakeView(record, entry.identity_key());
    if (view.ok() && Mentions(*view, key)) members.push_back(entry.identity_key());
  }
  return members;
}

void Unauthorise(google::protobuf::RepeatedPtrField<std::string>* keys, const std::string& key) {
  keys->erase(std::remove(keys->begin(), keys->end(), key), keys->end());
}

// Takes a revoked key out of every authorisation and group sender list of `view`.
void Withdraw(tree::View& view, const std::string& key) {
  auto* auth = view.mutable_authorised();
  for (auto* list : {auth->mutable_alert(), auth->mutable_update(), auth->mutable_all_clear(),
                     auth->mutable_cancel(), auth->mutable_verify_request()}) {
    Unauthorise(list, key);
  }
  for (auto& group : *view.mutable_groups()) Unauthorise(group.mutable_senders(), key);
}

// Whether `record`'s tree has the group here: its admin made it, or its views named it
// (the held view's groups count for records kept before group_ids).
bool HasTreeGroup(const tree::TreeRecord& record, const std::string& group_id) {
  auto named = [&group_id](const auto& groups) {
    return std::any_of(groups.begin(), groups.end(),
                       [&group_id](const tree::ZoneGroup& g) { return g.group_id() == group_id; });
  };
  return Contains(record.group_ids(), group_id) || named(record.groups()) ||
         named(record.view().groups());
}

}  // namespace

bool AlertLogic::IsRevoked(const tree::TreeRecord& record, const std::string& key) const {
  return Contains(record.revoked(), key);
}

Status AlertLogic::ForgetRevoked(const tree::TreeRecord& record, const std::string& key) {
  if (key == port_.IdentityKey()) return Status::Ok();
  // A tree's revocation speaks for that tree: a key that another tree held here still
  // lists stays a contact, until that tree's admins revoke it too; and a tree takes back
  // only what trees gave, never a contact of the user's own (anyone can make a tree).
  for (const auto& [id, other] : trees_) {
    if (id != record.tree_id() && Known(other, key) != nullptr) return Status::Ok();
  }
  auto personal = port_.PersonalContact(key);
  if (!personal.ok()) return personal.status();
  return *personal ? Status::Ok() : port_.Forget(key);
}

const tree::MemberEntry* AlertLogic::Known(const tree::TreeRecord& record,
                                           const std::string& key) const {
  if (IsRevoked(record, key)) return nullptr;
  const tree::View& view = record.view();
  for (const Entries* entries : {&record.roster(), &view.roster(), &view.parent_chain(),
                                 &view.children(), &view.dispatchers()}) {
    if (const auto* entry = FindEntry(*entries, key)) return entry;
  }
  if (view.member().identity_key() == key) return &view.member();
  if (view.backup().identity_key() == key) return &view.backup();
  for (const auto& branch : view.backs_up()) {
    if (branch.coordinator().identity_key() == key) return &branch.coordinator();
    if (const auto* entry = FindEntry(branch.children(), key)) return entry;
  }
  return nullptr;
}

RevocationAudience AlertLogic::AudienceOf(const tree::TreeRecord& record,
                                          const std::string& key) const {
  RevocationAudience audience;
  audience.told = Mentioning(record, key);
  auto revoked_view = MakeView(record, key);
  if (revoked_view.ok()) audience.holders = HeldKeys(*revoked_view);
  return audience;
}

Status AlertLogic::Revoke(tree::TreeRecord& record, const std::string& key,
                          const RevocationAudience& audience) {
  const std::string& me = port_.IdentityKey();
  record.add_revoked(key);
  auto* holders = record.add_revoked_holders();
  holders->set_key(key);
  for (const auto& holder : audience.holders) {
    if (holder != me) holders->add_holders(holder);
  }
  record.set_roster_version(record.roster_version() + 1);
  record.mutable_pushed()->erase(Hex(key));
  // The revoked device held our ALERT token (our entry is in every view): replace it now.
  // The others whose card it held replace theirs when their next view says so.
  if (auto* mine = FindEntry(*record.mutable_roster(), me)) {
    auto card = port_.MyCard(mine->name(), true);
    if (!card.ok()) return card.status();
    mine->set_card(*card);
    CardToOtherTrees(record.tree_id());
  }
  if (!Contains(record.rotated_for(), key)) record.add_rotated_for(key);
  tree::Revocation revocation;
  revocation.set_tree_id(record.tree_id());
  revocation.set_version(record.roster_version());
  revocation.set_identity_key(key);
  revocation.set_revoked_ms(port_.NowMs());
  tree::Signed signed_revocation;
  signed_revocation.set_body(revocation.SerializeAsString());
  TOCSIN_RETURN_IF_ERROR(SignObject(record, signed_revocation, kRevocationLabel));
  app::TreeUpdate update;
  update.set_tree_id(record.tree_id());
  update.set_signed_revocation(signed_revocation.SerializeAsString());
  std::vector<std::string> targets;
  for (const auto* group : {&audience.told, &audience.holders}) {
    for (const auto& target : *group) {
      if (target == me || target == key) continue;
      if (std::find(targets.begin(), targets.end(), target) == targets.end()) {
        targets.push_back(target);
      }
    }
  }
  // With m above one it goes out once the other admins signed it; this device forgets
  // the key at once either way.
  auto published = Publish(record, update, targets, "");
  if (!published.ok()) return published.status();
  TOCSIN_RETURN_IF_ERROR(ForgetRevoked(record, key));
  TOCSIN_RETURN_IF_ERROR(SignAndKeepOwnView(record));
  TOCSIN_RETURN_IF_ERROR(port_.SaveTree(record));
  emit_(AlertEvent{.kind = AlertEventKind::kRevoked,
                   .time_ms = port_.NowMs(),
                   .tree = Hex(record.tree_id()),
                   .from = Hex(key)});
  return Status::Ok();
}

Status AlertLogic::RemoveMember(const TreeId& tree, const MemberKey& member) {
  std::lock_guard lock(mutex_);
  auto found = AdminTree(tree);
  if (!found.ok()) return found.status();
  tree::TreeRecord& record = **found;
  auto key = Unhex(member, 32, "member key");
  if (!key.ok()) return key.status();
  if (FindEntry(record.roster(), *key) == nullptr) {
    return Status(Code::kNotFound, "not a member of the tree");
  }
  if (*key == port_.IdentityKey()) {
    return Status(Code::kInvalidArgument, "an admin cannot remove its own device");
  }
  const RevocationAudience audience = AudienceOf(record, *key);
  auto& roster = *record.mutable_roster();
  roster.erase(std::remove_if(roster.begin(), roster.end(),
                              [&](const auto& e) { return e.identity_key() == *key; }),
               roster.end());
  TOCSIN_RETURN_IF_ERROR(Revoke(record, *key, audience));
  auto pushed = PushViews(tree, false);
  return pushed.ok() ? Status::Ok() : pushed.status();
}

Status AlertLogic::AcceptUpdate(const std::string& signed_update) {
  std::lock_guard lock(mutex_);
  app::Payload payload;
  if (!payload.ParseFromString(signed_update) || !payload.has_tree_update()) {
    return Status(Code::kInvalidArgument, "not a tree update");
  }
  const auto& update = payload.tree_update();
  tree::Signed signed_object;
  if (!update.signed_view().empty()) {
    if (!signed_object.ParseFromString(update.signed_view())) {
      return Status(Code::kInvalidArgument, "a malformed view");
    }
    return TakeView(signed_object, "", true);
  }
  if (!signed_object.ParseFromString(update.signed_revocation())) {
    return Status(Code::kInvalidArgument, "a malformed revocation");
  }
  return TakeRevocation(signed_object, "");
}

Status AlertLogic::OnTreeUpdate(const std::string& sender, const app::TreeUpdate& update) {
  tree::Signed signed_object;
  const bool is_view = !update.signed_view().empty();
  if (!signed_object.ParseFromString(is_view ? update.signed_view() : update.signed_revocation())) {
    Flag(update.tree_id(), sender, "a malformed tree update", nullptr);
    return Status::Ok();
  }
  // Refusals are flagged inside; the sender learns nothing.
  if (is_view) (void)TakeView(signed_object, sender, false);
  if (!is_view) (void)TakeRevocation(signed_object, sender);
  return Status::Ok();
}

Status AlertLogic::TakeView(const tree::Signed& signed_view, const std::string& sender,
                            bool by_hand) {
  tree::View view;
  if (!view.ParseFromString(signed_view.body())) {
    return Status(Code::kInvalidArgument, "a malformed view");
  }
  auto refuse = [&](Status status, const std::string& what) {
    Flag(view.tree_id(), sender, what, nullptr);
    return status;
  };
  auto set = VerifySigned(signed_view, kViewLabel, view.tree_id(), MakeVerifier());
  if (!set.ok()) return refuse(set.status(), "refused view: " + set.status().message());
  if (view.member().identity_key() != port_.IdentityKey()) {
    return refuse(Status(Code::kInvalidArgument, "a view for another member"),
                  "refused view: for another member");
  }
  const auto* held = FindTree(view.tree_id());
  if (held != nullptr && held->admin()) return Status::Ok();  // the admin's roster rules
  if (held != nullptr && set->version < CurrentSet(*held).version) {
    return refuse(Status(Code::kExpired, "signed by an admin set that was replaced"),
                  "refused view: signed by an admin set that was replaced");
  }
  if (held != nullptr && view.version() <= held->view().version()) {
    if (view.version() == held->view().version()) return Status::Ok();
    return refuse(Status(Code::kExpired, "an older view than the one held"),
                  "refused view: older than the one held");
  }
  const bool from_admin =
      std::find(set->admins.begin(), set->admins.end(), sender) != set->admins.end();
  if (held == nullptr && !by_hand && !from_admin) {
    return refuse(Status(Code::kUnauthorized, "a new tree's view from a non-admin"),
                  "refused view: a new tree's view from a non-admin");
  }
  auto own_groups = OwnGroups(view);
  if (!own_groups.ok()) return own_groups.status();
  if (!*own_groups) {
    return refuse(Status(Code::kUnauthorized, "a view naming a group that is not its tree's"),
                  "refused view: names a group that is not its tree's");
  }
  return ApplyView(signed_view, std::move(view));
}

Result<bool> AlertLogic::OwnGroups(const tree::View& view) {
  const tree::TreeRecord* held = FindTree(view.tree_id());
  for (const auto& group : view.groups()) {
    if (held != nullptr && HasTreeGroup(*held, group.group_id())) continue;
    for (const auto& [id, other] : trees_) {
      if (id != view.tree_id() && HasTreeGroup(other, group.group_id())) return false;
    }
    // In no tree here: new to the device, unless the application made or joined it.
    auto on_device = port_.HasGroup(group.group_id());
    if (!on_device.ok()) return on_device.status();
    if (*on_device) return false;
  }
  return true;
}

void AlertLogic::IntroduceViewMembers(const tree::View& view) {
  std::vector<const tree::MemberEntry*> entries;
  for (const Entries* list :
       {&view.parent_chain(), &view.children(), &view.dispatchers(), &view.roster()}) {
    for (const auto& entry : *list) entries.push_back(&entry);
  }
  if (!view.backup().identity_key().empty()) entries.push_back(&view.backup());
  for (const auto& branch : view.backs_up()) {
    entries.push_back(&branch.coordinator());
    for (const auto& entry : branch.children()) entries.push_back(&entry);
  }
  for (const auto* entry : entries) {
    const std::string& key = entry->identity_key();
    if (key == port_.IdentityKey() || entry->card().empty() || Contains(view.revoked(), key)) {
      continue;
    }
    (void)port_.Introduce(*entry);  // a stale card: the member stays unreachable, not fatal
  }
}

Status AlertLogic::ApplyView(const tree::Signed& signed_view, tree::View view) {
  tree::TreeRecord& record = trees_[view.tree_id()];
  // A revocation of a later version than the view stays in force: a relay that withholds
  // the newer view cannot bring the key back with an older one.
  for (const auto& key : record.revoked()) {
    auto taken = record.revoked_at().find(Hex(key));
    if (taken != record.revoked_at().end() && taken->second > view.version() &&
        !Contains(view.revoked(), key)) {
      view.add_revoked(key);
    }
  }
  for (const auto& key : view.revoked()) Withdraw(view, key);
  std::vector<std::string> newly_revoked;
  for (const auto& key : view.revoked()) {
    if (!Contains(record.revoked(), key)) newly_revoked.push_back(key);
  }
  record.set_tree_id(view.tree_id());
  record.set_genesis(signed_view.genesis());
  // The chain that signed it (checked in TakeView, never older than the one held).
  *record.mutable_admin_chain() = signed_view.admin_sets();
  *record.mutable_signed_view() = signed_view;
  *record.mutable_view() = std::move(view);
  *record.mutable_revoked() = record.view().revoked();
  IntroduceViewMembers(record.view());
  for (const auto& key : newly_revoked) (void)ForgetRevoked(record, key);
  for (const auto& group : record.view().groups()) {
    // The group is the tree's from now on (OwnGroups), even when a later view leaves it out.
    if (!Contains(record.group_ids(), group.group_id())) record.add_group_ids(group.group_id());
    std::vector<std::string> senders(group.senders().begin(), group.senders().end());
    TOCSIN_RETURN_IF_ERROR(
        port_.JoinGroup(group.group_id(), record.view().tree_name() + "/" + group.zone(), senders));
  }
  TOCSIN_RETURN_IF_ERROR(port_.SaveTree(record));
  const bool rotated = RotateIfDue(record);
  if (!rotated && !record.view().member().alert_card()) {
    (void)SendMyCard(record, false);  // the next view carries it; a failure is retried then
  }
  emit_(AlertEvent{.kind = AlertEventKind::kViewAccepted,
                   .time_ms = port_.NowMs(),
                   .tree = Hex(record.tree_id()),
                   .text = record.view().tree_name()});
  return Status::Ok();
}

Status AlertLogic::TakeRevocation(const tree::Signed& signed_revocation,
                                  const std::string& sender) {
  tree::Revocation revocation;
  if (!revocation.ParseFromString(signed_revocation.body())) {
    return Status(Code::kInvalidArgument, "a malformed revocation");
  }
  auto* record = FindTree(revocation.tree_id());
  auto set =
      VerifySigned(signed_revocation, kRevocationLabel, revocation.tree_id(), MakeVerifier());
  if (record == nullptr || !set.ok()) {
    Flag(revocation.tree_id(), sender, "refused revocation", nullptr);
    return set.ok() ? Status(Code::kNotFound, "no such tree") : set.status();
  }
  const std::uint64_t held_set = CurrentSet(*record).version;
  if (set->version < held_set) {
    Flag(record->tree_id(), sender, "refused revocation: signed by an admin set that was replaced",
         nullptr);
    return Status(Code::kExpired, "signed by an admin set that was replaced");
  }
  if (set->version > held_set && !record->admin()) {
    *record->mutable_admin_chain() = signed_revocation.admin_sets();
  }
  const std::string& key = revocation.identity_key();
  if (IsRevoked(*record, key)) return Status::Ok();
  record->add_revoked(key);
  (*record->mutable_revoked_at())[Hex(key)] = revocation.version();
  Withdraw(*record->mutable_view(), key);
  TOCSIN_RETURN_IF_ERROR(ForgetRevoked(*record, key));
  // Whether the revoked device held our ALERT token is the admins' word, carried in our
  // next view (rotate_for): RotateIfDue acts on it whichever of the two arrives first.
  TOCSIN_RETURN_IF_ERROR(port_.SaveTree(*record));
  emit_(AlertEvent{.kind = AlertEventKind::kRevoked,
                   .time_ms = port_.NowMs(),
                   .tree = Hex(record->tree_id()),
                   .from = Hex(key),
                   .from_name = NameOf(record->tree_id(), key)});
  return Status::Ok();
}

bool AlertLogic::RotateIfDue(tree::TreeRecord& record) {
  if (record.admin()) return false;  // an admin rotates as it revokes
  std::vector<std::string> due;
  for (const auto& key : record.view().rotate_for()) {
    if (!Contains(record.rotated_for(), key)) due.push_back(key);
  }
  if (due.empty()) return false;
  // One new token covers every revocation named; a failure (no relay) is retried by Tick.
  if (!SendMyCard(record, true).ok()) return false;
  for (const auto& key : due) record.add_rotated_for(key);
  (void)port_.SaveTree(record);
  return true;
}

Status AlertLogic::SendMyCard(const tree::TreeRecord& record, bool rotate) {
  auto card = port_.MyCard(record.view().member().name(), rotate);
  if (!card.ok()) return card.status();
  if (rotate) CardToOtherTrees(record.tree_id());
  return SendCard(record, *card, rotate);
}

Status AlertLogic::SendCard(const tree::TreeRecord& record, const std::string& card,
                            bool to_neighbours) {
  app::Payload payload;
  payload.mutable_member_card()->set_tree_id(record.tree_id());
  payload.mutable_member_card()->set_card(card);
  TOCSIN_RETURN_IF_ERROR(SendToDispatchers(record, payload));
  if (!to_neighbours) return Status::Ok();
  // After a rotation the old token is refused at once: the members whose view holds our
  // entry and who we know (parent, children, backup, the coordinators we back up) get the
  // new card directly, the others with their next view.
  const tree::View& view = record.view();
  std::vector<std::string> neighbours = {view.member().parent(), view.backup().identity_key()};
  for (const auto& child : view.children()) neighbours.push_back(child.identity_key());
  for (const auto& branch : view.backs_up()) {
    neighbours.push_back(branch.coordinator().identity_key());
  }
  for (const auto& key : neighbours) {
    if (key.empty() || key == port_.IdentityKey() || Known(record, key) == nullptr) continue;
    if (FindEntry(view.dispatchers(), key) != nullptr) continue;  // sent above
    (void)port_.SendTo(key, payload.SerializeAsString(), 0);      // best effort: views follow
  }
  return Status::Ok();
}

void AlertLogic::CardToOtherTrees(const std::string& rotated_for) {
  // Our ALERT token is the device's, not a tree's: every tree here wrote to the old one.
  for (auto& [id, other] : trees_) {
    if (id == rotated_for) continue;
    if (other.admin()) {
      (void)RefreshOwnEntry(other);  // best effort: a view not sent goes with the next push
      continue;
    }
    auto card = port_.MyCard(other.view().member().name(), false);
    if (card.ok()) (void)SendCard(other, *card, true);
  }
}

Status AlertLogic::RefreshOwnEntry(tree::TreeRecord& record) {
  const std::string& me = port_.IdentityKey();
  tree::MemberEntry* mine = FindEntry(*record.mutable_roster(), me);
  if (mine == nullptr) return Status::Ok();
  auto card = port_.MyCard(mine->name(), false);
  if (!card.ok()) return card.status();
  if (mine->card() == *card) return Status::Ok();
  mine->set_card(*card);
  record.set_roster_version(record.roster_version() + 1);
  TOCSIN_RETURN_IF_ERROR(SignAndKeepOwnView(record));
  const std::vector<std::string> holders = Mentioning(record, me);
  if (holders.empty()) return port_.SaveTree(record);
  auto sent = SendViews(record, false, holders);
  return sent.ok() ? Status::Ok() : sent.status();
}

Status AlertLogic::OnMemberCard(const std::string& sender, const app::MemberCard& card) {
  tree::TreeRecord* record = FindTree(card.tree_id());
  if (record == nullptr) return Status::Ok();
  const tree::MemberEntry* known =
      record->admin() ? FindEntry(record->roster(), sender) : Known(*record, sender);
  auto key = port_.KeyOfCard(card.card());
  if (known == nullptr || !key.ok() || *key != sender) {
    Flag(record->tree_id(), sender, "a member card that is not the sender's", nullptr);
    return Status::Ok();
  }
  if (!record->admin()) {
    // A neighbour's new card (its ALERT token was rotated): reach it with that now.
    tree::MemberEntry refreshed = *known;
    refreshed.set_card(card.card());
    (void)port_.Introduce(refreshed);
    return Status::Ok();
  }
  tree::MemberEntry* entry = FindEntry(*record->mutable_roster(), sender);
  if (entry->alert_card() && entry->card() == card.card()) return Status::Ok();
  entry->set_card(card.card());
  entry->set_alert_card(true);
  record->set_roster_version(record->roster_version() + 1);
  TOCSIN_RETURN_IF_ERROR(SignAndKeepOwnView(*record));
  // Only the members whose view holds the entry need the new version.
  std::vector<std::string> affected = {sender};
  for (const auto& other : record->roster()) {
    auto view = MakeView(*record, other.identity_key());
    if (view.ok() && Mentions(*view, sender)) affected.push_back(other.identity_key());
  }
  auto sent = SendViews(*record, false, affected);
  return sent.ok() ? Status::Ok() : sent.status();
}

Result<std::vector<TreeInfo>> AlertLogic::Trees() {
  std::lock_guard lock(mutex_);
  std::vector<TreeInfo> out;
  for (const auto& [id, record] : trees_) out.push_back(TreeInfoOf(record));
  return out;
}

Result<TreeInfo> AlertLogic::Tree(const TreeId& tree) {
  std::lock_guard lock(mutex_);
  auto id = Unhex(tree, 32, "tree id");
  if (!id.ok()) return id.status();
  const auto* record = FindTree(*id);
  if (record == nullptr) return Status(Code::kNotFound, "no such tree");
  return TreeInfoOf(*record);
}

}  // namespace tocsin::alerts
