// Contacts: our card, importing cards, verification, identity changes, removal; and
// pairwise sends.
#include <algorithm>

#include "core/card.h"
#include "core/client_core.h"
#include "core/hex.h"
#include "core/safety_number.h"
#include "crypto/signal_keys.h"
#include "tocsin/alert.pb.h"

namespace tocsin::core {
namespace {

// INTRO tokens live 7 days on the relays (SPEC.md 7.2); a card is renewed at half that,
// so one handed out stays usable for at least 3.5 days.
constexpr std::uint64_t kIntroTokenRenewMs = 7 * kMsPerDay / 2;

std::string SerializedIdentity(const crypto::PublicKey& key) {
  return ToString(crypto::SerializePublicKey(key));
}

void CopyCardInto(const ParsedCard& parsed, client::ContactRecord& record) {
  record.set_registration_id(parsed.card.registration_id());
  *record.mutable_envelope_key() = parsed.card.envelope_key();
  *record.mutable_addresses() = parsed.card.addresses();
  record.set_addresses_are_intro(true);
}

}  // namespace

Awaitable<Result<std::string>> ClientCore::MyCard(std::string name) {
  const std::uint64_t now = context_.env.NowMs();
  client::ContactCard card;
  for (const auto& mailbox : mailboxes_->all()) {
    // Whoever imports the card fetches a bundle next: our signed pre-key must be there.
    if (mailbox.record.published_signed_prekey_id() != keys_->signed_prekey().id()) {
      (void)co_await PublishPrekeys(mailbox.record.index(), false);
    }
    client::OwnMailbox record = mailboxes_->Find(mailbox.record.index())->record;
    if (record.intro_token().empty() || record.intro_token_ms() + kIntroTokenRenewMs <= now) {
      const std::string token = context_.env.RandomString(16);
      auto set =
          co_await AwaitCallback<Result<std::uint32_t>>([&](net::Callback<std::uint32_t> done) {
            transport_->SetTokens(mailbox.relay, mailbox.id(), {TokenEntryFor(wire::INTRO, token)},
                                  std::move(done));
          });
      if (set.ok()) {
        record.set_intro_token(token);
        record.set_intro_token_ms(now);
        Batch batch(*store_);
        TOCSIN_CO_RETURN_IF_ERROR(mailboxes_->Stage(batch, record));
        TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
      } else if (record.intro_token().empty() || record.intro_token_ms() + 7 * kMsPerDay <= now) {
        continue;  // this relay cannot be offered now
      }
    }
    auto* address = card.add_addresses();
    address->set_relay(record.relay());
    address->set_mailbox_id(record.mailbox_id());
    address->set_token(record.intro_token());
  }
  if (card.addresses().empty()) co_return Status::Unavailable("no relay took an intro token");
  card.set_identity_key(SerializedIdentity(keys_->identity().public_key()));
  card.set_registration_id(keys_->registration_id());
  *card.mutable_envelope_key() = keys_->envelope_key();
  card.set_suggested_name(std::move(name));
  card.set_created_ms(now);
  co_return EncodeCard(*signal_, keys_->identity(), card);
}

Awaitable<Result<std::string>> ClientCore::AlertCard(std::string name, bool rotate) {
  client::ContactCard card;
  for (const auto& mailbox : mailboxes_->all()) {
    if (mailbox.record.published_signed_prekey_id() != keys_->signed_prekey().id()) {
      (void)co_await PublishPrekeys(mailbox.record.index(), false);
    }
    client::OwnMailbox record = mailboxes_->Find(mailbox.record.index())->record;
    if (record.alert_token().empty() || rotate) {
      const std::string token = context_.env.RandomString(16);
      Status done = Status::Ok();
      if (record.alert_token().empty()) {
        auto set =
            co_await AwaitCallback<Result<std::uint32_t>>([&](net::Callback<std::uint32_t> cb) {
              transport_->SetTokens(mailbox.relay, mailbox.id(),
                                    {TokenEntryFor(wire::ALERT, token)}, std::move(cb));
            });
        if (!set.ok()) done = set.status();
      } else {
        wire::RotateToken request;
        request.set_old_token_hash(TokenHash(record.alert_token()));
        request.set_mailbox_id(record.mailbox_id());
        *request.mutable_new_token() = TokenEntryFor(wire::ALERT, token);
        request.set_grace_seconds(0);
        auto rotated =
            co_await AwaitCallback<Result<std::uint64_t>>([&](net::Callback<std::uint64_t> cb) {
              transport_->RotateToken(mailbox.relay, mailbox.id(), request, std::move(cb));
            });
        if (!rotated.ok()) done = rotated.status();
      }
      if (!done.ok()) continue;  // this relay cannot be offered now
      record.set_alert_token(token);
      Batch batch(*store_);
      TOCSIN_CO_RETURN_IF_ERROR(mailboxes_->Stage(batch, record));
      TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
    }
    auto* address = card.add_addresses();
    address->set_relay(record.relay());
    address->set_mailbox_id(record.mailbox_id());
    address->set_token(record.alert_token());
  }
  if (card.addresses().empty()) co_return Status::Unavailable("no relay took an alert token");
  card.set_identity_key(SerializedIdentity(keys_->identity().public_key()));
  card.set_registration_id(keys_->registration_id());
  *card.mutable_envelope_key() = keys_->envelope_key();
  card.set_suggested_name(std::move(name));
  card.set_created_ms(context_.env.NowMs());
  co_return EncodeCard(*signal_, keys_->identity(), card);
}

Awaitable<Result<std::string>> ClientCore::AddContact(std::string text, std::string name,
                                                      bool by_tree) {
  auto parsed = DecodeCard(*signal_, text);
  if (!parsed.ok()) co_return parsed.status();
  const std::string identity = ToString(parsed->identity);
  if (parsed->identity == keys_->identity().public_key()) {
    co_return Status::InvalidArgument("this is our own card");
  }
  if (const client::ContactRecord* offered = contacts_->FindByOfferedIdentity(identity)) {
    co_return offered->contact_id();
  }
  client::ContactRecord record;
  if (const client::ContactRecord* known = contacts_->FindByIdentity(identity)) {
    record = *known;
    const bool newer_key = parsed->card.envelope_key().key_id() > record.envelope_key().key_id();
    if (newer_key) *record.mutable_envelope_key() = parsed->card.envelope_key();
    if (record.addresses().empty() || record.addresses_are_intro()) CopyCardInto(*parsed, record);
    if (!name.empty()) record.set_name(name);
    if (!by_tree && record.origin() == client::TREE) record.set_origin(client::ADDED);
  } else {
    record.set_contact_id(context_.env.RandomString(16));
    record.set_identity_key(identity);
    record.set_name(name.empty() ? parsed->card.suggested_name() : name);
    CopyCardInto(*parsed, record);
    record.set_origin(by_tree ? client::TREE : client::ADDED);
    record.set_added_ms(context_.env.NowMs());
    record.set_announce(true);
    for (const auto& mailbox : mailboxes_->all()) {
      auto* given = record.add_given_tokens();
      given->set_mailbox_index(mailbox.record.index());
      given->set_token(context_.env.RandomString(16));
    }
  }
  Batch batch(*store_);
  {
    // Pins the identity now: a bundle or message with another key is refused.
    store::ScopedSignalBatch attach(*signal_store_, batch.txn());
    auto saved = signal_store_->SaveIdentity(ContactAddress(record.contact_id()), parsed->identity);
    if (!saved.ok()) co_return saved.status();
  }
  TOCSIN_CO_RETURN_IF_ERROR(contacts_->Stage(batch, record));
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  // Our tokens for the contact go to our relays before the first message carries them.
  for (const auto& mailbox : mailboxes_->all())
    (void)co_await RegisterTokens(mailbox.record.index());
  co_return record.contact_id();
}

Awaitable<Status> ClientCore::OfferNewIdentity(std::string contact_id, std::string text) {
  const client::ContactRecord* known = contacts_->Find(contact_id);
  if (known == nullptr) co_return Status::NotFound("no such contact");
  auto parsed = DecodeCard(*signal_, text);
  if (!parsed.ok()) co_return parsed.status();
  const std::string identity = ToString(parsed->identity);
  if (identity == known->identity_key()) {
    auto added = co_await AddContact(text, "");
    co_return added.ok() ? Status::Ok() : added.status();
  }
  const client::ContactRecord* other = contacts_->FindByIdentity(identity);
  if (other != nullptr || parsed->identity == keys_->identity().public_key()) {
    co_return Status::InvalidArgument("that identity belongs to another contact");
  }
  client::ContactRecord record = *known;
  record.set_offered_identity_key(identity);
  *record.mutable_offered_envelope_key() = parsed->card.envelope_key();
  *record.mutable_offered_addresses() = parsed->card.addresses();
  record.set_offered_registration_id(parsed->card.registration_id());
  record.set_verified(false);
  Batch batch(*store_);
  TOCSIN_CO_RETURN_IF_ERROR(contacts_->Stage(batch, record));
  co_return batch.Commit();
}

Awaitable<Status> ClientCore::MarkVerified(std::string contact_id) {
  const client::ContactRecord* known = contacts_->Find(contact_id);
  if (known == nullptr) co_return Status::NotFound("no such contact");
  client::ContactRecord record = *known;
  record.set_verified(true);
  const bool identity_changed = !record.offered_identity_key().empty();
  Batch batch(*store_);
  if (identity_changed) {
    record.set_identity_key(record.offered_identity_key());
    *record.mutable_envelope_key() = record.offered_envelope_key();
    if (record.offered_addresses_size() > 0) {
      *record.mutable_addresses() = record.offered_addresses();
      record.set_addresses_are_intro(true);
    }
    record.set_registration_id(record.offered_registration_id());
    record.clear_offered_identity_key();
    record.clear_offered_envelope_key();
    record.clear_offered_addresses();
    record.set_announce(true);
    crypto::PublicKey key{};
    std::copy(record.identity_key().begin(), record.identity_key().end(), key.begin());
    store::ScopedSignalBatch attach(*signal_store_, batch.txn());
    const crypto::Address address = ContactAddress(contact_id);
    auto saved = signal_store_->SaveIdentity(address, key);  // now the trusted key
    if (!saved.ok()) co_return saved.status();
    auto deleted = signal_store_->DeleteSession(address);  // a new session with the new key
    if (!deleted.ok()) co_return deleted.status();
  }
  TOCSIN_CO_RETURN_IF_ERROR(contacts_->Stage(batch, record));
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  if (identity_changed) {
    receiver_->RetryPending(pending_->Matching([&](const client::PendingRecord& r) {
      return r.reason() == client::UNTRUSTED_IDENTITY && r.contact_id() == contact_id;
    }));
  }
  co_return Status::Ok();
}

Awaitable<Status> ClientCore::RenameContact(std::string contact_id, std::string name) {
  const client::ContactRecord* known = contacts_->Find(contact_id);
  if (known == nullptr) co_return Status::NotFound("no such contact");
  client::ContactRecord record = *known;
  record.set_name(std::move(name));
  Batch batch(*store_);
  TOCSIN_CO_RETURN_IF_ERROR(contacts_->Stage(batch, record));
  co_return batch.Commit();
}

Awaitable<Result<std::string>> ClientCore::SafetyNumber(std::string contact_id) {
  const client::ContactRecord* known = contacts_->Find(contact_id);
  if (known == nullptr) co_return Status::NotFound("no such contact");
  const std::string& theirs =
      known->offered_identity_key().empty() ? known->identity_key() : known->offered_identity_key();
  crypto::PublicKey key{};
  std::copy(theirs.begin(), theirs.end(), key.begin());
  co_return core::SafetyNumber(*signal_, keys_->identity().public_key(), key);
}

Awaitable<Status> ClientCore::RemoveContact(std::string contact_id) {
  const client::ContactRecord* known = contacts_->Find(contact_id);
  if (known == nullptr) co_return Status::NotFound("no such contact");
  const client::ContactRecord record = *known;
  // Revoke its tokens at once (a new token nobody holds, living one second).
  for (const auto& given : record.given_tokens()) {
    const OwnMailbox* mailbox = mailboxes_->Find(given.mailbox_index());
    if (mailbox == nullptr || !given.registered() || given.shared()) continue;
    wire::RotateToken rotate;
    rotate.set_old_token_hash(TokenHash(given.token()));
    *rotate.mutable_new_token() = TokenEntryFor(wire::CONTACT, context_.env.RandomString(16), 1);
    rotate.set_grace_seconds(0);
    (void)co_await AwaitCallback<Result<std::uint64_t>>([&](net::Callback<std::uint64_t> done) {
      transport_->RotateToken(mailbox->relay, mailbox->id(), rotate, std::move(done));
    });
  }
  Batch batch(*store_);
  {
    store::ScopedSignalBatch attach(*signal_store_, batch.txn());
    const crypto::Address address = ContactAddress(contact_id);
    if (auto deleted = signal_store_->DeleteSession(address); !deleted.ok()) {
      co_return deleted.status();
    }
    TOCSIN_CO_RETURN_IF_ERROR(signal_store_->ClearIdentity(address));
  }
  auto groups = group_service_->ForgetContact(batch, contact_id);
  if (!groups.ok()) co_return groups.status();
  for (std::uint64_t seq : pending_->Matching(
           [&](const client::PendingRecord& r) { return r.contact_id() == contact_id; })) {
    TOCSIN_CO_RETURN_IF_ERROR(pending_->StageRemove(batch, seq));
  }
  TOCSIN_CO_RETURN_IF_ERROR(contacts_->StageDelete(batch, contact_id));
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  // As RemoveMembers: a new key to the remaining members, the other senders told.
  const std::vector<std::string> removed{record.identity_key()};
  for (const auto& group_id : *groups) {
    (void)co_await group_service_->AfterRemoval(group_id, removed);
  }
  co_return Status::Ok();
}

Awaitable<Result<std::string>> ClientCore::SendPayload(std::string contact_id, std::string payload,
                                                       std::uint64_t ttl_ms) {
  PairwiseMessage message;
  message.contact_id = std::move(contact_id);
  message.payload = std::move(payload);
  message.ttl_ms = ttl_ms;
  co_return co_await pairwise_->Send(std::move(message));
}

}  // namespace tocsin::core
