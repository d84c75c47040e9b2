// AlertLogic: trees, rosters, signed views and revocations.
#include <algorithm>

#include "alerts/logic.h"
#include "alerts/roster.h"
#include "alerts/signed.h"

namespace tocsin::alerts {

tree::TreeRecord* AlertLogic::FindTree(const std::string& tree_id) {
  auto it = trees_.find(tree_id);
  return it == trees_.end() ? nullptr : &it->second;
}

Result<tree::TreeRecord*> AlertLogic::AdminTree(const TreeId& tree) {
  auto id = Unhex(tree, 32, "tree id");
  if (!id.ok()) return id.status();
  auto* record = FindTree(*id);
  if (record == nullptr) return Status(Code::kNotFound, "no such tree");
  if (!record->admin()) return Status(Code::kUnauthorized, "not an admin of this tree");
  return record;
}

Result<tree::Signed> AlertLogic::SignedView(const tree::TreeRecord& record,
                                            const std::string& member) {
  auto view = MakeView(record, member);
  if (!view.ok()) return view.status();
  tree::Signed signed_view;
  signed_view.set_body(view->SerializeAsString());
  TOCSIN_RETURN_IF_ERROR(SignObject(record, signed_view, kViewLabel));
  return signed_view;
}

Status AlertLogic::SignAndKeepOwnView(tree::TreeRecord& record) {
  auto signed_view = SignedView(record, port_.IdentityKey());
  if (!signed_view.ok()) return signed_view.status();
  record.mutable_view()->ParseFromString(signed_view->body());
  *record.mutable_signed_view() = *signed_view;
  return Status::Ok();
}

Result<TreeId> AlertLogic::CreateTree(const TreeSpec& spec) {
  std::lock_guard lock(mutex_);
  tree::Genesis genesis;
  genesis.set_name(spec.name);
  genesis.add_admins(port_.IdentityKey());
  for (const auto& admin : spec.other_admins) {
    auto key = Unhex(admin, 32, "admin key");
    if (!key.ok()) return key.status();
    genesis.add_admins(*key);
  }
  if (spec.threshold == 0 || spec.threshold > static_cast<std::uint32_t>(genesis.admins_size())) {
    return Status(Code::kInvalidArgument, "the threshold must be between 1 and the admin count");
  }
  genesis.set_threshold(spec.threshold);
  genesis.set_created_ms(port_.NowMs());
  genesis.set_nonce(port_.RandomBytes(16));
  tree::TreeRecord record;
  record.set_genesis(genesis.SerializeAsString());
  record.set_tree_id(TreeIdOf(record.genesis()));
  record.set_admin(true);
  record.set_roster_version(1);
  record.mutable_view()->set_tree_name(spec.name);
  *record.mutable_policy() = ToProto(spec.policy);
  auto card = port_.MyCard(spec.my_name);
  if (!card.ok()) return card.status();
  auto* me = record.add_roster();
  me->set_identity_key(port_.IdentityKey());
  me->set_name(spec.my_name);
  me->set_role(ToProto(spec.my_role));
  me->set_card(*card);
  me->set_alert_card(true);
  for (const auto& zone : spec.my_zones) me->add_zones(zone);
  for (const auto& language : spec.my_languages) me->add_languages(language);
  TOCSIN_RETURN_IF_ERROR(SignAndKeepOwnView(record));
  TOCSIN_RETURN_IF_ERROR(port_.SaveTree(record));
  const std::string id = record.tree_id();
  trees_[id] = std::move(record);
  return Hex(id);
}

namespace {

Status FillEntry(tree::MemberEntry& entry, const MemberSpec& spec, const Entries& roster) {
  for (const auto* link : {&spec.parent, &spec.backup}) {
    if (link->empty()) continue;
    auto key = Unhex(*link, 32, "member key");
    if (!key.ok()) return key.status();
    if (FindEntry(roster, *key) == nullptr) {
      return Status(Code::kInvalidArgument, "parent or backup is not in the roster");
    }
    if (link == &spec.parent) entry.set_parent(*key);
    if (link == &spec.backup) entry.set_backup(*key);
  }
  entry.set_name(spec.name);
  entry.set_role(ToProto(spec.role));
  entry.set_card(spec.card);
  entry.clear_zones();
  entry.clear_languages();
  entry.clear_skills();
  for (const auto& zone : spec.zones) entry.add_zones(zone);
  for (const auto& language : spec.languages) entry.add_languages(language);
  for (const auto& skill : spec.skills) entry.add_skills(skill);
  return Status::Ok();
}

}  // namespace

Result<MemberInfo> AlertLogic::AddMember(const TreeId& tree, const MemberSpec& spec) {
  std::lock_guard lock(mutex_);
  auto record = AdminTree(tree);
  if (!record.ok()) return record.status();
  auto key = port_.KeyOfCard(spec.card);
  if (!key.ok()) return key.status();
  if (*key == port_.IdentityKey()) return Status(Code::kInvalidArgument, "that is our own card");
  if (spec.parent.empty() && spec.role != MemberRole::kDispatcher) {
    return Status(Code::kInvalidArgument, "a member other than a dispatcher needs a parent");
  }
  if (IsRevoked(**record, *key)) return Status(Code::kInvalidArgument, "that key was revoked");
  tree::MemberEntry entry;
  entry.set_identity_key(*key);
  TOCSIN_RETURN_IF_ERROR(FillEntry(entry, spec, (*record)->roster()));
  TOCSIN_RETURN_IF_ERROR(port_.Introduce(entry));
  if (auto* existing = FindEntry(*(*record)->mutable_roster(), *key)) {
    *existing = entry;
  } else {
    *(*record)->add_roster() = entry;
  }
  (*record)->set_roster_version((*record)->roster_version() + 1);
  TOCSIN_RETURN_IF_ERROR(SignAndKeepOwnView(**record));
  TOCSIN_RETURN_IF_ERROR(port_.SaveTree(**record));
  return MemberOf(entry);
}

Result<MemberInfo> AlertLogic::ReplaceMemberKey(const TreeId& tree, const MemberKey& old_key,
                                                const std::string& new_card) {
  std::lock_guard lock(mutex_);
  auto found = AdminTree(tree);
  if (!found.ok()) return found.status();
  tree::TreeRecord& record = **found;
  auto old_raw = Unhex(old_key, 32, "member key");
  if (!old_raw.ok()) return old_raw.status();
  auto new_raw = port_.KeyOfCard(new_card);
  if (!new_raw.ok()) return new_raw.status();
  if (FindEntry(record.roster(), *old_raw) == nullptr) {
    return Status(Code::kNotFound, "not a member of the tree");
  }
  if (*old_raw == port_.IdentityKey()) {
    return Status(Code::kInvalidArgument, "an admin cannot replace its own device's key");
  }
  if (FindEntry(record.roster(), *new_raw) != nullptr || IsRevoked(record, *new_raw)) {
    return Status(Code::kInvalidArgument, "the new card's key is already in the tree or revoked");
  }
  const RevocationAudience audience = AudienceOf(record, *old_raw);
  auto* entry = FindEntry(*record.mutable_roster(), *old_raw);
  entry->set_identity_key(*new_raw);
  entry->set_card(new_card);
  entry->set_alert_card(false);  // the new device sends its long-term card after its view
  const tree::MemberEntry replaced = *entry;
  for (auto& other : *record.mutable_roster()) {
    if (other.parent() == *old_raw) other.set_parent(*new_raw);
    if (other.backup() == *old_raw) other.set_backup(*new_raw);
  }
  TOCSIN_RETURN_IF_ERROR(port_.Introduce(replaced));
  // The old phone may be in someone else's hands: it is revoked like a removed member.
  TOCSIN_RETURN_IF_ERROR(Revoke(record, *old_raw, audience));
  auto pushed = PushViews(tree, false);
  if (!pushed.ok()) return pushed.status();
  return MemberOf(replaced);
}

Status AlertLogic::SetPolicy(const TreeId& tree, const EscalationPolicy& policy) {
  std::lock_guard lock(mutex_);
  auto record = AdminTree(tree);
  if (!record.ok()) return record.status();
  *(*record)->mutable_policy() = ToProto(policy);
  (*record)->set_roster_version((*record)->roster_version() + 1);
  TOCSIN_RETURN_IF_ERROR(SignAndKeepOwnView(**record));
  return port_.SaveTree(**record);
}

Status AlertLogic::SyncGroups(tree::TreeRecord& record) {
  std::vector<std::string> zones;
  for (const auto& entry : record.roster()) {
    for (const auto& zone : entry.zones()) {
      if (std::find(zones.begin(), zones.end(), zone) == zones.end()) zones.push_back(zone);
    }
  }
  for (const auto& zone : zones) {
    for (bool subscribers : {false, true}) {
      const auto members = ZoneMembers(record, zone, subscribers);
      tree::ZoneGroup* group = nullptr;
      for (auto& existing : *record.mutable_groups()) {
        if (existing.zone() == zone && existing.subscribers() == subscribers) group = &existing;
      }
      if (group == nullptr && members.empty()) continue;
      if (group == nullptr) {
        auto id = port_.CreateGroup(record.view().tree_name() + "/" + zone, members);
        if (!id.ok()) return id.status();
        group = record.add_groups();
        group->set_zone(zone);
        group->set_subscribers(subscribers);
        group->set_group_id(*id);
      } else {
        TOCSIN_RETURN_IF_ERROR(port_.SetGroupMembers(group->group_id(), members));
      }
      group->clear_senders();
      for (const auto& key : DispatcherKeys(record.roster())) group->add_senders(key);
    }
  }
  return Status::Ok();
}

Result<std::size_t> AlertLogic::SendViews(tree::TreeRecord& record, bool all,
                                          const std::vector<std::string>& only) {
  std::size_t sent = 0;
  // Copied: Publish may add to the record while we go through its roster.
  const std::vector<tree::MemberEntry> roster(record.roster().begin(), record.roster().end());
  for (const auto& entry : roster) {
    const std::string& key = entry.identity_key();
    if (key == port_.IdentityKey()) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), key) == only.end()) continue;
    const std::string hex = Hex(key);
    auto pushed = record.pushed().find(hex);
    if (!all && pushed != record.pushed().end() && pushed->second >= record.roster_version()) {
      continue;
    }
    auto signed_view = SignedView(record, key);
    if (!signed_view.ok()) return signed_view.status();
    app::TreeUpdate update;
    update.set_tree_id(record.tree_id());
    update.set_signed_view(signed_view->SerializeAsString());
    // With m above one the view waits for the other admins' signatures (ExportPending).
    auto published = Publish(record, update, {key}, key);
    if (!published.ok()) {
      (void)port_.SaveTree(record);  // the views sent so far are not sent again
      const Status& failed = published.status();
      return Status(failed.code(), "view of " + entry.name() + ": " + failed.message());
    }
    (*record.mutable_pushed())[hex] = record.roster_version();
    if (*published) ++sent;
  }
  TOCSIN_RETURN_IF_ERROR(port_.SaveTree(record));
  return sent;
}

Result<std::size_t> AlertLogic::PushViews(const TreeId& tree, bool all) {
  std::lock_guard lock(mutex_);
  auto found = AdminTree(tree);
  if (!found.ok()) return found.status();
  tree::TreeRecord& record = **found;
  // Views first: they open the sessions the zone groups' sender keys then travel on.
  TOCSIN_RETURN_IF_ERROR(SignAndKeepOwnView(record));
  auto sent = SendViews(record, all, {});
  if (!sent.ok()) return sent.status();
  const std::string before = record.SerializeAsString();
  TOCSIN_RETURN_IF_ERROR(SyncGroups(record));
  if (record.SerializeAsString() == before) return sent;
  record.set_roster_version(record.roster_version() + 1);  // the groups changed
  TOCSIN_RETURN_IF_ERROR(SignAndKeepOwnView(record));
  auto again = SendViews(record, false, {});
  if (!again.ok()) return again.status();
  return *sent + *again;
}

Result<std::string> AlertLogic::ExportView(const TreeId& tree, const MemberKey& member) {
  std::lock_guard lock(mutex_);
  auto record = AdminTree(tree);
  if (!record.ok()) return record.status();
  auto key = Unhex(member, 32, "member key");
  if (!key.ok()) return key.status();
  auto signed_view = SignedView(**record, *key);
  if (!signed_view.ok()) return signed_view.status();
  app::Payload payload;
  payload.mutable_tree_update()->set_tree_id((*record)->tree_id());
  payload.mutable_tree_update()->set_signed_view(signed_view->SerializeAsString());
  return payload.SerializeAsString();
}

}  // namespace tocsin::alerts
