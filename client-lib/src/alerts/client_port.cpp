#include "alerts/client_port.h"

#include <sodium.h>

#include <algorithm>

#include "core/client_core.h"
#include "core/hex.h"
#include "crypto/signal_xeddsa.h"
#include "store/columns.h"
#include "tocsin/contact_card.h"

namespace tocsin::alerts {
namespace {

constexpr std::string_view kTreeRowPrefix = "alerts/tree/";
constexpr std::uint64_t kMsPerDay = 24 * 3600 * 1000ull;

store::ByteView AsBytes(std::string_view bytes) { return core::Bytes(bytes); }

// On the client's worker: whether the contact with identity `key` is the user's own
// (added from its card, or a contact request), not one only trees brought.
core::Awaitable<Result<bool>> IsPersonal(const core::CoreContext& context, std::string key) {
  const client::ContactRecord* record = context.contacts->FindByIdentity(key);
  co_return record != nullptr && record->origin() != client::TREE;
}

}  // namespace

std::string TreeRowName(const std::string& tree_id) {
  return std::string(kTreeRowPrefix) + tree_id;
}

ClientPort::ClientPort(Client& client, std::shared_ptr<Clock> clock)
    : client_(client), clock_(std::move(clock)) {}

std::string ClientPort::IdentityKey() {
  const auto& key = client_.core().identity_key();
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

std::uint64_t ClientPort::NowMs() {
  return clock_ ? clock_->NowMs() : client_.core().context().env.NowMs();
}

std::string ClientPort::RandomBytes(std::size_t n) {
  return client_.core().context().env.RandomString(n);
}

Result<std::string> ClientPort::Sign(std::string_view message) {
  auto& context = client_.core().context();
  auto signature =
      crypto::XeddsaSign(*context.signal, context.keys->identity(), core::Bytes(message));
  if (!signature.ok()) return signature.status();
  return core::ToString(*signature);
}

Status ClientPort::Verify(std::string_view key, std::string_view message,
                          std::string_view signature) {
  if (key.size() != crypto::kX25519Size) return Status(Code::kCryptoFailure, "not a key");
  const crypto::PublicKeyView view(reinterpret_cast<const std::uint8_t*>(key.data()),
                                   crypto::kX25519Size);
  return crypto::XeddsaVerify(*client_.core().context().signal, view, core::Bytes(message),
                              core::Bytes(signature));
}

Result<std::string> ClientPort::MyCard(const std::string& name, bool rotate) {
  auto& core = client_.core();
  return core.Run<std::string>([&core, name, rotate] { return core.AlertCard(name, rotate); });
}

Result<std::string> ClientPort::KeyOfCard(std::string_view card) {
  auto info = InspectContactCard(card);
  if (!info.ok()) return info.status();
  auto key = core::FromHex(info->identity_key, 32);
  if (!key) return Status(Code::kInvalidArgument, "a card without an identity key");
  return *key;
}

Status ClientPort::Introduce(const tree::MemberEntry& entry) {
  {
    std::lock_guard lock(mutex_);
    auto it = cards_.find(entry.identity_key());
    if (it != cards_.end() && it->second == entry.card()) return Status::Ok();
  }
  // A known contact keeps its name and its own addresses; a card with a long-term token
  // replaces intro addresses (Client::AddContact's rules). A new one is the tree's
  // (origin TREE) until the user adds its card.
  auto& core = client_.core();
  const std::string card = entry.card();
  const std::string name = ContactOf(entry.identity_key()).ok() ? "" : entry.name();
  auto id =
      core.Run<std::string>([&core, card, name] { return core.AddContact(card, name, true); });
  if (!id.ok()) return id.status();
  std::lock_guard lock(mutex_);
  contacts_[entry.identity_key()] = core::ToHex(*id);
  cards_[entry.identity_key()] = entry.card();
  return Status::Ok();
}

Result<ContactId> ClientPort::ContactOf(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    auto it = contacts_.find(key);
    if (it != contacts_.end()) return it->second;
  }
  auto contacts = client_.Contacts();
  if (!contacts.ok()) return contacts.status();
  const std::string hex = core::ToHex(key);
  for (const auto& contact : *contacts) {
    if (contact.identity_key != hex) continue;
    std::lock_guard lock(mutex_);
    contacts_[key] = contact.id;
    return contact.id;
  }
  return Status(Code::kNotFound, "a member who is not a contact");
}

Result<std::vector<ContactId>> ClientPort::ContactsOf(const std::vector<std::string>& keys) {
  std::vector<ContactId> ids;
  for (const auto& key : keys) {
    auto id = ContactOf(key);
    if (id.ok()) ids.push_back(*id);  // members without a contact yet are left out
  }
  return ids;
}

Status ClientPort::Forget(const std::string& key) {
  auto id = ContactOf(key);
  if (!id.ok()) return Status::Ok();
  {
    std::lock_guard lock(mutex_);
    contacts_.erase(key);
    cards_.erase(key);
  }
  return client_.RemoveContact(*id);
}

Result<bool> ClientPort::PersonalContact(const std::string& key) {
  auto& core = client_.core();
  return core.Run<bool>([&core, key] { return IsPersonal(core.context(), key); });
}

Status ClientPort::SendTo(const std::string& key, const std::string& payload,
                          std::uint64_t ttl_ms) {
  auto id = ContactOf(key);
  if (!id.ok()) return id.status();
  SendOptions options;
  options.ttl = std::chrono::seconds(ttl_ms / 1000);
  auto sent = client_.Send(*id, payload, options);
  return sent.ok() ? Status::Ok() : sent.status();
}

Status ClientPort::SendToGroup(const std::string& group_id, const std::string& payload,
                               std::uint64_t ttl_ms) {
  SendOptions options;
  options.ttl = std::chrono::seconds(ttl_ms / 1000);
  auto sent = client_.SendToGroup(core::ToHex(group_id), payload, options);
  return sent.ok() ? Status::Ok() : sent.status();
}

Result<std::string> ClientPort::CreateGroup(const std::string& name,
                                            const std::vector<std::string>& members) {
  auto ids = ContactsOf(members);
  if (!ids.ok()) return ids.status();
  auto group = client_.CreateGroup(name, *ids);
  if (!group.ok()) return group.status();
  auto raw = core::FromHex(*group, 16);
  if (!raw) return Status(Code::kInternal, "a group id that is not 16 bytes");
  return *raw;
}

Status ClientPort::SetGroupMembers(const std::string& group_id,
                                   const std::vector<std::string>& members) {
  auto wanted = ContactsOf(members);
  if (!wanted.ok()) return wanted.status();
  auto groups = client_.Groups();
  if (!groups.ok()) return groups.status();
  const std::string hex = core::ToHex(group_id);
  for (const auto& group : *groups) {
    if (group.id != hex) continue;
    std::vector<ContactId> add, remove;
    for (const auto& id : *wanted) {
      if (std::find(group.members.begin(), group.members.end(), id) == group.members.end()) {
        add.push_back(id);
      }
    }
    for (const auto& id : group.members) {
      if (std::find(wanted->begin(), wanted->end(), id) == wanted->end()) remove.push_back(id);
    }
    if (!add.empty()) TOCSIN_RETURN_IF_ERROR(client_.AddMembers(hex, add));
    if (!remove.empty()) TOCSIN_RETURN_IF_ERROR(client_.RemoveMembers(hex, remove));
    return Status::Ok();
  }
  return Status(Code::kNotFound, "no such group");
}

Status ClientPort::JoinGroup(const std::string& group_id, const std::string& name,
                             const std::vector<std::string>& senders) {
  auto ids = ContactsOf(senders);
  if (!ids.ok()) return ids.status();
  if (ids->empty()) return Status::Ok();  // our own group (we are its sender)
  return client_.JoinGroup(core::ToHex(group_id), name, *ids);
}

Result<bool> ClientPort::HasGroup(const std::string& group_id) {
  auto groups = client_.Groups();
  if (!groups.ok()) return groups.status();
  const std::string hex = core::ToHex(group_id);
  return std::any_of(groups->begin(), groups->end(),
                     [&hex](const GroupInfo& group) { return group.id == hex; });
}

Status ClientPort::SaveTree(const tree::TreeRecord& record) {
  return client_.core().context().store->Put(store::Column::kTrees,
                                             AsBytes(TreeRowName(record.tree_id())),
                                             AsBytes(record.SerializeAsString()));
}

Status ClientPort::SaveAlert(tree::AlertRecord& record) {
  auto& store = *client_.core().context().store;
  tree::AlertRow row;
  if (record.row_seq() == 0) {
    // A new row under the day the alert began: purged with that day's key.
    const auto day = static_cast<store::Day>(NowMs() / kMsPerDay);
    auto txn = store.Begin();
    auto id = txn.AppendAlert(day, AsBytes(row.SerializeAsString()));
    if (!id.ok()) return id.status();
    record.set_row_day(id->day);
    record.set_row_seq(id->seq);
  }
  *row.mutable_alert() = record;
  const auto name = store::AlertName(store::AlertId{record.row_day(), record.row_seq()});
  return store.Put(store::Column::kAlerts, name, AsBytes(row.SerializeAsString()));
}

Status ClientPort::DeleteAlert(const tree::AlertRecord& record) {
  if (record.row_seq() == 0) return Status::Ok();
  const auto name = store::AlertName(store::AlertId{record.row_day(), record.row_seq()});
  return client_.core().context().store->Delete(store::Column::kAlerts, name);
}

Result<std::vector<tree::TreeRecord>> ClientPort::LoadTrees() {
  std::vector<tree::TreeRecord> out;
  auto cursor = client_.core().context().store->NewCursor(store::Column::kTrees);
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
    const std::string name = core::ToString(cursor->name());
    if (name.rfind(kTreeRowPrefix, 0) != 0) continue;
    tree::TreeRecord record;
    const auto value = cursor->value();
    if (record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      out.push_back(std::move(record));
    }
  }
  TOCSIN_RETURN_IF_ERROR(cursor->status());
  return out;
}

Result<std::vector<tree::AlertRecord>> ClientPort::LoadAlerts() {
  auto& store = *client_.core().context().store;
  auto days = store.AlertDays();
  if (!days.ok()) return days.status();
  std::vector<tree::AlertRecord> out;
  for (store::Day day : *days) {
    auto cursor = store.NewAlertCursor(day);
    for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
      tree::AlertRow row;
      const auto value = cursor->value();
      if (row.ParseFromArray(value.data(), static_cast<int>(value.size())) && row.has_alert() &&
          !row.alert().alert_id().empty()) {
        out.push_back(row.alert());
      }
    }
    TOCSIN_RETURN_IF_ERROR(cursor->status());
  }
  return out;
}

}  // namespace tocsin::alerts
