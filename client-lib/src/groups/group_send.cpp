// The sending half of groups: fan-out, sender-key distribution, resends.
#include <asio/detached.hpp>
#include <map>
#include <set>

#include "core/clock_offset.h"
#include "core/contacts.h"
#include "core/crash_points.h"
#include "core/device_keys.h"
#include "core/hex.h"
#include "core/inbox.h"
#include "core/outbox.h"
#include "core/received.h"
#include "core/records.h"
#include "crypto/sealed_sender.h"
#include "crypto/signal_group.h"
#include "groups/group_service.h"

namespace tocsin::groups {
namespace {

// Pairwise sends staged per batch when a key goes to many members at once: one synced
// write for many outbox rows.
constexpr std::size_t kDistributionsPerBatch = 200;

crypto::PublicKey EnvelopeKeyOf(const client::ContactRecord& contact) {
  crypto::PublicKey key{};
  std::copy_n(contact.envelope_key().public_key().begin(), key.size(), key.begin());
  return key;
}

}  // namespace

Result<envelope::SealedContent> GroupService::EncryptForGroup(core::Batch& batch,
                                                              const client::GroupRecord& group,
                                                              const std::string& payload,
                                                              const std::string& message_id) {
  store::ScopedSignalBatch attach(*context_.signal_store, batch.txn());
  const crypto::SenderKeyName own = OwnSenderKeyName(group);
  auto cipher = crypto::GroupCipher::Create(*context_.store_context, own);
  if (!cipher.ok()) return cipher.status();
  auto ciphertext = cipher->Encrypt(core::Bytes(payload));
  if (!ciphertext.ok() && ciphertext.status().code() == Code::kNotFound) {
    auto created = crypto::CreateSenderKeyDistribution(*context_.store_context, own);
    if (!created.ok()) return created.status();
    ciphertext = cipher->Encrypt(core::Bytes(payload));
  }
  if (!ciphertext.ok()) return ciphertext.status();
  envelope::SealedContent content;
  content.set_sender_identity_key(core::ToString(context_.keys->identity().public_key()));
  content.set_sender_device_id(1);
  content.set_type(envelope::SENDER_KEY_MESSAGE);
  content.set_group_id(group.group_id());
  content.set_message_id(message_id);
  content.set_counter(context_.keys->NextCounter(batch));
  content.set_timestamp_ms(context_.env.NowMs());
  content.set_sender_clock_offset_ms(core::OwnClockOffsetMs(context_.transport));
  content.set_ciphertext(core::ToString(ciphertext->bytes));
  return content;
}

Status GroupService::StageGroupMessage(core::Batch& batch, const client::GroupRecord& group,
                                       const std::string& payload, std::uint64_t ttl_ms,
                                       const std::string& message_id) {
  std::vector<const client::ContactRecord*> recipients;
  std::vector<crypto::PublicKey> keys;
  for (const auto& id : group.members()) {
    const client::ContactRecord* member = context_.contacts->Find(id);
    if (member == nullptr || !core::CheckSendable(member).ok()) continue;
    recipients.push_back(member);
    keys.push_back(EnvelopeKeyOf(*member));
  }
  if (recipients.empty()) return Status::Unavailable("no member of the group can be reached");
  auto content = EncryptForGroup(batch, group, payload, message_id);
  if (!content.ok()) return content.status();
  const store::Plaintext plain = core::Serialize(*content);
  crypto::SealV2Options options;
  options.threads = std::max(1u, context_.options.seal_threads);
  options.cache = context_.dh_cache;
  auto sealed = crypto::SealV2(context_.keys->identity(), keys, store::View(plain),
                               *context_.env.rng, options);
  if (!sealed.ok()) return sealed.status();
  const std::uint64_t now = context_.env.NowMs();
  std::map<std::string, client::OutboxRecord> rows;  // by relay
  const std::string blob = core::ToString(sealed->blob);
  // A member whose envelope key is a low-order point gets no view (SealV2 rejects it).
  const std::set<std::size_t> rejected(sealed->rejected.begin(), sealed->rejected.end());
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    if (rejected.count(i) != 0) continue;
    const std::string view = core::ToString(sealed->views[i]);
    for (const auto& address : recipients[i]->addresses()) {
      client::OutboxRecord& row = rows[address.relay()];
      auto* out = row.add_views();
      out->set_mailbox_id(address.mailbox_id());
      out->set_token(address.token());
      out->set_view(view);
      out->set_contact_id(recipients[i]->contact_id());
    }
  }
  std::vector<client::OutboxRecord> records;
  for (auto& [relay, row] : rows) {
    row.set_message_id(message_id);
    row.set_expires_ms(now + ttl_ms);
    row.set_ttl_seconds(static_cast<std::uint32_t>(ttl_ms / 1000));
    row.set_relay(relay);
    row.set_group_id(group.group_id());
    row.set_blob(blob);
    row.set_report_undelivered(true);
    records.push_back(std::move(row));
  }
  client::SentRecord sent;
  sent.set_message_id(message_id);
  sent.set_group_id(group.group_id());
  sent.set_payload(payload);
  sent.set_expires_ms(now + ttl_ms);
  sent.set_sent_ms(now);
  TOCSIN_RETURN_IF_ERROR(context_.inbox->StageSent(batch, sent));
  return context_.outbox->Stage(batch, std::move(records));
}

core::Awaitable<Result<std::string>> GroupService::Send(std::string group_id, std::string payload,
                                                        std::uint64_t ttl_ms) {
  const client::GroupRecord* group = context_.groups->Find(group_id);
  if (group == nullptr) co_return Status::NotFound("no such group");
  if (group->members().empty()) co_return Status::InvalidArgument("the group has no members");
  if (ttl_ms == 0) ttl_ms = core::ToMs(context_.options.default_ttl);
  const std::string message_id = context_.env.RandomString(16);
  core::Batch batch(*context_.store);
  TOCSIN_CO_RETURN_IF_ERROR(StageGroupMessage(batch, *group, payload, ttl_ms, message_id));
  TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  core::ReachCrashPoint(core::CrashPoint::kAfterOutboxCommit);
  co_return message_id;
}

Result<std::string> GroupService::OwnDistribution(const client::GroupRecord& group) {
  core::Batch batch(*context_.store);
  Result<std::vector<std::uint8_t>> distribution = Status::Internal("unset");
  {
    store::ScopedSignalBatch attach(*context_.signal_store, batch.txn());
    distribution =
        crypto::CreateSenderKeyDistribution(*context_.store_context, OwnSenderKeyName(group));
  }
  if (!distribution.ok()) return distribution.status();
  TOCSIN_RETURN_IF_ERROR(batch.Commit());
  app::Payload payload;
  payload.mutable_sender_key_distribution()->set_group_id(group.group_id());
  payload.mutable_sender_key_distribution()->set_distribution(core::ToString(*distribution));
  crypto::Wipe(distribution->data(), distribution->size());
  return payload.SerializeAsString();
}

core::Awaitable<Status> GroupService::Distribute(std::string group_id,
                                                 std::vector<std::string> members) {
  const client::GroupRecord* group = context_.groups->Find(group_id);
  if (group == nullptr) co_return Status::NotFound("no such group");
  auto payload = OwnDistribution(*group);
  if (!payload.ok()) co_return payload.status();
  // Sessions first (a pre-key bundle from the network for new ones), then the sends in
  // batches of many rows.
  std::vector<std::pair<std::string, std::optional<crypto::PreKeyBundle>>> ready;
  Status last = Status::Ok();
  for (const auto& id : members) {
    const client::ContactRecord* member = context_.contacts->Find(id);
    if (Status check = core::CheckSendable(member); !check.ok()) {
      last = check;
      continue;
    }
    auto bundle = co_await pairwise_.BundleIfNeeded(*member);
    if (!bundle.ok()) {
      last = bundle.status();
      continue;
    }
    ready.emplace_back(id, std::move(bundle).value());
  }
  for (std::size_t i = 0; i < ready.size(); i += kDistributionsPerBatch) {
    core::Batch batch(*context_.store);
    for (std::size_t j = i; j < std::min(ready.size(), i + kDistributionsPerBatch); ++j) {
      const client::ContactRecord* member = context_.contacts->Find(ready[j].first);
      if (member == nullptr) continue;
      core::PairwiseMessage message{ready[j].first, *payload, "", "", 0, false};
      auto staged = pairwise_.Stage(batch, *member, message, ready[j].second);
      if (!staged.ok()) last = staged.status();
    }
    TOCSIN_CO_RETURN_IF_ERROR(batch.Commit());
  }
  co_return last;
}

core::Awaitable<void> GroupService::Resend(std::string contact_id, std::string group_id,
                                           std::vector<std::string> message_ids) {
  std::vector<std::string> to{contact_id};
  (void)co_await Distribute(group_id, std::move(to));
  for (const auto& id : message_ids) {
    auto sent = context_.inbox->FindSent(id);
    if (!sent || sent->group_id() != group_id) continue;
    const std::uint64_t now = context_.env.NowMs();
    if (sent->expires_ms() <= now) continue;
    core::PairwiseMessage message{contact_id, sent->payload(),          id,
                                  group_id,   sent->expires_ms() - now, false};
    (void)co_await pairwise_.Send(std::move(message));
  }
}

core::Awaitable<void> GroupService::RequestResends() {
  const std::uint64_t now = context_.env.NowMs();
  const std::uint64_t after = core::ToMs(context_.options.resend_after);
  std::map<std::pair<std::string, std::string>, std::vector<std::uint64_t>> due;
  for (const auto& [seq, record] : context_.pending->all()) {
    if (record.reason() != client::NO_SENDER_KEY || record.resend_requested() ||
        record.received_ms() + after > now ||
        !context_.groups->IsAcceptedSender(record.group_id(), record.contact_id())) {
      continue;
    }
    due[{record.contact_id(), record.group_id()}].push_back(seq);
  }
  for (const auto& [key, seqs] : due) {
    app::Payload payload;
    payload.mutable_resend_request()->set_group_id(key.second);
    core::Batch batch(*context_.store);
    for (std::uint64_t seq : seqs) {
      client::PendingRecord record = context_.pending->all().at(seq);
      payload.mutable_resend_request()->add_message_ids(record.message_id());
      record.set_resend_requested(true);
      (void)context_.pending->StageUpdate(batch, seq, record);
    }
    if (!batch.Commit().ok()) continue;
    core::PairwiseMessage message{key.first, payload.SerializeAsString(), "", "", 0, false};
    (void)co_await pairwise_.Send(std::move(message));
  }
}

}  // namespace tocsin::groups
