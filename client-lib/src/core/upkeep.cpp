// Upkeep: pre-keys published and topped up, delivery tokens registered, keys rotated,
// old state pruned, relay link states reported.
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>

#include "core/client_core.h"
#include "core/hex.h"
#include "crypto/signal_keys.h"

namespace tocsin::core {
namespace {

constexpr std::uint32_t kPrekeyTarget = 100;  // top up to this many one-time pre-keys
constexpr std::uint32_t kPrekeyLow = 20;      // when fewer are left
constexpr std::size_t kTokensPerRequest = 200;
constexpr std::uint64_t kSlowUpkeepMs = 3600 * 1000;

LinkState ToApi(net::LinkState state) {
  switch (state) {
    case net::LinkState::kConnected:
      return LinkState::kConnected;
    case net::LinkState::kFailing:
      return LinkState::kFailing;
    default:
      return LinkState::kConnecting;
  }
}

wire::SignedPrekey ToWire(const client::SignedPrekeyRecord& record) {
  wire::SignedPrekey out;
  out.set_id(record.id());
  crypto::PublicKey key{};
  std::copy(record.public_key().begin(), record.public_key().end(), key.begin());
  out.set_public_key(ToString(crypto::SerializePublicKey(key)));
  out.set_signature(record.signature());
  return out;
}

}  // namespace

Awaitable<void> ClientCore::Exclusive(std::set<std::uint32_t>& busy, std::uint32_t index) {
  asio::steady_timer wait(*worker_io_);
  while (busy.count(index) != 0) {
    wait.expires_after(std::chrono::milliseconds(10));
    (void)co_await wait.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
  busy.insert(index);
}

void ClientCore::OnRelayState(const RelayAddress& relay, net::LinkState state, Status status) {
  relay_states_[relay.ToString()] = {state, status};
  Event event;
  event.kind = EventKind::kRelayState;
  event.time_ms = context_.env.NowMs();
  event.relay = relay.ToString();
  event.link_state = ToApi(state);
  event.error = status;
  dispatcher_->Push(std::move(event));
  if (state != net::LinkState::kConnected) return;
  for (const auto& mailbox : mailboxes_->all()) {
    if (mailbox.relay == relay) {
      asio::co_spawn(*worker_io_, MailboxUpkeep(mailbox.record.index()), asio::detached);
    }
  }
  if (outbox_) outbox_->RetryNow();
}

Awaitable<void> ClientCore::MailboxUpkeep(std::uint32_t index) {
  (void)co_await PublishPrekeys(index, false);
  (void)co_await RegisterTokens(index);
}

void ClientCore::CheckPrekeysIfDue() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_prekey_check_) return;
  next_prekey_check_ = now + options_.prekey_check_interval;
  for (const auto& mailbox : mailboxes_->all()) {
    const std::uint32_t index = mailbox.record.index();
    if (transport_->State(mailbox.relay) != net::LinkState::kConnected) continue;
    // A token registration that failed while the link stayed up (a timeout) is tried
    // again here, not only at the next reconnect; with nothing waiting it is a no-op.
    if (registering_.count(index) == 0) {
      asio::co_spawn(*worker_io_, RegisterTokens(index), asio::detached);
    }
    // Bundles are taken while the link stays up: count them without waiting for a
    // reconnect. A check already running for the mailbox is enough.
    if (publishing_.count(index) != 0) continue;
    asio::co_spawn(*worker_io_, PublishPrekeys(index, true), asio::detached);
  }
}

Awaitable<Status> ClientCore::PublishPrekeys(std::uint32_t index, bool count_only) {
  // One at a time per mailbox: two runs would hand out the same pre-key ids.
  co_await Exclusive(publishing_, index);
  ExclusiveGuard guard(publishing_, index);
  const OwnMailbox* mailbox = mailboxes_->Find(index);
  if (mailbox == nullptr) co_return Status::NotFound("no such mailbox");
  const RelayAddress relay = mailbox->relay;
  const net::MailboxId id = mailbox->id();
  const std::uint32_t signed_id = keys_->signed_prekey().id();
  wire::PutPrekeys request;
  request.set_registration_id(keys_->registration_id());
  request.set_device_id(1);
  if (!count_only || mailbox->record.published_signed_prekey_id() != signed_id) {
    *request.mutable_signed_prekey() = ToWire(keys_->signed_prekey());
  }
  auto left = co_await AwaitCallback<Result<std::uint32_t>>([&](net::Callback<std::uint32_t> done) {
    transport_->PutPrekeys(relay, id, request, std::move(done));
  });
  if (!left.ok()) co_return left.status();
  client::OwnMailbox record = mailboxes_->Find(index)->record;
  const bool top_up = *left < kPrekeyLow;
  if (!top_up && record.published_signed_prekey_id() == signed_id) co_return Status::Ok();
  record.set_published_signed_prekey_id(signed_id);
  Batch batch(*store_);
  std::vector<crypto::PreKey> prekeys;
  if (top_up) {
    auto made = keys_->MakeOneTimePrekeys(batch, record, kPrekeyTarget - *left);
    if (!made.ok()) co_return made.status();
    prekeys = std::move(made).value();
  }
  TOCSIN_CO_RETURN_IF_ERROR(mailboxes_->Stage(batch, record));
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());  // private halves stored before publishing
  if (prekeys.empty()) co_return Status::Ok();
  wire::PutPrekeys more;
  more.set_registration_id(keys_->registration_id());
  more.set_device_id(1);
  for (const auto& prekey : prekeys) {
    auto* out = more.add_one_time();
    out->set_id(prekey.id);
    out->set_public_key(ToString(crypto::SerializePublicKey(prekey.public_key)));
  }
  auto stored =
      co_await AwaitCallback<Result<std::uint32_t>>([&](net::Callback<std::uint32_t> done) {
        transport_->PutPrekeys(relay, id, more, std::move(done));
      });
  co_return stored.ok() ? Status::Ok() : stored.status();
}

Awaitable<Status> ClientCore::RegisterTokens(std::uint32_t index) {
  co_await Exclusive(registering_, index);
  ExclusiveGuard guard(registering_, index);
  std::vector<std::string> reopened;
  Status status = co_await RegisterWaitingTokens(index, &reopened);
  // Until this mailbox's tokens get through, reply addresses go out without it.
  if (pairwise_) pairwise_->SetRegistrationFailed(index, !status.ok());
  if (context_.announce) {
    for (const auto& id : reopened) context_.announce(id);
  }
  co_return status;
}

Awaitable<Status> ClientCore::RegisterWaitingTokens(std::uint32_t index,
                                                    std::vector<std::string>* reopened) {
  for (;;) {
    const OwnMailbox* mailbox = mailboxes_->Find(index);
    if (mailbox == nullptr) co_return Status::NotFound("no such mailbox");
    std::vector<client::ContactRecord> waiting;
    std::vector<wire::TokenEntry> entries;
    for (const client::ContactRecord* contact : contacts_->All()) {
      for (const auto& given : contact->given_tokens()) {
        if (given.mailbox_index() != index || given.registered()) continue;
        waiting.push_back(*contact);
        entries.push_back(TokenEntryFor(wire::CONTACT, given.token()));
      }
      if (entries.size() >= kTokensPerRequest) break;
    }
    if (entries.empty()) co_return Status::Ok();
    const RelayAddress relay = mailbox->relay;
    const net::MailboxId id = mailbox->id();
    auto set =
        co_await AwaitCallback<Result<std::uint32_t>>([&](net::Callback<std::uint32_t> done) {
          transport_->SetTokens(relay, id, entries, std::move(done));
        });
    if (!set.ok() && set.status().code() != Code::kQuotaExceeded) co_return set.status();
    std::string shared;
    if (!set.ok()) {
      // The relay holds no more tokens for this mailbox: these contacts share one.
      client::OwnMailbox record = mailboxes_->Find(index)->record;
      if (!record.shared_contact_token_registered()) {
        if (record.shared_contact_token().empty()) {
          record.set_shared_contact_token(context_.env.RandomString(16));
        }
        auto one =
            co_await AwaitCallback<Result<std::uint32_t>>([&](net::Callback<std::uint32_t> d) {
              transport_->SetTokens(relay, id,
                                    {TokenEntryFor(wire::CONTACT, record.shared_contact_token())},
                                    std::move(d));
            });
        if (!one.ok()) co_return one.status();
        record.set_shared_contact_token_registered(true);
        Batch batch(*store_);
        TOCSIN_CO_RETURN_IF_ERROR(mailboxes_->Stage(batch, record));
        TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
      }
      shared = record.shared_contact_token();
    }
    Batch batch(*store_);
    for (auto& contact : waiting) {
      const client::ContactRecord* current = contacts_->Find(contact.contact_id());
      if (current == nullptr) continue;
      client::ContactRecord updated = *current;
      for (auto& given : *updated.mutable_given_tokens()) {
        if (given.mailbox_index() != index) continue;
        if (!shared.empty()) {
          given.set_token(shared);
          given.set_shared(true);
        }
        given.set_registered(true);
      }
      if (!updated.announce()) {
        // Our addresses went out without this mailbox (its relay was unreachable then).
        updated.set_announce(true);
        reopened->push_back(updated.contact_id());
      }
      TOCSIN_CO_RETURN_IF_ERROR(contacts_->Stage(batch, updated));
    }
    TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  }
}

Awaitable<void> ClientCore::Announce(std::string contact_id) {
  for (const auto& mailbox : mailboxes_->all()) {
    (void)co_await RegisterTokens(mailbox.record.index());
  }
  const client::ContactRecord* contact = contacts_->Find(contact_id);
  if (contact == nullptr || !contact->announce()) co_return;
  PairwiseMessage message;
  message.contact_id = contact_id;
  message.report_undelivered = false;  // an empty Payload: addresses and keys only
  (void)co_await pairwise_->Send(std::move(message));
}

void ClientCore::ScheduleMaintenance() {
  if (!maintenance_timer_) maintenance_timer_ = std::make_unique<asio::steady_timer>(*worker_io_);
  maintenance_timer_->expires_after(options_.maintenance_interval);
  maintenance_timer_->async_wait([this](const asio::error_code& error) {
    if (error || closed_.load()) return;
    asio::co_spawn(*worker_io_, Maintenance(), [this](std::exception_ptr) {
      if (!closed_.load()) ScheduleMaintenance();
    });
  });
}

Status ClientCore::RotateKeys() {
  Batch batch(*store_);
  auto envelope = keys_->RotateEnvelopeKeyIfDue(batch, ToMs(options_.envelope_key_rotation));
  if (!envelope.ok()) return envelope.status();
  auto signed_prekey = keys_->RotateSignedPrekeyIfDue(batch, ToMs(options_.signed_prekey_rotation));
  if (!signed_prekey.ok()) return signed_prekey.status();
  auto pruned = keys_->PruneRetired(batch, context_.RetentionMs());
  if (!pruned.ok()) return pruned.status();
  if (!*envelope && !*signed_prekey && !*pruned) return Status::Ok();
  std::vector<std::string> announce;
  if (*envelope) {
    for (const client::ContactRecord* contact : contacts_->All()) {
      client::ContactRecord updated = *contact;
      updated.set_announce(true);
      TOCSIN_RETURN_IF_ERROR(contacts_->Stage(batch, updated));
      announce.push_back(contact->contact_id());
    }
  }
  TOCSIN_RETURN_IF_ERROR(batch.Commit());
  if (*pruned) {
    // Wiped keys must leave the files too, not wait for RocksDB to compact some day.
    // Used one-time pre-keys (deleted by libsignal as they are used) go with them.
    TOCSIN_RETURN_IF_ERROR(store_->CompactColumns(
        {store::Column::kIdentity, store::Column::kSignedPreKeys, store::Column::kPreKeys}));
  }
  if (*signed_prekey) {
    for (const auto& mailbox : mailboxes_->all()) {
      asio::co_spawn(*worker_io_, MailboxUpkeep(mailbox.record.index()), asio::detached);
    }
  }
  for (const auto& id : announce) context_.announce(id);
  return Status::Ok();
}

Status ClientCore::ExpirePending() {
  const std::uint64_t now = context_.env.NowMs();
  const auto expired =
      pending_->Matching([&](const client::PendingRecord& r) { return r.expires_ms() <= now; });
  if (expired.empty()) return Status::Ok();
  Batch batch(*store_);
  for (std::uint64_t seq : expired) TOCSIN_RETURN_IF_ERROR(pending_->StageRemove(batch, seq));
  return batch.Commit();
}

Status ClientCore::ReportUnconfirmed() {
  std::vector<client::SentRecord> due;
  for (auto& sent : inbox_->Unconfirmed(context_.env.NowMs())) {
    // While a relay is still being tried, the outbox decides (no relay stored it: it
    // reports, and forgets this record).
    if (outbox_->CountFor(sent.message_id()) == 0) due.push_back(std::move(sent));
  }
  if (due.empty()) return Status::Ok();
  Batch batch(*store_);
  for (const auto& sent : due) {
    client::EventRecord event;
    event.set_kind(client::UNDELIVERED);
    event.set_contact_id(sent.contact_id());
    event.set_message_id(sent.message_id());
    event.set_sent_ms(sent.sent_ms());
    event.set_relay_stored(true);
    TOCSIN_RETURN_IF_ERROR(inbox_->StageEvent(batch, event));
    TOCSIN_RETURN_IF_ERROR(inbox_->StageForgetSent(batch, sent.message_id()));
  }
  return batch.Commit();
}

Awaitable<void> ClientCore::Maintenance() {
  (void)RotateKeys();
  (void)ExpirePending();
  (void)ReportUnconfirmed();
  CheckPrekeysIfDue();
  co_await group_service_->RequestResends();
  const std::uint64_t now = context_.env.NowMs();
  if (now < last_slow_upkeep_ms_ + kSlowUpkeepMs) co_return;
  last_slow_upkeep_ms_ = now;
  const std::uint64_t keep_seen = ToMs(options_.ttl_cap) + kMsPerDay;
  if (now > keep_seen) (void)seen_->Prune(now - keep_seen);
  (void)inbox_->PruneSent();
  const std::uint64_t retention = ToMs(options_.content_retention);
  if (now > retention) (void)inbox_->PurgeBefore(now - retention);
  for (const client::ContactRecord* contact : contacts_->All()) {
    if (contact->announce() && contact->origin() == client::REQUESTED) {
      context_.announce(contact->contact_id());
    }
  }
}

}  // namespace tocsin::core
