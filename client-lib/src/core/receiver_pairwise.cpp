// The pairwise half of the receive pipeline, and what a decrypted payload means.
#include "core/clock_offset.h"
#include "core/contacts.h"
#include "core/device_keys.h"
#include "core/hex.h"
#include "core/inbox.h"
#include "core/mailboxes.h"
#include "core/receiver.h"
#include "crypto/signal_session.h"
#include "crypto/signal_xeddsa.h"
#include "groups/group_book.h"
#include "groups/group_service.h"

namespace tocsin::core {
namespace {

bool ValidAddress(const envelope::MailboxAddress& address) {
  return ParseRelayAddress(address.relay()).ok() && address.mailbox_id().size() == 16 &&
         address.token().size() == 16;
}

bool IsPairwise(const envelope::SealedContent& content) {
  return content.type() == envelope::SIGNAL_MESSAGE ||
         content.type() == envelope::PREKEY_SIGNAL_MESSAGE;
}

}  // namespace

bool IsControlPayload(const app::Payload& payload) {
  switch (payload.body_case()) {
    case app::Payload::kSenderKeyDistribution:
    case app::Payload::kResendRequest:
    case app::Payload::kReceipt:
    case app::Payload::kGroupRemoval:
      return true;
    default:
      return false;
  }
}

Outcome Receiver::Pairwise(Batch& batch, const std::string& sender,
                           const envelope::SealedContent& content, const Origin& origin) {
  client::ContactRecord contact;
  bool is_new = false;
  if (const client::ContactRecord* known = context_.contacts->FindByIdentity(sender)) {
    contact = *known;
  } else if (const client::ContactRecord* offered =
                 context_.contacts->FindByOfferedIdentity(sender)) {
    return Park(batch, client::UNTRUSTED_IDENTITY, sender, content, offered->contact_id(), origin);
  } else if (content.type() != envelope::PREKEY_SIGNAL_MESSAGE) {
    return Outcome::kDrop;  // an unknown sender without a session's first message
  } else {
    auto made = NewRequester(sender, content);
    if (!made.ok()) return Classify(made.status());
    contact = std::move(made).value();
    is_new = true;
  }
  store::Plaintext plaintext;
  Status failure = Status::Ok();
  {
    store::ScopedSignalBatch attach(*context_.signal_store, batch.txn());
    auto cipher = crypto::PairwiseCipher::Create(*context_.store_context,
                                                 ContactAddress(contact.contact_id()));
    if (!cipher.ok()) return Classify(cipher.status());
    const auto type = content.type() == envelope::PREKEY_SIGNAL_MESSAGE
                          ? crypto::MessageType::kPreKeySignal
                          : crypto::MessageType::kSignal;
    auto decrypted =
        cipher->Decrypt(type, Bytes(content.ciphertext()),
                        CapturePlaintext(batch, *context_.seen, sender, content.message_id(),
                                         context_.env.NowMs(), &plaintext));
    if (decrypted.ok()) {
      crypto::Wipe(decrypted->data(), decrypted->size());
    } else {
      failure = decrypted.status();
    }
  }
  if (!failure.ok()) {
    // libsignal staged nothing for the failed attempt. A known contact's message the
    // session cannot read is asked for again; anything else is dropped or retried.
    if (is_new || Classify(failure) != Outcome::kDrop) return Classify(failure);
    return RequestResend(batch, contact, content.message_id(), failure);
  }
  const bool changed = UpdateFromContent(contact, content);
  Status status = Status::Ok();
  if (is_new) {
    client::EventRecord event;
    event.set_kind(client::CONTACT_REQUEST);
    event.set_contact_id(contact.contact_id());
    event.set_sent_ms(content.timestamp_ms());
    status = context_.inbox->StageEvent(batch, event);
    const std::string id = contact.contact_id();
    AfterCommit([this, id] {
      if (context_.announce) context_.announce(id);
    });
  }
  if (status.ok() && (is_new || changed)) status = context_.contacts->Stage(batch, contact);
  if (status.ok()) status = FinishPending(batch, sender, content.message_id(), origin);
  bool application = false;
  if (status.ok()) status = HandlePayload(batch, contact, content, plaintext, &application);
  if (status.ok() && application && content.group_id().empty()) {
    status = StageReceipt(batch, contact, content.message_id());
  }
  return status.ok() ? Outcome::kCommitted : Classify(status);
}

Status Receiver::StageReceipt(Batch& batch, const client::ContactRecord& contact,
                              const std::string& message_id) {
  if (!CheckSendable(&contact).ok()) return Status::Ok();  // nowhere to send it (yet)
  app::Payload receipt;
  receipt.mutable_receipt()->add_message_ids(message_id);
  const PairwiseMessage message{
      contact.contact_id(), receipt.SerializeAsString(), "", "", 0, false};
  auto staged = sender_.Stage(batch, contact, message, std::nullopt);
  // A receipt that cannot be made must not cost the message itself: the sender is then
  // told it was not confirmed. Only a failing store makes the whole message wait.
  if (!staged.ok() && Classify(staged.status()) == Outcome::kRetryLater) return staged.status();
  return Status::Ok();
}

Status Receiver::OnReceipt(Batch& batch, const client::ContactRecord& sender,
                           const app::Receipt& receipt) {
  for (const auto& id : receipt.message_ids()) {
    auto sent = context_.inbox->FindSent(id);
    // Only the recipient of a message can confirm it.
    if (!sent || !sent->awaiting_receipt() || sent->contact_id() != sender.contact_id()) continue;
    TOCSIN_RETURN_IF_ERROR(context_.inbox->StageForgetSent(batch, id));
  }
  return Status::Ok();
}

Result<client::ContactRecord> Receiver::NewRequester(const std::string& sender,
                                                     const envelope::SealedContent& content) {
  client::ContactRecord contact;
  contact.set_contact_id(context_.env.RandomString(16));
  contact.set_identity_key(sender);
  contact.set_origin(client::REQUESTED);
  contact.set_added_ms(context_.env.NowMs());
  contact.set_announce(true);
  for (const auto& mailbox : context_.mailboxes->all()) {
    auto* given = contact.add_given_tokens();
    given->set_mailbox_index(mailbox.record.index());
    given->set_token(context_.env.RandomString(16));
  }
  UpdateFromContent(contact, content);
  return contact;
}

bool Receiver::UpdateFromContent(client::ContactRecord& contact,
                                 const envelope::SealedContent& content) {
  bool changed = false;
  if (content.has_sender_envelope_key()) {
    const auto& key = content.sender_envelope_key();
    const bool newer = contact.envelope_key().public_key().empty() ||
                       key.key_id() > contact.envelope_key().key_id();
    crypto::PublicKey identity{};
    crypto::PublicKey public_key{};
    if (newer && key.public_key().size() == public_key.size() &&
        contact.identity_key().size() == identity.size()) {
      std::copy(contact.identity_key().begin(), contact.identity_key().end(), identity.begin());
      std::copy(key.public_key().begin(), key.public_key().end(), public_key.begin());
      if (crypto::VerifyEnvelopeKey(*context_.signal, identity, key.key_id(), key.created_ms(),
                                    public_key, Bytes(key.signature()))
              .ok()) {
        *contact.mutable_envelope_key() = key;
        changed = true;
      }
    }
  }
  if (content.reply_addresses_size() > 0) {
    bool valid = true;
    for (const auto& address : content.reply_addresses()) valid = valid && ValidAddress(address);
    if (valid) {
      *contact.mutable_addresses() = content.reply_addresses();
      contact.set_addresses_are_intro(false);
      changed = true;
    }
  }
  return changed;
}

Status Receiver::StageEvent(Batch& batch, const client::ContactRecord& sender,
                            const envelope::SealedContent& content, const std::string& payload) {
  client::EventRecord event;
  event.set_kind(client::MESSAGE);
  event.set_contact_id(sender.contact_id());
  event.set_group_id(content.group_id());
  event.set_message_id(content.message_id());
  event.set_sent_ms(content.timestamp_ms());
  event.set_payload(payload);
  return context_.inbox->StageEvent(batch, event);
}

Status Receiver::HandlePayload(Batch& batch, const client::ContactRecord& sender,
                               const envelope::SealedContent& content,
                               const store::Plaintext& plaintext, bool* application) {
  app::Payload payload;
  if (!payload.ParseFromArray(plaintext.data(), static_cast<int>(plaintext.size()))) {
    return Status::Ok();  // the session moved on; a payload we cannot read is dropped
  }
  // Control payloads change keys, membership or delivery state: they are taken only from
  // a pairwise session (SPEC.md 14.5). A group message is one body for a whole audience,
  // so any accepted sender could otherwise plant them in every member at once.
  if (IsControlPayload(payload) && !IsPairwise(content)) {
    ++stats_.misplaced_control;
    return Status::Unauthorized("a control payload outside a pairwise session");  // dropped
  }
  switch (payload.body_case()) {
    case app::Payload::BODY_NOT_SET:
      return Status::Ok();  // an announcement: addresses and keys, handled above
    case app::Payload::kReceipt:
      return OnReceipt(batch, sender, payload.receipt());
    case app::Payload::kSenderKeyDistribution:
      if (groups_ == nullptr) return Status::Ok();
      return groups_->OnDistribution(batch, sender, payload.sender_key_distribution(), *this);
    case app::Payload::kResendRequest:
      if (payload.resend_request().group_id().empty()) {
        return OnPairwiseResendRequest(batch, sender, payload.resend_request());
      }
      if (groups_ == nullptr) return Status::Ok();
      return groups_->OnResendRequest(batch, sender, payload.resend_request(), *this);
    case app::Payload::kGroupRemoval:
      if (groups_ == nullptr) return Status::Ok();
      return groups_->OnRemoval(batch, sender, payload.group_removal(), *this);
    default:
      break;
  }
  if (!content.group_id().empty() &&
      !context_.groups->IsAcceptedSender(content.group_id(), sender.contact_id())) {
    return Status::Ok();  // a group message from someone who does not send to that group
  }
  const std::string bytes(plaintext.begin(), plaintext.end());
  if (application != nullptr) *application = true;
  if (hook_) {
    ReceivedPayload received{
        &sender,
        content.group_id(),
        content.message_id(),
        content.timestamp_ms(),
        ClockCorrectionMs(content.sender_clock_offset_ms(), OwnClockOffsetMs(context_.transport)),
        &payload,
        bytes};
    auto taken = hook_(batch, received);
    if (!taken.ok()) return taken.status();
    if (*taken) return Status::Ok();
  }
  return StageEvent(batch, sender, content, bytes);
}

}  // namespace tocsin::core
