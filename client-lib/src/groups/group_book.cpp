#include "groups/group_book.h"

#include <algorithm>

#include "core/device_keys.h"
#include "core/hex.h"
#include "core/records.h"

namespace tocsin::groups {

Result<std::unique_ptr<GroupBook>> GroupBook::Load(store::DeviceStore& store) {
  std::unique_ptr<GroupBook> book(new GroupBook());
  auto cursor = store.NewCursor(store::Column::kGroups);
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
    client::GroupRecord record;
    TOCSIN_RETURN_IF_ERROR(core::Parse(cursor->value(), &record));
    book->groups_[record.group_id()] = std::move(record);
  }
  TOCSIN_RETURN_IF_ERROR(cursor->status());
  return book;
}

const client::GroupRecord* GroupBook::Find(const std::string& group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() || it->second.left() ? nullptr : &it->second;
}

std::vector<const client::GroupRecord*> GroupBook::All() const {
  std::vector<const client::GroupRecord*> out;
  for (const auto& [id, record] : groups_) {
    if (!record.left()) out.push_back(&record);
  }
  return out;
}

namespace {
bool Contains(const google::protobuf::RepeatedPtrField<std::string>& field, const std::string& id) {
  return std::find(field.begin(), field.end(), id) != field.end();
}
}  // namespace

bool GroupBook::IsAcceptedSender(const std::string& group_id, const std::string& contact_id) const {
  const client::GroupRecord* group = Find(group_id);
  return group != nullptr && Contains(group->accepted_senders(), contact_id);
}

bool GroupBook::IsMember(const std::string& group_id, const std::string& contact_id) const {
  const client::GroupRecord* group = Find(group_id);
  return group != nullptr && Contains(group->members(), contact_id);
}

std::vector<std::string> GroupBook::GroupsOf(const std::string& contact_id) const {
  std::vector<std::string> out;
  for (const auto& [id, record] : groups_) {
    if (!record.left() && (Contains(record.members(), contact_id) ||
                           Contains(record.accepted_senders(), contact_id))) {
      out.push_back(id);
    }
  }
  return out;
}

Status GroupBook::Stage(core::Batch& batch, const client::GroupRecord& record) {
  TOCSIN_RETURN_IF_ERROR(
      core::PutRecord(batch.txn(), store::Column::kGroups, core::Bytes(record.group_id()), record));
  batch.OnCommit([this, record] { groups_[record.group_id()] = record; });
  return Status::Ok();
}

crypto::SenderKeyName OwnSenderKeyName(const client::GroupRecord& group) {
  return crypto::SenderKeyName{group.group_id(),
                               crypto::Address{"self/" + std::to_string(group.own_chain()), 1}};
}

crypto::SenderKeyName ContactSenderKeyName(const std::string& group_id,
                                           const std::string& contact_id) {
  return crypto::SenderKeyName{group_id, core::ContactAddress(contact_id)};
}

GroupInfo ToGroupInfo(const client::GroupRecord& record) {
  GroupInfo info;
  info.id = core::ToHex(record.group_id());
  info.name = record.name();
  for (const auto& id : record.members()) info.members.push_back(core::ToHex(id));
  for (const auto& id : record.accepted_senders()) info.accepted_senders.push_back(core::ToHex(id));
  return info;
}

bool AddIds(google::protobuf::RepeatedPtrField<std::string>* field,
            const std::vector<std::string>& ids) {
  bool changed = false;
  for (const auto& id : ids) {
    if (Contains(*field, id)) continue;
    *field->Add() = id;
    changed = true;
  }
  return changed;
}

bool RemoveIds(google::protobuf::RepeatedPtrField<std::string>* field,
               const std::vector<std::string>& ids) {
  const int before = field->size();
  auto end = std::remove_if(field->begin(), field->end(), [&](const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  });
  field->erase(end, field->end());
  return field->size() != before;
}

}  // namespace tocsin::groups
