// Group membership: create, join, add and remove members and senders, leave.
#include <algorithm>
#include <asio/detached.hpp>

#include "core/contacts.h"
#include "core/hex.h"
#include "crypto/secure_buffer.h"
#include "crypto/signal_group.h"
#include "groups/group_service.h"

namespace tocsin::groups {
namespace {

Status CheckContacts(const core::ContactBook& contacts, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (contacts.Find(id) == nullptr) return Status::NotFound("no such contact");
  }
  return Status::Ok();
}

}  // namespace

core::Awaitable<Result<std::string>> GroupService::Create(std::string name,
                                                          std::vector<std::string> members) {
  TOCSIN_CO_RETURN_IF_ERROR(CheckContacts(*context_.contacts, members));
  client::GroupRecord record;
  record.set_group_id(context_.env.RandomString(16));
  record.set_name(std::move(name));
  AddIds(record.mutable_members(), members);
  record.set_created_ms(context_.env.NowMs());
  core::Batch batch(*context_.store);
  TOCSIN_CO_RETURN_IF_ERROR(context_.groups->Stage(batch, record));
  {
    store::ScopedSignalBatch attach(*context_.signal_store, batch.txn());
    auto created =
        crypto::CreateSenderKeyDistribution(*context_.store_context, OwnSenderKeyName(record));
    if (!created.ok()) co_return created.status();
  }
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  // Our key goes to the members in the background: a large group takes a while, and a
  // member it misses asks again (ResendRequest) when our first message arrives.
  asio::co_spawn(*context_.worker, Distribute(record.group_id(), members), asio::detached);
  co_return record.group_id();
}

core::Awaitable<Status> GroupService::Join(std::string group_id, std::string name,
                                           std::vector<std::string> senders) {
  if (group_id.size() != 16) co_return Status::InvalidArgument("bad group id");
  TOCSIN_CO_RETURN_IF_ERROR(CheckContacts(*context_.contacts, senders));
  client::GroupRecord record;
  if (const client::GroupRecord* existing = context_.groups->Find(group_id)) {
    record = *existing;
  } else {
    record.set_group_id(group_id);
    record.set_created_ms(context_.env.NowMs());
  }
  record.set_left(false);
  if (!name.empty()) record.set_name(std::move(name));
  AddIds(record.mutable_accepted_senders(), senders);
  core::Batch batch(*context_.store);
  TOCSIN_CO_RETURN_IF_ERROR(context_.groups->Stage(batch, record));
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  for (const auto& id : senders) {
    if (const client::ContactRecord* sender = context_.contacts->Find(id)) {
      RetryParkedOf(group_id, sender->identity_key());
    }
  }
  co_return Status::Ok();
}

core::Awaitable<Status> GroupService::AddMembers(std::string group_id,
                                                 std::vector<std::string> members) {
  const client::GroupRecord* existing = context_.groups->Find(group_id);
  if (existing == nullptr) co_return Status::NotFound("no such group");
  TOCSIN_CO_RETURN_IF_ERROR(CheckContacts(*context_.contacts, members));
  client::GroupRecord record = *existing;
  if (!AddIds(record.mutable_members(), members)) co_return Status::Ok();
  core::Batch batch(*context_.store);
  TOCSIN_CO_RETURN_IF_ERROR(context_.groups->Stage(batch, record));
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  co_return co_await Distribute(group_id, members);
}

Status GroupService::StageRemoval(core::Batch& batch, client::GroupRecord& record,
                                  const std::vector<std::string>& members) {
  RemoveIds(record.mutable_members(), members);
  // A new chain: what we send from now on is under a key the removed never get.
  record.set_own_chain(record.own_chain() + 1);
  TOCSIN_RETURN_IF_ERROR(context_.groups->Stage(batch, record));
  store::ScopedSignalBatch attach(*context_.signal_store, batch.txn());
  auto created =
      crypto::CreateSenderKeyDistribution(*context_.store_context, OwnSenderKeyName(record));
  if (!created.ok()) return created.status();
  crypto::Wipe(created->data(), created->size());
  return Status::Ok();
}

core::Awaitable<Status> GroupService::RemoveMembers(std::string group_id,
                                                    std::vector<std::string> members) {
  const client::GroupRecord* existing = context_.groups->Find(group_id);
  if (existing == nullptr) co_return Status::NotFound("no such group");
  client::GroupRecord record = *existing;
  std::vector<std::string> removed;
  std::vector<std::string> identities;
  for (const auto& id : members) {
    if (!context_.groups->IsMember(group_id, id)) continue;
    removed.push_back(id);
    if (const client::ContactRecord* contact = context_.contacts->Find(id)) {
      identities.push_back(contact->identity_key());
    }
  }
  if (removed.empty()) co_return Status::Ok();
  core::Batch batch(*context_.store);
  TOCSIN_CO_RETURN_IF_ERROR(StageRemoval(batch, record, removed));
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  co_return co_await AfterRemoval(group_id, std::move(identities));
}

core::Awaitable<Status> GroupService::AfterRemoval(std::string group_id,
                                                   std::vector<std::string> identities) {
  const client::GroupRecord* group = context_.groups->Find(group_id);
  if (group == nullptr) co_return Status::NotFound("no such group");
  const std::vector<std::string> remaining(group->members().begin(), group->members().end());
  std::vector<std::string> senders;
  for (const auto& id : group->accepted_senders()) {
    const client::ContactRecord* sender = context_.contacts->Find(id);
    if (sender == nullptr || std::find(identities.begin(), identities.end(),
                                       sender->identity_key()) != identities.end()) {
      continue;  // a removed member is not told
    }
    senders.push_back(id);
  }
  Status first = Status::Ok();
  if (!remaining.empty()) first = co_await Distribute(group_id, remaining);
  if (identities.empty()) co_return first;
  app::Payload notice;
  notice.mutable_group_removal()->set_group_id(group_id);
  for (const auto& identity : identities)
    notice.mutable_group_removal()->add_identity_keys(identity);
  const std::string payload = notice.SerializeAsString();
  for (const auto& id : senders) {
    core::PairwiseMessage message{id, payload, "", "", 0, false};
    auto sent = co_await pairwise_.Send(std::move(message));
    if (!sent.ok() && first.ok()) first = sent.status();
  }
  co_return first;
}

core::Awaitable<Status> GroupService::RemoveSenders(std::string group_id,
                                                    std::vector<std::string> senders) {
  const client::GroupRecord* existing = context_.groups->Find(group_id);
  if (existing == nullptr) co_return Status::NotFound("no such group");
  client::GroupRecord record = *existing;
  if (!RemoveIds(record.mutable_accepted_senders(), senders)) co_return Status::Ok();
  core::Batch batch(*context_.store);
  TOCSIN_CO_RETURN_IF_ERROR(context_.groups->Stage(batch, record));
  co_return batch.Commit();
}

core::Awaitable<Status> GroupService::Leave(std::string group_id) {
  const client::GroupRecord* existing = context_.groups->Find(group_id);
  if (existing == nullptr) co_return Status::NotFound("no such group");
  client::GroupRecord record = *existing;
  record.set_left(true);
  record.clear_members();
  record.clear_accepted_senders();
  core::Batch batch(*context_.store);
  TOCSIN_CO_RETURN_IF_ERROR(context_.groups->Stage(batch, record));
  co_return batch.Commit();
}

Result<std::vector<std::string>> GroupService::ForgetContact(core::Batch& batch,
                                                             const std::string& contact_id) {
  std::vector<std::string> was_member_of;
  for (const auto& group_id : context_.groups->GroupsOf(contact_id)) {
    client::GroupRecord record = *context_.groups->Find(group_id);
    RemoveIds(record.mutable_accepted_senders(), {contact_id});
    if (context_.groups->IsMember(group_id, contact_id)) {
      TOCSIN_RETURN_IF_ERROR(StageRemoval(batch, record, {contact_id}));
      was_member_of.push_back(group_id);
    } else {
      TOCSIN_RETURN_IF_ERROR(context_.groups->Stage(batch, record));
    }
  }
  return was_member_of;
}

}  // namespace tocsin::groups
