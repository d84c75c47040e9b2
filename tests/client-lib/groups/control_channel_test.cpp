// Control payloads (sender keys, resend requests, receipts) are taken only from a
// pairwise session: the same payloads inside a group message, sent by an accepted
// sender of that group, are dropped, counted, and change nothing.
#include "client_test_util.h"
#include "core/hex.h"
#include "crypto/signal_group.h"
#include "groups/group_book.h"
#include "tocsin/alert.pb.h"

namespace tocsin::testing {
namespace {

std::string Bytes16(const std::string& hex) { return *core::FromHex(hex, 16); }

// A valid distribution of a sender key that exists nowhere: made in a batch that is
// never committed.
std::string ForgedDistribution(Client& sender) {
  return OnWorker<std::string>(sender, [&sender] {
    auto& context = sender.core().context();
    core::Batch batch(*context.store);
    store::ScopedSignalBatch attach(*context.signal_store, batch.txn());
    auto made = crypto::CreateSenderKeyDistribution(
        *context.store_context, crypto::SenderKeyName{"forged group id!", {"forged", 1}});
    REQUIRE(made.ok());
    return core::ToString(*made);
  });
}

// Sends `payload` to `group` as a group message, past the public API's refusal of
// reserved payloads (what a modified client could do).
void SendRawGroupPayload(Client& sender, const GroupId& group, const app::Payload& payload) {
  auto sent = sender.core().Run<std::string>(
      [&sender, id = Bytes16(group), bytes = payload.SerializeAsString()] {
        return sender.core().groups().Send(id, bytes, 0);
      });
  REQUIRE(sent.ok());
}

// The member's stored sender key of `sender` (a contact id in hex) for `group`.
std::optional<std::string> SenderKeyRecord(Client& member, const std::string& group,
                                           const ContactId& sender) {
  return OnWorker<std::optional<std::string>>(member, [&] {
    auto& context = member.core().context();
    auto record = context.signal_store->LoadSenderKey(
        groups::ContactSenderKeyName(Bytes16(group), Bytes16(sender)));
    REQUIRE(record.ok());
    if (!record->has_value()) return std::optional<std::string>();
    return std::optional<std::string>(core::ToString(**record));
  });
}

TEST_CASE("sender keys and resend requests inside a group message are dropped",
          "[groups][relay][security]") {
  auto relay = StartRelay();
  TempFolder folder;
  const std::vector<RelaySpec> relays{SpecOf(*relay)};
  auto owner = Take(Client::Create(folder.path() / "o", TestPassphrase(), relays, FastOptions()));
  auto member = Take(Client::Create(folder.path() / "m", TestPassphrase(), relays, FastOptions()));
  EventLog owner_log(*owner);
  EventLog member_log(*member);
  const Pair pair = Introduce(*owner, owner_log, *member, member_log);
  const GroupId group = Take(owner->CreateGroup("responders", {pair.b_at_a}));
  Check(member->JoinGroup(group, "responders", {pair.a_at_b}));
  Take(owner->SendGroupText(group, "key works"));
  REQUIRE(member_log.WaitForText("key works"));

  // A second group in which the member accepts the owner, who never sent a key for it.
  const GroupId other = core::ToHex(std::string(16, '\x42'));
  Check(member->JoinGroup(other, "other", {pair.a_at_b}));
  REQUIRE_FALSE(SenderKeyRecord(*member, other, pair.a_at_b));
  const auto own_key_before = SenderKeyRecord(*member, group, pair.a_at_b);
  REQUIRE(own_key_before);
  const core::ReceiverStats before = Stats(*member);

  app::Payload distribution;
  distribution.mutable_sender_key_distribution()->set_group_id(Bytes16(other));
  distribution.mutable_sender_key_distribution()->set_distribution(ForgedDistribution(*owner));
  SendRawGroupPayload(*owner, group, distribution);
  app::Payload resend;
  resend.mutable_resend_request()->set_group_id(Bytes16(group));
  resend.mutable_resend_request()->add_message_ids(std::string(16, '\x01'));
  SendRawGroupPayload(*owner, group, resend);
  app::Payload receipt;
  receipt.mutable_receipt()->add_message_ids(std::string(16, '\x02'));
  SendRawGroupPayload(*owner, group, receipt);

  REQUIRE(WaitUntil([&] { return Stats(*member).misplaced_control == 3; }));
  const core::ReceiverStats after = Stats(*member);
  CHECK(after.dropped == before.dropped + 3);
  CHECK(after.delivered == before.delivered);
  // No key appeared for the other group, and the owner's key for this one is as it was.
  CHECK_FALSE(SenderKeyRecord(*member, other, pair.a_at_b));
  CHECK(SenderKeyRecord(*member, group, pair.a_at_b) == own_key_before);
  CHECK(member_log.Count(EventKind::kGroupInvite) == 0);

  // The same distribution over the pairwise session is taken (the positive control).
  auto sent = owner->core().Run<std::string>([&] {
    core::PairwiseMessage message{
        Bytes16(pair.b_at_a), distribution.SerializeAsString(), "", "", 0, false};
    return owner->core().pairwise().Send(std::move(message));
  });
  REQUIRE(sent.ok());
  REQUIRE(WaitUntil([&] { return SenderKeyRecord(*member, other, pair.a_at_b).has_value(); }));
  CHECK(Stats(*member).misplaced_control == 3);

  // The group goes on: the next real message decrypts.
  Take(owner->SendGroupText(group, "still fine"));
  REQUIRE(member_log.WaitForText("still fine"));
}

}  // namespace
}  // namespace tocsin::testing
