// The receiving half of groups: group messages, sender-key distributions, resend
// requests.
#include "core/contacts.h"
#include "core/hex.h"
#include "core/inbox.h"
#include "crypto/signal_group.h"
#include "groups/group_service.h"

namespace tocsin::groups {

GroupService::GroupService(core::CoreContext& context, core::PairwiseSender& pairwise)
    : context_(context), pairwise_(pairwise) {}

core::Outcome GroupService::Receive(core::Batch& batch, const std::string& sender,
                                    const envelope::SealedContent& content,
                                    const core::Origin& origin, core::Receiver& receiver) {
  const client::ContactRecord* contact = context_.contacts->FindByIdentity(sender);
  if (contact == nullptr || content.group_id().size() != 16) return core::Outcome::kDrop;
  const std::string& group_id = content.group_id();
  if (!context_.groups->IsAcceptedSender(group_id, contact->contact_id())) {
    // Kept until the application joins the group (or the message expires).
    return receiver.Park(batch, client::NO_SENDER_KEY, sender, content, contact->contact_id(),
                         origin);
  }
  store::Plaintext plaintext;
  {
    store::ScopedSignalBatch attach(*context_.signal_store, batch.txn());
    auto cipher = crypto::GroupCipher::Create(
        *context_.store_context, ContactSenderKeyName(group_id, contact->contact_id()));
    if (!cipher.ok()) return core::Classify(cipher.status());
    auto decrypted =
        cipher->Decrypt(core::Bytes(content.ciphertext()),
                        core::CapturePlaintext(batch, *context_.seen, sender, content.message_id(),
                                               context_.env.NowMs(), &plaintext));
    if (!decrypted.ok()) {
      if (decrypted.status().code() == Code::kNotFound) {
        return receiver.Park(batch, client::NO_SENDER_KEY, sender, content, contact->contact_id(),
                             origin);
      }
      return core::Classify(decrypted.status());
    }
    crypto::Wipe(decrypted->data(), decrypted->size());
  }
  Status status = receiver.FinishPending(batch, sender, content.message_id(), origin);
  if (status.ok()) status = receiver.HandlePayload(batch, *contact, content, plaintext);
  return status.ok() ? core::Outcome::kCommitted : core::Classify(status);
}

Status GroupService::HoldDistribution(core::Batch& batch, const client::ContactRecord& sender,
                                      const app::SenderKeyDistribution& distribution) {
  const bool first = context_.pending
                         ->Matching([&](const client::PendingRecord& r) {
                           return r.reason() == client::UNACCEPTED_SENDER &&
                                  r.group_id() == distribution.group_id() &&
                                  r.contact_id() == sender.contact_id();
                         })
                         .empty();
  const std::uint64_t now = context_.env.NowMs();
  client::PendingRecord record;
  record.set_reason(client::UNACCEPTED_SENDER);
  record.set_sender_identity(sender.identity_key());
  record.set_content(distribution.distribution());
  record.set_received_ms(now);
  record.set_expires_ms(now + core::ToMs(context_.options.ttl_cap));
  record.set_group_id(distribution.group_id());
  record.set_contact_id(sender.contact_id());
  TOCSIN_RETURN_IF_ERROR(context_.pending->Stage(batch, record));
  if (!first) return Status::Ok();
  client::EventRecord event;
  event.set_kind(client::GROUP_INVITE);
  event.set_contact_id(sender.contact_id());
  event.set_group_id(distribution.group_id());
  return context_.inbox->StageEvent(batch, event);
}

Status GroupService::OnDistribution(core::Batch& batch, const client::ContactRecord& sender,
                                    const app::SenderKeyDistribution& distribution,
                                    core::Receiver& receiver) {
  if (distribution.group_id().size() != 16) return Status::Ok();
  if (!context_.groups->IsAcceptedSender(distribution.group_id(), sender.contact_id())) {
    return HoldDistribution(batch, sender, distribution);
  }
  {
    store::ScopedSignalBatch attach(*context_.signal_store, batch.txn());
    Status status = crypto::ProcessSenderKeyDistribution(
        *context_.store_context, ContactSenderKeyName(distribution.group_id(), sender.contact_id()),
        core::Bytes(distribution.distribution()));
    if (!status.ok())
      return core::Classify(status) == core::Outcome::kRetryLater ? status : Status::Ok();
  }
  const std::string group_id = distribution.group_id();
  const std::string identity = sender.identity_key();
  receiver.AfterCommit([this, group_id, identity] { RetryParkedOf(group_id, identity); });
  return Status::Ok();
}

void GroupService::RetryParkedOf(const std::string& group_id, const std::string& sender_identity) {
  if (receiver_ == nullptr) return;
  const auto seqs = context_.pending->Matching([&](const client::PendingRecord& r) {
    return r.group_id() == group_id && r.sender_identity() == sender_identity;
  });
  // Held keys first (their commit lets the messages decrypt), then the messages.
  std::vector<std::uint64_t> keys;
  std::vector<std::uint64_t> messages;
  for (std::uint64_t seq : seqs) {
    (context_.pending->all().at(seq).reason() == client::UNACCEPTED_SENDER ? keys : messages)
        .push_back(seq);
  }
  receiver_->RetryPending(keys);
  receiver_->RetryPending(messages);
}

core::Outcome GroupService::RetryDistribution(std::uint64_t seq,
                                              const client::PendingRecord& record,
                                              core::Receiver& receiver) {
  const client::ContactRecord* sender = context_.contacts->Find(record.contact_id());
  if (sender == nullptr || sender->identity_key() != record.sender_identity()) {
    return core::Outcome::kDrop;
  }
  if (!context_.groups->IsAcceptedSender(record.group_id(), record.contact_id())) {
    return core::Outcome::kParked;
  }
  core::Batch batch(*context_.store);
  {
    store::ScopedSignalBatch attach(*context_.signal_store, batch.txn());
    if (!crypto::ProcessSenderKeyDistribution(
             *context_.store_context, ContactSenderKeyName(record.group_id(), record.contact_id()),
             core::Bytes(record.content()))
             .ok()) {
      return core::Outcome::kDrop;
    }
  }
  if (!context_.pending->StageRemove(batch, seq).ok() || !batch.Commit().ok()) {
    return core::Outcome::kRetryLater;
  }
  (void)receiver;
  return core::Outcome::kCommitted;
}

Status GroupService::OnRemoval(core::Batch& batch, const client::ContactRecord& sender,
                               const app::GroupRemoval& removal, core::Receiver& receiver) {
  const std::string& group_id = removal.group_id();
  // Only a sender we accept for the group may change our audience for it.
  if (!context_.groups->IsAcceptedSender(group_id, sender.contact_id())) return Status::Ok();
  std::vector<std::string> removed;
  for (const auto& identity : removal.identity_keys()) {
    const client::ContactRecord* member = context_.contacts->FindByIdentity(identity);
    if (member != nullptr && context_.groups->IsMember(group_id, member->contact_id())) {
      removed.push_back(member->contact_id());
    }
  }
  if (removed.empty()) return Status::Ok();
  client::GroupRecord record = *context_.groups->Find(group_id);
  TOCSIN_RETURN_IF_ERROR(StageRemoval(batch, record, removed));
  receiver.AfterCommit([this, group_id] {
    // Our new chain to the remaining members; the notice is not passed on.
    asio::co_spawn(*context_.worker, AfterRemoval(group_id, {}), asio::detached);
  });
  return Status::Ok();
}

Status GroupService::OnResendRequest(core::Batch&, const client::ContactRecord& sender,
                                     const app::ResendRequest& request, core::Receiver& receiver) {
  const std::string group_id = request.group_id();
  if (!context_.groups->IsMember(group_id, sender.contact_id())) return Status::Ok();
  std::vector<std::string> ids(request.message_ids().begin(), request.message_ids().end());
  const std::string contact_id = sender.contact_id();
  receiver.AfterCommit([this, contact_id, group_id, ids] {
    asio::co_spawn(*context_.worker, Resend(contact_id, group_id, ids), asio::detached);
  });
  return Status::Ok();
}

}  // namespace tocsin::groups
