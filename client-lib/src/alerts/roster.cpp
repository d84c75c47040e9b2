#include "alerts/roster.h"

#include <algorithm>

namespace tocsin::alerts {
namespace {

void AddAll(google::protobuf::RepeatedPtrField<std::string>* out,
            const std::vector<std::string>& keys) {
  for (const auto& key : keys) *out->Add() = key;
}

std::vector<tree::MemberEntry> ChildrenOf(const Entries& roster, const std::string& key) {
  std::vector<tree::MemberEntry> children;
  for (const auto& entry : roster) {
    if (entry.parent() == key && entry.identity_key() != key) children.push_back(entry);
  }
  return children;
}

void AddParentChain(const Entries& roster, const tree::MemberEntry& member, tree::View& view) {
  std::string parent = member.parent();
  for (int depth = 0; !parent.empty() && depth < roster.size(); ++depth) {
    const auto* entry = FindEntry(roster, parent);
    if (entry == nullptr) break;
    *view.add_parent_chain() = *entry;
    parent = entry->parent();
  }
}

void AddAuthorisation(const Entries& roster, tree::View& view) {
  const auto dispatchers = DispatcherKeys(roster);
  auto* auth = view.mutable_authorised();
  AddAll(auth->mutable_alert(), dispatchers);
  AddAll(auth->mutable_update(), dispatchers);
  AddAll(auth->mutable_all_clear(), dispatchers);
  AddAll(auth->mutable_cancel(), dispatchers);
  AddAll(auth->mutable_verify_request(), dispatchers);
}

void AddGroups(const tree::TreeRecord& record, const tree::MemberEntry& member, tree::View& view) {
  const bool dispatcher = member.role() == app::DISPATCHER;
  const bool subscriber = member.role() == app::SUBSCRIBER;
  for (const auto& group : record.groups()) {
    const bool in_zone = Contains(member.zones(), group.zone());
    if (dispatcher || (in_zone && group.subscribers() == subscriber)) *view.add_groups() = group;
  }
}

}  // namespace

const tree::MemberEntry* FindEntry(const Entries& entries, const std::string& key) {
  for (const auto& entry : entries) {
    if (entry.identity_key() == key) return &entry;
  }
  return nullptr;
}

tree::MemberEntry* FindEntry(Entries& entries, const std::string& key) {
  for (auto& entry : entries) {
    if (entry.identity_key() == key) return &entry;
  }
  return nullptr;
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list,
              const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<std::string> ZoneMembers(const tree::TreeRecord& record, const std::string& zone,
                                     bool subscribers) {
  std::vector<std::string> keys;
  for (const auto& entry : record.roster()) {
    if (entry.role() == app::DISPATCHER || !Contains(entry.zones(), zone)) continue;
    if ((entry.role() == app::SUBSCRIBER) == subscribers) keys.push_back(entry.identity_key());
  }
  return keys;
}

std::vector<std::string> DispatcherKeys(const Entries& roster) {
  std::vector<std::string> keys;
  for (const auto& entry : roster) {
    if (entry.role() == app::DISPATCHER) keys.push_back(entry.identity_key());
  }
  return keys;
}

std::vector<std::string> HeldKeys(const tree::View& view) {
  std::vector<std::string> keys;
  auto add = [&keys, &view](const std::string& key) {
    if (key.empty() || key == view.member().identity_key()) return;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  };
  for (const Entries* entries :
       {&view.parent_chain(), &view.children(), &view.dispatchers(), &view.roster()}) {
    for (const auto& entry : *entries) add(entry.identity_key());
  }
  add(view.backup().identity_key());
  for (const auto& branch : view.backs_up()) {
    add(branch.coordinator().identity_key());
    for (const auto& entry : branch.children()) add(entry.identity_key());
  }
  return keys;
}

Result<tree::View> MakeView(const tree::TreeRecord& record, const std::string& member) {
  const auto* entry = FindEntry(record.roster(), member);
  if (entry == nullptr) return Status(Code::kNotFound, "not a member of the tree");
  tree::View view;
  view.set_tree_id(record.tree_id());
  view.set_version(record.roster_version());
  view.set_tree_name(record.view().tree_name());
  *view.mutable_member() = *entry;
  AddParentChain(record.roster(), *entry, view);
  for (auto& child : ChildrenOf(record.roster(), member)) *view.add_children() = std::move(child);
  if (const auto* backup = FindEntry(record.roster(), entry->backup())) {
    *view.mutable_backup() = *backup;
  }
  for (const auto& other : record.roster()) {
    if (other.backup() != member || other.identity_key() == member) continue;
    auto* branch = view.add_backs_up();
    *branch->mutable_coordinator() = other;
    for (auto& child : ChildrenOf(record.roster(), other.identity_key())) {
      *branch->add_children() = std::move(child);
    }
  }
  AddAuthorisation(record.roster(), view);
  AddGroups(record, *entry, view);
  for (const auto& dispatcher : record.roster()) {
    if (dispatcher.role() == app::DISPATCHER) *view.add_dispatchers() = dispatcher;
  }
  *view.mutable_policy() = record.policy();
  if (entry->role() == app::DISPATCHER) *view.mutable_roster() = record.roster();
  *view.mutable_revoked() = record.revoked();
  for (const auto& revoked : record.revoked_holders()) {
    if (Contains(revoked.holders(), member)) view.add_rotate_for(revoked.key());
  }
  return view;
}

}  // namespace tocsin::alerts
