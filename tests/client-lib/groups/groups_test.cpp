// Sender-key groups through real relays: a message ahead of its key, 50 clients, added
// and removed members.
#include "group_test_util.h"

namespace tocsin::testing {
namespace {

std::size_t PendingCount(Client& client) {
  return OnWorker<std::size_t>(client,
                               [&client] { return client.core().context().pending->all().size(); });
}

TEST_CASE(
    "a group message ahead of its sender key waits in pending until the key comes "
    "through the other relay",
    "[groups][relay]") {
  auto r1 = StartRelay();
  auto r2 = StartRelay();
  TempFolder folder;
  HookedTransports hooks;
  const std::vector<RelaySpec> relays{SpecOf(*r1), SpecOf(*r2)};
  hooks.Next("owner");
  auto owner = Take(Client::Create(folder.path() / "o", TestPassphrase(), relays, FastOptions()));
  hooks.Next("member");
  auto member = Take(Client::Create(folder.path() / "m", TestPassphrase(), relays, FastOptions()));
  EventLog owner_log(*owner);
  EventLog member_log(*member);
  const Pair pair = Introduce(*owner, owner_log, *member, member_log);

  // The member's relay 1 will hand over only group messages; relay 2 nothing, for now.
  HookedTransport& links = hooks["member"];
  const RelayAddress first = r1->address();
  const RelayAddress second = r2->address();
  links.Hold([&](const net::IncomingDelivery& d) {
    return (d.relay == first && IsPairwise(d)) || d.relay == second;
  });
  const GroupId group = Take(owner->CreateGroup("responders", {pair.b_at_a}));
  Check(member->JoinGroup(group, "responders", {pair.a_at_b}));
  Take(owner->SendGroupText(group, "early bird"));
  REQUIRE(WaitUntil([&] { return Stats(*member).parked == 1; }));
  CHECK(PendingCount(*member) == 1);
  CHECK(CountText(member_log, "early bird") == 0);

  // The sender key arrives through relay 2: the parked message is decrypted.
  links.ReleaseWhere([&](const net::IncomingDelivery& d) { return d.relay == second; });
  const bool came = member_log.WaitForText("early bird");
  const auto stats = Stats(*member);
  INFO("member: received " << stats.received << " delivered " << stats.delivered << " dup "
                           << stats.duplicates << " dropped " << stats.dropped << " parked "
                           << stats.parked << " resend requests " << stats.resend_requests
                           << " held " << links.held() << " owner outbox " << OutboxSize(*owner));
  REQUIRE(came);
  auto event = member_log.Find([](const Event& e) { return e.text && *e.text == "early bird"; });
  CHECK(event->group == group);
  CHECK(event->contact == pair.a_at_b);
  REQUIRE(WaitUntil([&] { return PendingCount(*member) == 0; }));
  links.Release();
  Take(owner->SendGroupText(group, "second"));
  REQUIRE(member_log.WaitForText("second"));
  CHECK(CountText(member_log, "early bird") == 1);
  CHECK(CountText(member_log, "second") == 1);
}

TEST_CASE("a member whose sender key never came asks for a resend and gets the message once",
          "[groups][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  HookedTransports hooks;
  const std::vector<RelaySpec> relays{SpecOf(*relay)};
  auto owner = Take(Client::Create(folder.path() / "o", TestPassphrase(), relays, FastOptions()));
  ClientOptions impatient = FastOptions();
  impatient.resend_after = 1s;
  hooks.Next("member");
  auto member = Take(Client::Create(folder.path() / "m", TestPassphrase(), relays, impatient));
  EventLog owner_log(*owner);
  EventLog member_log(*member);
  const Pair pair = Introduce(*owner, owner_log, *member, member_log);

  // The first sender key is lost on the way (held forever); the group message is not.
  HookedTransport& links = hooks["member"];
  links.Hold(IsPairwise);
  const GroupId group = Take(owner->CreateGroup("responders", {pair.b_at_a}));
  Check(member->JoinGroup(group, "responders", {pair.a_at_b}));
  Take(owner->SendGroupText(group, "resend me"));
  REQUIRE(WaitUntil([&] { return Stats(*member).parked == 1; }));
  links.Hold(nullptr);  // what comes from now on passes; the lost key stays lost

  // After resend_after, the member asks; the owner sends its key and the message again.
  REQUIRE(member_log.WaitForText("resend me"));
  REQUIRE(WaitUntil([&] { return PendingCount(*member) == 0; }));
  REQUIRE(WaitOutboxEmpty(*owner));
  CHECK(CountText(member_log, "resend me") == 1);
  Take(owner->SendGroupText(group, "after the resend"));
  REQUIRE(member_log.WaitForText("after the resend"));
}

struct Member {
  std::unique_ptr<Client> client;
  std::unique_ptr<EventLog> log;
  ContactId at_owner;  // its id in the owner's contacts
  ContactId owner;     // the owner's id in its contacts
};

// `member` accepts the owner's key for `group` when the owner's invite comes.
void JoinOnInvite(Member& member, const GroupId& group) {
  REQUIRE(member.log->WaitFor(
      [&](const Event& e) { return e.kind == EventKind::kGroupInvite && e.group == group; }));
  auto invite = member.log->Find(
      [&](const Event& e) { return e.kind == EventKind::kGroupInvite && e.group == group; });
  member.owner = invite->contact;
  Check(member.client->JoinGroup(group, "zone 4", {member.owner}));
}

TEST_CASE("a group of 50 clients: an added member receives, a removed one cannot decrypt",
          "[groups][relay][slow]") {
  constexpr int kMembers = 49;
  auto relay = StartRelay();
  TempFolder folder;
  HookedTransports hooks;
  const RelaySpec spec{relay->address().ToString(), Invite(*relay, kMembers + 2)};
  hooks.Next("owner");
  auto owner =
      Take(Client::Create(folder.path() / "owner", TestPassphrase(), {spec}, FastOptions()));
  EventLog owner_log(*owner);
  std::vector<Member> members(kMembers);
  for (int i = 0; i < kMembers; ++i) {
    hooks.Next(i == 1 ? "stays" : "members");
    members[i].client =
        Take(Client::Create(folder.path() / std::string("m").append(std::to_string(i)),
                            TestPassphrase(), {spec}, FastOptions()));
    members[i].log = std::make_unique<EventLog>(*members[i].client);
    members[i].at_owner = Take(owner->AddContact(Take(members[i].client->MyCard("member"))));
  }
  std::vector<ContactId> first_ones;
  for (int i = 0; i + 1 < kMembers; ++i) first_ones.push_back(members[i].at_owner);
  const GroupId group = Take(owner->CreateGroup("zone 4", first_ones));
  for (int i = 0; i + 1 < kMembers; ++i) JoinOnInvite(members[i], group);
  Take(owner->SendGroupText(group, "first"));
  for (int i = 0; i + 1 < kMembers; ++i) REQUIRE(members[i].log->WaitForText("first"));

  // Added: the last member gets the current key and what follows.
  Member& added = members[kMembers - 1];
  Check(owner->AddMembers(group, {added.at_owner}));
  JoinOnInvite(added, group);
  Take(owner->SendGroupText(group, "second"));
  REQUIRE(added.log->WaitForText("second"));
  CHECK(CountText(*added.log, "first") == 0);
  for (int i = 0; i + 1 < kMembers; ++i) REQUIRE(members[i].log->WaitForText("second"));

  // Removed: the owner starts a new key, which the removed member never gets.
  Member& removed = members[0];
  Member& stays = members[1];
  Check(owner->RemoveMembers(group, {removed.at_owner}));
  const auto groups = Take(owner->Groups());
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].members.size() == static_cast<std::size_t>(kMembers - 1));
  // One member who stays holds the group message back, to try it first as the removed
  // one does.
  hooks["stays"].Hold([](const net::IncomingDelivery& d) { return !IsPairwise(d); });
  Take(owner->SendGroupText(group, "third"));
  for (int i = 2; i < kMembers; ++i) REQUIRE(members[i].log->WaitForText("third"));
  REQUIRE(WaitUntil([&] { return hooks["stays"].held() == 1; }));
  CHECK(CountText(*removed.log, "third") == 0);

  // Handed the new ciphertext directly, the removed member cannot decrypt it, while the
  // member who stayed decrypts the same bytes on the same code path.
  const auto fan_outs = hooks["owner"].fan_outs();
  REQUIRE(!fan_outs.empty());
  const auto& last = fan_outs.back();
  CHECK_FALSE(Addressed(last, *removed.client));
  const std::string ciphertext = OpenGroupCiphertext(*stays.client, last);
  // (once the new key, sent pairwise, is in)
  REQUIRE(WaitUntil(
      [&] { return TryGroupDecrypt(*stays.client, group, stays.owner, ciphertext) == Code::kOk; }));
  CHECK(TryGroupDecrypt(*removed.client, group, removed.owner, ciphertext) != Code::kOk);
  // Tried without a trace: the member who stayed still takes the message once.
  hooks["stays"].Release();
  REQUIRE(stays.log->WaitForText("third"));
  CHECK(CountText(*stays.log, "third") == 1);
}

}  // namespace
}  // namespace tocsin::testing
