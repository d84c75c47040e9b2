#include "core/pairwise.h"

#include <algorithm>

#include "core/clock_offset.h"
#include "core/contacts.h"
#include "core/crash_points.h"
#include "core/device_keys.h"
#include "core/hex.h"
#include "core/inbox.h"
#include "core/mailboxes.h"
#include "core/outbox.h"
#include "core/records.h"
#include "core/transport.h"
#include "crypto/sealed_sender.h"
#include "crypto/signal_session.h"

namespace tocsin::core {

Status CheckSendable(const client::ContactRecord* contact) {
  if (contact == nullptr) return Status::NotFound("no such contact");
  if (!contact->offered_identity_key().empty()) {
    return Status::UntrustedIdentity("the contact's identity changed: verify it first");
  }
  if (!Reachable(*contact)) return Status::Unavailable("no address for this contact yet");
  return Status::Ok();
}

Result<crypto::PreKeyBundle> ToBundle(const wire::PrekeyBundle& wire, std::string_view identity) {
  crypto::PreKeyBundle bundle;
  bundle.registration_id = wire.registration_id();
  bundle.device_id = static_cast<std::int32_t>(wire.device_id() == 0 ? 1 : wire.device_id());
  if (identity.size() != crypto::kX25519Size) return Status::Internal("contact identity size");
  std::copy(identity.begin(), identity.end(), bundle.identity_key.begin());
  bundle.signed_pre_key_id = wire.signed_prekey().id();
  auto signed_key = crypto::ParsePublicKey(Bytes(wire.signed_prekey().public_key()));
  if (!signed_key.ok()) return Status::CryptoFailure("pre-key bundle: bad signed pre-key");
  bundle.signed_pre_key = *signed_key;
  if (wire.signed_prekey().signature().size() != crypto::kXeddsaSignatureSize) {
    return Status::CryptoFailure("pre-key bundle: bad signature size");
  }
  std::copy(wire.signed_prekey().signature().begin(), wire.signed_prekey().signature().end(),
            bundle.signed_pre_key_signature.begin());
  if (wire.has_one_time_prekey()) {
    auto one_time = crypto::ParsePublicKey(Bytes(wire.one_time_prekey().public_key()));
    if (!one_time.ok()) return Status::CryptoFailure("pre-key bundle: bad one-time pre-key");
    bundle.one_time = crypto::PreKeyBundle::OneTime{wire.one_time_prekey().id(), *one_time};
  }
  return bundle;
}

Awaitable<Result<std::optional<crypto::PreKeyBundle>>> PairwiseSender::BundleIfNeeded(
    const client::ContactRecord& contact) {
  const crypto::Address address = ContactAddress(contact.contact_id());
  auto has_session = context_.signal_store->ContainsSession(address);
  if (!has_session.ok()) co_return has_session.status();
  if (*has_session) co_return std::optional<crypto::PreKeyBundle>();
  Status last = Status::Unavailable("the contact has no address");
  for (const auto& target : contact.addresses()) {
    auto relay = ParseRelayAddress(target.relay());
    if (!relay.ok()) continue;
    auto wire = co_await AwaitCallback<Result<wire::PrekeyBundle>>(
        [&](net::Callback<wire::PrekeyBundle> done) {
          context_.transport->GetPrekeyBundle(*relay, ToMailboxId(target.mailbox_id()),
                                              ToToken(target.token()), std::move(done));
        });
    if (!wire.ok()) {
      last = wire.status().Annotate("pre-key bundle");
      continue;
    }
    auto bundle = ToBundle(*wire, contact.identity_key());
    if (bundle.ok()) co_return std::optional<crypto::PreKeyBundle>(std::move(bundle).value());
    last = bundle.status();
  }
  co_return last;
}

Awaitable<Result<std::string>> PairwiseSender::Send(PairwiseMessage message) {
  const client::ContactRecord* contact = context_.contacts->Find(message.contact_id);
  TOCSIN_CO_RETURN_IF_ERROR(CheckSendable(contact));
  auto bundle = co_await BundleIfNeeded(*contact);
  if (!bundle.ok()) co_return bundle.status();
  // The contact may have changed while we waited for the network.
  contact = context_.contacts->Find(message.contact_id);
  TOCSIN_CO_RETURN_IF_ERROR(CheckSendable(contact));
  if (bundle->has_value()) {
    auto has_session =
        context_.signal_store->ContainsSession(ContactAddress(contact->contact_id()));
    if (has_session.ok() && *has_session) bundle->reset();  // another send started it meanwhile
  }
  Batch batch(*context_.store);
  auto id = Stage(batch, *contact, message, *bundle);
  if (!id.ok()) co_return id.status();
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  ReachCrashPoint(CrashPoint::kAfterOutboxCommit);
  co_return id;
}

std::vector<envelope::MailboxAddress> PairwiseSender::ReplyAddresses(
    const client::ContactRecord& contact) const {
  std::vector<envelope::MailboxAddress> out;
  for (const auto& given : contact.given_tokens()) {
    const OwnMailbox* mailbox = context_.mailboxes->Find(given.mailbox_index());
    if (mailbox == nullptr) continue;
    if (!given.registered()) {
      if (registration_failed_.count(given.mailbox_index()) != 0) continue;
      return {};  // its registration is still to come: no list yet
    }
    envelope::MailboxAddress address;
    address.set_relay(mailbox->record.relay());
    address.set_mailbox_id(mailbox->record.mailbox_id());
    address.set_token(given.token());
    out.push_back(std::move(address));
  }
  return out;
}

void PairwiseSender::SetRegistrationFailed(std::uint32_t index, bool failed) {
  if (failed) {
    registration_failed_.insert(index);
  } else {
    registration_failed_.erase(index);
  }
}

Result<envelope::SealedContent> PairwiseSender::Encrypt(const client::ContactRecord& contact,
                                                        const PairwiseMessage& message,
                                                        const std::string& message_id, Batch& batch,
                                                        bool* announces) {
  auto cipher =
      crypto::PairwiseCipher::Create(*context_.store_context, ContactAddress(contact.contact_id()));
  if (!cipher.ok()) return cipher.status();
  auto ciphertext = cipher->Encrypt(Bytes(message.payload));
  if (!ciphertext.ok()) return ciphertext.status();
  envelope::SealedContent content;
  content.set_sender_identity_key(ToString(context_.keys->identity().public_key()));
  content.set_sender_device_id(1);
  content.set_type(ciphertext->type == crypto::MessageType::kPreKeySignal
                       ? envelope::PREKEY_SIGNAL_MESSAGE
                       : envelope::SIGNAL_MESSAGE);
  if (!message.group_id.empty()) content.set_group_id(message.group_id);
  content.set_message_id(message_id);
  content.set_counter(context_.keys->NextCounter(batch));
  content.set_timestamp_ms(context_.env.NowMs());
  content.set_sender_clock_offset_ms(OwnClockOffsetMs(context_.transport));
  content.set_ciphertext(ToString(ciphertext->bytes));
  *announces = false;
  if (contact.announce()) {
    *content.mutable_sender_envelope_key() = context_.keys->envelope_key();
    for (auto& address : ReplyAddresses(contact)) *content.add_reply_addresses() = address;
    *announces = content.reply_addresses_size() > 0;
  }
  return content;
}

Result<std::string> PairwiseSender::Stage(Batch& batch, const client::ContactRecord& contact,
                                          const PairwiseMessage& message,
                                          const std::optional<crypto::PreKeyBundle>& bundle) {
  const std::string message_id =
      message.message_id.empty() ? context_.env.RandomString(16) : message.message_id;
  store::ScopedSignalBatch attach(*context_.signal_store, batch.txn());
  if (bundle) {
    TOCSIN_RETURN_IF_ERROR(crypto::ProcessPreKeyBundle(
        *context_.store_context, ContactAddress(contact.contact_id()), *bundle));
  }
  bool announces = false;
  auto content = Encrypt(contact, message, message_id, batch, &announces);
  if (!content.ok()) return content.status();
  const store::Plaintext plain = Serialize(*content);
  crypto::PublicKey recipient{};
  std::copy_n(contact.envelope_key().public_key().begin(), recipient.size(), recipient.begin());
  auto sealed = crypto::SealV1(context_.keys->identity(), recipient, store::View(plain),
                               *context_.env.rng, context_.dh_cache);
  if (!sealed.ok()) return sealed.status();
  const std::uint64_t ttl_ms = context_.SendTtlMs(message.ttl_ms);
  std::vector<client::OutboxRecord> rows;
  for (const auto& target : contact.addresses()) {
    client::OutboxRecord row;
    row.set_message_id(message_id);
    row.set_expires_ms(context_.env.NowMs() + ttl_ms);
    row.set_ttl_seconds(static_cast<std::uint32_t>(ttl_ms / 1000));
    row.set_relay(target.relay());
    row.set_contact_id(contact.contact_id());
    row.set_mailbox_id(target.mailbox_id());
    row.set_token(target.token());
    row.set_envelope(ToString(*sealed));
    row.set_group_id(message.group_id);
    row.set_report_undelivered(message.report_undelivered);
    row.set_announces(announces);
    rows.push_back(std::move(row));
  }
  TOCSIN_RETURN_IF_ERROR(context_.outbox->Stage(batch, std::move(rows)));
  if (message.report_undelivered && message.group_id.empty()) {
    // The recipient's device confirms it with a Receipt; none by expiry is reported.
    client::SentRecord awaited;
    awaited.set_message_id(message_id);
    awaited.set_contact_id(contact.contact_id());
    awaited.set_expires_ms(context_.env.NowMs() + ttl_ms);
    awaited.set_sent_ms(context_.env.NowMs());
    awaited.set_awaiting_receipt(true);
    awaited.set_payload(message.payload);  // for a resend, should the recipient ask
    TOCSIN_RETURN_IF_ERROR(context_.inbox->StageSent(batch, awaited));
  }
  return message_id;
}

}  // namespace tocsin::core
