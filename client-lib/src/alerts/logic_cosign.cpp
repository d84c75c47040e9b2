// AlertLogic: trees whose threshold m is above one. The admin device signs what it makes
// (views, revocations, admin-set changes) and keeps what lacks signatures as pending;
// the other admins add theirs to an exported bundle; the admin device takes them back
// and sends (or applies) whatever then has m. Also the admin-set changes themselves.
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "alerts/logic.h"
#include "alerts/roster.h"
#include "alerts/signed.h"

namespace tocsin::alerts {
namespace {

constexpr std::string_view kBundlePrefix = "TOCSINCOSIGN1:";

std::string Base64(const std::string& bytes) {
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::string> Unbase64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return Status(Code::kInvalidArgument, "not a co-signing bundle");
  }
  out.resize(length);
  return out;
}

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

Result<tree::CosignBundle> ParseBundle(std::string_view text) {
  text = Trimmed(text);
  if (text.rfind(kBundlePrefix, 0) != 0) {
    return Status(Code::kInvalidArgument, "not a co-signing bundle (TOCSINCOSIGN1:...)");
  }
  auto bytes = Unbase64(text.substr(kBundlePrefix.size()));
  if (!bytes.ok()) return bytes.status();
  tree::CosignBundle bundle;
  if (!bundle.ParseFromString(*bytes) || bundle.tree_id().size() != 32) {
    return Status(Code::kInvalidArgument, "a malformed co-signing bundle");
  }
  return bundle;
}

std::string BundleText(const tree::CosignBundle& bundle) {
  return std::string(kBundlePrefix) + Base64(bundle.SerializeAsString());
}

}  // namespace

Result<Carried> CarriedBy(const app::TreeUpdate& update) {
  Carried carried;
  const std::string* bytes = &update.signed_view();
  carried.kind = UpdateKind::kView;
  carried.label = kViewLabel;
  if (!update.signed_revocation().empty()) {
    bytes = &update.signed_revocation();
    carried.kind = UpdateKind::kRevocation;
    carried.label = kRevocationLabel;
  } else if (!update.signed_admin_set().empty()) {
    bytes = &update.signed_admin_set();
    carried.kind = UpdateKind::kAdminSet;
    carried.label = kAdminsLabel;
  }
  if (bytes->empty() || !carried.object.ParseFromString(*bytes)) {
    return Status(Code::kInvalidArgument, "a malformed tree update");
  }
  return carried;
}

void PutBack(app::TreeUpdate& update, const Carried& carried) {
  const std::string bytes = carried.object.SerializeAsString();
  switch (carried.kind) {
    case UpdateKind::kView:
      update.set_signed_view(bytes);
      break;
    case UpdateKind::kRevocation:
      update.set_signed_revocation(bytes);
      break;
    case UpdateKind::kAdminSet:
      update.set_signed_admin_set(bytes);
      break;
  }
}

Verifier AlertLogic::MakeVerifier() {
  return [this](std::string_view key, std::string_view message, std::string_view signature) {
    return port_.Verify(key, message, signature);
  };
}

SigningSet AlertLogic::CurrentSet(const tree::TreeRecord& record) const {
  SigningSet set;
  set.genesis.ParseFromString(record.genesis());
  set.admins.assign(set.genesis.admins().begin(), set.genesis.admins().end());
  set.threshold = std::max<std::uint32_t>(1, set.genesis.threshold());
  for (const auto& link : record.admin_chain()) {
    tree::AdminSet change;
    if (!change.ParseFromString(link.body())) break;
    auto next = NextSet(set, change);
    if (!next.ok()) break;
    set = std::move(next).value();
  }
  return set;
}

Status AlertLogic::SignObject(const tree::TreeRecord& record, tree::Signed& object,
                              std::string_view label) {
  object.set_genesis(record.genesis());
  *object.mutable_admin_sets() = record.admin_chain();
  auto sign = [this](std::string_view message) { return port_.Sign(message); };
  return AddSignature(object, label, record.admin_index(), sign);
}

Result<bool> AlertLogic::Publish(tree::TreeRecord& record, const app::TreeUpdate& update,
                                 const std::vector<std::string>& targets,
                                 const std::string& member) {
  auto carried = CarriedBy(update);
  if (!carried.ok()) return carried.status();
  const auto set = CurrentSet(record);
  if (ValidSignatures(carried->object, carried->label, set, MakeVerifier()) >= set.threshold) {
    app::Payload payload;
    *payload.mutable_tree_update() = update;
    const std::string bytes = payload.SerializeAsString();
    for (const auto& target : targets) {
      if (target == port_.IdentityKey()) continue;
      TOCSIN_RETURN_IF_ERROR(port_.SendTo(target, bytes, 0));
    }
    return true;
  }
  auto& pending = *record.mutable_pending();
  if (!member.empty()) {
    pending.erase(std::remove_if(pending.begin(), pending.end(),
                                 [&](const auto& p) { return p.member() == member; }),
                  pending.end());
  }
  auto* added = record.add_pending();
  *added->mutable_update() = update;
  for (const auto& target : targets) added->add_targets(target);
  added->set_member(member);
  return false;
}

Status AlertLogic::ChangeAdmins(const TreeId& tree, const std::vector<MemberKey>& admins,
                                std::uint32_t threshold) {
  std::lock_guard lock(mutex_);
  auto found = AdminTree(tree);
  if (!found.ok()) return found.status();
  tree::TreeRecord& record = **found;
  const SigningSet current = CurrentSet(record);
  tree::AdminSet change;
  change.set_tree_id(record.tree_id());
  change.set_version(current.version + 1);
  change.set_threshold(threshold);
  for (const auto& admin : admins) {
    auto key = Unhex(admin, 32, "admin key");
    if (!key.ok()) return key.status();
    change.add_admins(*key);
  }
  if (!Contains(change.admins(), port_.IdentityKey())) {
    return Status(Code::kInvalidArgument, "this device holds the roster: it must stay an admin");
  }
  auto next = NextSet(current, change);
  if (!next.ok()) return next.status();
  tree::Signed object;
  object.set_body(change.SerializeAsString());
  TOCSIN_RETURN_IF_ERROR(SignObject(record, object, kAdminsLabel));
  if (current.threshold <= 1) {
    TOCSIN_RETURN_IF_ERROR(ApplyAdminSet(record, object));
    auto flushed = FlushPending(record);  // what waited may now have enough signatures
    return flushed.ok() ? Status::Ok() : flushed.status();
  }
  // One change at a time: a newer proposal replaces one still waiting.
  auto& pending = *record.mutable_pending();
  pending.erase(
      std::remove_if(pending.begin(), pending.end(),
                     [](const auto& p) { return !p.update().signed_admin_set().empty(); }),
      pending.end());
  auto* added = record.add_pending();
  added->mutable_update()->set_tree_id(record.tree_id());
  added->mutable_update()->set_signed_admin_set(object.SerializeAsString());
  return port_.SaveTree(record);
}

Status AlertLogic::ApplyAdminSet(tree::TreeRecord& record, const tree::Signed& object) {
  tree::Signed link;
  link.set_body(object.body());
  *link.mutable_signatures() = object.signatures();
  *record.add_admin_chain() = link;
  const SigningSet set = CurrentSet(record);
  const auto mine = std::find(set.admins.begin(), set.admins.end(), port_.IdentityKey());
  if (mine == set.admins.end()) return Status(Code::kInternal, "the admin device left the set");
  record.set_admin_index(static_cast<std::uint32_t>(mine - set.admins.begin()));
  // What waits was signed by the old set: it is signed again by the new one.
  PendingList kept;
  for (const auto& pending : record.pending()) {
    if (!pending.update().signed_admin_set().empty()) continue;
    auto carried = CarriedBy(pending.update());
    if (!carried.ok()) continue;
    carried->object.clear_signatures();
    TOCSIN_RETURN_IF_ERROR(SignObject(record, carried->object, carried->label));
    tree::PendingUpdate again = pending;
    PutBack(*again.mutable_update(), *carried);
    *kept.Add() = std::move(again);
  }
  *record.mutable_pending() = std::move(kept);
  // Every member takes the new chain with its next view; older chains are refused then.
  record.set_roster_version(record.roster_version() + 1);
  TOCSIN_RETURN_IF_ERROR(SignAndKeepOwnView(record));
  auto sent = SendViews(record, true, {});
  return sent.ok() ? port_.SaveTree(record) : sent.status();
}

Result<std::size_t> AlertLogic::FlushPending(tree::TreeRecord& record) {
  std::size_t done = 0;
  // An admin-set change first: what else waits is then signed by the new set.
  for (int i = 0; i < record.pending_size(); ++i) {
    auto carried = CarriedBy(record.pending(i).update());
    if (!carried.ok() || carried->kind != UpdateKind::kAdminSet) continue;
    const auto set = CurrentSet(record);
    if (ValidSignatures(carried->object, carried->label, set, MakeVerifier()) < set.threshold) {
      continue;
    }
    record.mutable_pending()->DeleteSubrange(i, 1);
    TOCSIN_RETURN_IF_ERROR(ApplyAdminSet(record, carried->object));
    ++done;
    break;
  }
  const auto set = CurrentSet(record);
  PendingList kept;
  for (const auto& pending : record.pending()) {
    auto carried = CarriedBy(pending.update());
    if (!carried.ok()) continue;
    if (ValidSignatures(carried->object, carried->label, set, MakeVerifier()) < set.threshold) {
      *kept.Add() = pending;
      continue;
    }
    app::Payload payload;
    *payload.mutable_tree_update() = pending.update();
    for (const auto& target : pending.targets()) {
      if (target != port_.IdentityKey()) {
        TOCSIN_RETURN_IF_ERROR(port_.SendTo(target, payload.SerializeAsString(), 0));
      }
    }
    ++done;
  }
  *record.mutable_pending() = std::move(kept);
  TOCSIN_RETURN_IF_ERROR(port_.SaveTree(record));
  return done;
}

Result<std::string> AlertLogic::ExportPending(const TreeId& tree) {
  std::lock_guard lock(mutex_);
  auto found = AdminTree(tree);
  if (!found.ok()) return found.status();
  tree::CosignBundle bundle;
  bundle.set_tree_id((*found)->tree_id());
  for (const auto& pending : (*found)->pending()) *bundle.add_updates() = pending.update();
  return BundleText(bundle);
}

Result<std::vector<CosignItem>> AlertLogic::InspectBundle(const std::string& text) {
  std::lock_guard lock(mutex_);
  auto bundle = ParseBundle(text);
  if (!bundle.ok()) return bundle.status();
  std::vector<CosignItem> items;
  for (const auto& update : bundle->updates()) {
    auto carried = CarriedBy(update);
    if (!carried.ok()) return carried.status();
    auto set = SigningSetOf(carried->object, bundle->tree_id(), MakeVerifier());
    if (!set.ok()) return set.status();
    CosignItem item;
    item.tree = Hex(bundle->tree_id());
    item.tree_name = set->genesis.name();
    item.needed = set->threshold;
    item.signatures = ValidSignatures(carried->object, carried->label, *set, MakeVerifier());
    item.signed_by_us =
        std::find(set->admins.begin(), set->admins.end(), port_.IdentityKey()) != set->admins.end();
    if (carried->kind == UpdateKind::kView) {
      tree::View view;
      if (!view.ParseFromString(carried->object.body())) {
        return Status(Code::kInvalidArgument, "a malformed view in the bundle");
      }
      item.kind = "view";
      item.version = view.version();
      item.member = Hex(view.member().identity_key());
      item.member_name = view.member().name();
      item.role = FromProto(view.member().role());
      item.holds_roster = view.roster_size() > 0;
    } else if (carried->kind == UpdateKind::kRevocation) {
      tree::Revocation revocation;
      if (!revocation.ParseFromString(carried->object.body())) {
        return Status(Code::kInvalidArgument, "a malformed revocation in the bundle");
      }
      item.kind = "revocation";
      item.version = revocation.version();
      item.member = Hex(revocation.identity_key());
    } else {
      tree::AdminSet change;
      if (!change.ParseFromString(carried->object.body())) {
        return Status(Code::kInvalidArgument, "a malformed admin set in the bundle");
      }
      item.kind = "admins";
      item.version = change.version();
      for (const auto& admin : change.admins()) item.admins.push_back(Hex(admin));
      item.threshold = change.threshold();
    }
    items.push_back(std::move(item));
  }
  return items;
}

Status AlertLogic::CoSignUpdate(app::TreeUpdate& update, const std::string& tree_id) {
  auto carried = CarriedBy(update);
  if (!carried.ok()) return carried.status();
  std::string body_tree = tree_id;
  if (body_tree.empty()) {
    tree::Genesis genesis;
    if (!genesis.ParseFromString(carried->object.genesis())) {
      return Status(Code::kInvalidArgument, "a tree update without a genesis");
    }
    body_tree = TreeIdOf(carried->object.genesis());
  }
  auto set = SigningSetOf(carried->object, body_tree, MakeVerifier());
  if (!set.ok()) return set.status();
  const auto mine = std::find(set->admins.begin(), set->admins.end(), port_.IdentityKey());
  if (mine == set->admins.end()) {
    return Status(Code::kUnauthorized, "not an admin of the set that signs this");
  }
  auto sign = [this](std::string_view message) { return port_.Sign(message); };
  TOCSIN_RETURN_IF_ERROR(AddSignature(carried->object, carried->label,
                                      static_cast<std::uint32_t>(mine - set->admins.begin()),
                                      sign));
  PutBack(update, *carried);
  return Status::Ok();
}

Result<std::string> AlertLogic::CoSignView(const std::string& signed_update) {
  std::lock_guard lock(mutex_);
  app::Payload payload;
  if (!payload.ParseFromString(signed_update) || !payload.has_tree_update()) {
    return Status(Code::kInvalidArgument, "not a tree update");
  }
  TOCSIN_RETURN_IF_ERROR(CoSignUpdate(*payload.mutable_tree_update(), ""));
  return payload.SerializeAsString();
}

Result<std::string> AlertLogic::CoSignBundle(const std::string& text) {
  std::lock_guard lock(mutex_);
  auto bundle = ParseBundle(text);
  if (!bundle.ok()) return bundle.status();
  for (auto& update : *bundle->mutable_updates()) {
    TOCSIN_RETURN_IF_ERROR(CoSignUpdate(update, bundle->tree_id()));
  }
  return BundleText(*bundle);
}

Status AlertLogic::MergeSignatures(const tree::TreeRecord& record, tree::PendingUpdate& pending,
                                   const Carried& incoming) {
  auto carried = CarriedBy(pending.update());
  if (!carried.ok()) return carried.status();
  const SigningSet set = CurrentSet(record);
  const std::string message = SignedBytes(carried->label, carried->object.body());
  for (const auto& signature : incoming.object.signatures()) {
    if (signature.admin() >= set.admins.size()) continue;
    const bool have =
        std::any_of(carried->object.signatures().begin(), carried->object.signatures().end(),
                    [&](const auto& existing) { return existing.admin() == signature.admin(); });
    if (have || !port_.Verify(set.admins[signature.admin()], message, signature.signature()).ok()) {
      continue;  // a bad signature is left out: it would count for nothing anyway
    }
    *carried->object.add_signatures() = signature;
  }
  PutBack(*pending.mutable_update(), *carried);
  return Status::Ok();
}

Result<std::size_t> AlertLogic::ImportSignatures(const std::string& text) {
  std::lock_guard lock(mutex_);
  auto bundle = ParseBundle(text);
  if (!bundle.ok()) return bundle.status();
  auto found = AdminTree(Hex(bundle->tree_id()));
  if (!found.ok()) return found.status();
  tree::TreeRecord& record = **found;
  for (const auto& update : bundle->updates()) {
    auto incoming = CarriedBy(update);
    if (!incoming.ok()) return incoming.status();
    for (auto& pending : *record.mutable_pending()) {
      auto held = CarriedBy(pending.update());
      if (!held.ok() || held->kind != incoming->kind ||
          held->object.body() != incoming->object.body()) {
        continue;
      }
      TOCSIN_RETURN_IF_ERROR(MergeSignatures(record, pending, *incoming));
    }
  }
  return FlushPending(record);
}

}  // namespace tocsin::alerts
