// Removing a member makes every remaining sender of the group rotate: the remover
// starts a new sender key and tells the group's other senders, who start theirs.
#include "group_test_util.h"

namespace tocsin::testing {
namespace {

// A card's intro token takes one pre-key bundle; here several devices use each card.
std::unique_ptr<RelayProcess> StartSharedCardRelay() {
  return StartRelay({{"tokens.intro.max_prekey_fetches", "0"}});
}

Device Make(HookedTransports& hooks, const std::string& label, const std::filesystem::path& dir,
            const RelaySpec& spec) {
  hooks.Next(label);
  Device device;
  device.client = Take(Client::Create(dir / label, TestPassphrase(), {spec}, FastOptions()));
  device.log = std::make_unique<EventLog>(*device.client);
  return device;
}

std::vector<ContactId> MembersOf(Client& client, const GroupId& group) {
  for (const auto& info : Take(client.Groups())) {
    if (info.id == group) return info.members;
  }
  return {};
}

TEST_CASE("a member removed by one sender cannot read what any sender of the group sends next",
          "[groups][relay]") {
  auto relay = StartSharedCardRelay();
  TempFolder folder;
  HookedTransports hooks;
  const RelaySpec spec{relay->address().ToString(), Invite(*relay, 10)};
  Device a = Make(hooks, "a", folder.path(), spec);  // the group's first sender
  Device b = Make(hooks, "b", folder.path(), spec);  // its second sender
  Device c = Make(hooks, "c", folder.path(), spec);  // a member who stays
  Device r = Make(hooks, "r", folder.path(), spec);  // the member to be removed
  const Pair ab = Connect(*a.client, *a.log, *b.client, *b.log, "ab");
  const Pair ac = Connect(*a.client, *a.log, *c.client, *c.log, "ac");
  const Pair ar = Connect(*a.client, *a.log, *r.client, *r.log, "ar");
  const Pair bc = Connect(*b.client, *b.log, *c.client, *c.log, "bc");
  const Pair br = Connect(*b.client, *b.log, *r.client, *r.log, "br");

  // A makes the group; B, C and R accept A; B sends to it too, and A, C and R accept B.
  const GroupId group = Take(a.client->CreateGroup("zone 4", {ab.b_at_a, ac.b_at_a, ar.b_at_a}));
  AcceptInvite(b, group, ab.a_at_b);
  AcceptInvite(c, group, ac.a_at_b);
  AcceptInvite(r, group, ar.a_at_b);
  Check(b.client->AddMembers(group, {ab.a_at_b, bc.b_at_a, br.b_at_a}));
  AcceptInvite(a, group, ab.b_at_a);
  AcceptInvite(c, group, bc.a_at_b);
  AcceptInvite(r, group, br.a_at_b);
  Take(a.client->SendGroupText(group, "from A, before"));
  Take(b.client->SendGroupText(group, "from B, before"));
  for (Device* member : {&c, &r}) {
    REQUIRE(member->log->WaitForText("from A, before"));
    REQUIRE(member->log->WaitForText("from B, before"));
  }

  // A removes R; B hears of it from A and removes R from its own audience.
  Check(a.client->RemoveMembers(group, {ar.b_at_a}));
  REQUIRE(WaitUntil([&] { return MembersOf(*b.client, group).size() == 2; }));
  CHECK(MembersOf(*b.client, group) == std::vector<ContactId>{ab.a_at_b, bc.b_at_a});
  CHECK(MembersOf(*c.client, group).empty());  // a member, not a sender: nothing to change

  // C holds the group messages back, so that it tries them first the way R does.
  hooks["c"].Hold([](const net::IncomingDelivery& d) { return !IsPairwise(d); });
  Take(a.client->SendGroupText(group, "from A, after"));
  Take(b.client->SendGroupText(group, "from B, after"));
  REQUIRE(WaitUntil([&] { return hooks["c"].held() == 2; }));
  struct Sent {
    Device* sender;
    ContactId at_c;
    ContactId at_r;
  };
  for (const Sent& sent : {Sent{&a, ac.a_at_b, ar.a_at_b}, Sent{&b, bc.a_at_b, br.a_at_b}}) {
    const auto fan_out = hooks[sent.sender == &a ? "a" : "b"].fan_outs().back();
    CHECK_FALSE(Addressed(fan_out, *r.client));
    const std::string ciphertext = OpenGroupCiphertext(*c.client, fan_out);
    // The same code path: C, who stayed, decrypts once the new key is in; R cannot.
    REQUIRE(WaitUntil(
        [&] { return TryGroupDecrypt(*c.client, group, sent.at_c, ciphertext) == Code::kOk; }));
    CHECK(TryGroupDecrypt(*r.client, group, sent.at_r, ciphertext) != Code::kOk);
  }
  hooks["c"].Release();
  REQUIRE(c.log->WaitForText("from A, after"));
  REQUIRE(c.log->WaitForText("from B, after"));
  CHECK(CountText(*r.log, "from A, after") == 0);
  CHECK(CountText(*r.log, "from B, after") == 0);
}

TEST_CASE("a removal notice from a contact who is not a sender of the group changes nothing",
          "[groups][relay][security]") {
  auto relay = StartSharedCardRelay();
  TempFolder folder;
  HookedTransports hooks;
  const RelaySpec spec{relay->address().ToString(), Invite(*relay, 10)};
  Device a = Make(hooks, "a", folder.path(), spec);  // a sender of the group
  Device x = Make(hooks, "x", folder.path(), spec);  // a member only, who tries to remove
  Device r = Make(hooks, "r", folder.path(), spec);
  const Pair ax = Connect(*a.client, *a.log, *x.client, *x.log, "ax");
  const Pair ar = Connect(*a.client, *a.log, *r.client, *r.log, "ar");
  const Pair xr = Connect(*x.client, *x.log, *r.client, *r.log, "xr");
  const GroupId group = Take(a.client->CreateGroup("zone 4", {ax.b_at_a, ar.b_at_a}));
  AcceptInvite(x, group, ax.a_at_b);
  AcceptInvite(r, group, ar.a_at_b);

  // X sends A a GroupRemoval naming R, pairwise, as a modified client could.
  const std::string r_identity = OnWorker<std::string>(*x.client, [&] {
    return x.client->core().context().contacts->Find(*core::FromHex(xr.b_at_a))->identity_key();
  });
  app::Payload notice;
  notice.mutable_group_removal()->set_group_id(*core::FromHex(group));
  notice.mutable_group_removal()->add_identity_keys(r_identity);
  auto sent = x.client->core().Run<std::string>([&] {
    core::PairwiseMessage message{
        *core::FromHex(ax.a_at_b), notice.SerializeAsString(), "", "", 0, false};
    return x.client->core().pairwise().Send(std::move(message));
  });
  REQUIRE(sent.ok());
  // A took it (its id is in A's seen ids) and did nothing with it.
  const std::string x_identity = core::ToString(x.client->core().identity_key());
  REQUIRE(WaitUntil([&] {
    return OnWorker<bool>(*a.client, [&] {
      auto& context = a.client->core().context();
      core::Batch batch(*context.store);
      auto seen = context.seen->Get(batch, x_identity, *sent);
      return seen.ok() && seen->has_value();
    });
  }));
  CHECK(MembersOf(*a.client, group).size() == 2);
  Take(a.client->SendGroupText(group, "R still reads"));
  REQUIRE(r.log->WaitForText("R still reads"));
}

TEST_CASE("a removed contact's tokens are revoked and it leaves our groups under a new key",
          "[groups][relay][contacts]") {
  auto relay = StartSharedCardRelay();
  TempFolder folder;
  HookedTransports hooks;
  const RelaySpec spec{relay->address().ToString(), Invite(*relay, 10)};
  Device a = Make(hooks, "a", folder.path(), spec);
  Device b = Make(hooks, "b", folder.path(), spec);  // to be removed
  Device c = Make(hooks, "c", folder.path(), spec);
  Device s = Make(hooks, "s", folder.path(), spec);  // a second sender of A's group
  const Pair ab = Connect(*a.client, *a.log, *b.client, *b.log, "ab");
  const Pair ac = Connect(*a.client, *a.log, *c.client, *c.log, "ac");
  const Pair as = Connect(*a.client, *a.log, *s.client, *s.log, "as");
  const Pair sb = Connect(*s.client, *s.log, *b.client, *b.log, "sb");
  const GroupId group = Take(a.client->CreateGroup("zone 4", {ab.b_at_a, ac.b_at_a, as.b_at_a}));
  AcceptInvite(b, group, ab.a_at_b);
  AcceptInvite(c, group, ac.a_at_b);
  AcceptInvite(s, group, as.a_at_b);
  Check(s.client->AddMembers(group, {as.a_at_b, sb.b_at_a}));
  AcceptInvite(a, group, as.b_at_a);
  AcceptInvite(b, group, sb.a_at_b);
  Take(a.client->SendGroupText(group, "before"));
  REQUIRE(b.log->WaitForText("before"));
  REQUIRE(c.log->WaitForText("before"));

  Check(a.client->RemoveContact(ab.b_at_a));
  for (const auto& contact : Take(a.client->Contacts())) CHECK(contact.id != ab.b_at_a);
  CHECK(MembersOf(*a.client, group) == std::vector<ContactId>{ac.b_at_a, as.b_at_a});
  // The group's other sender heard of it and dropped B from its own audience.
  REQUIRE(WaitUntil([&] { return MembersOf(*s.client, group).size() == 1; }));
  CHECK(MembersOf(*s.client, group) == std::vector<ContactId>{as.a_at_b});

  // B's token for A's mailbox no longer works: its message is refused by the relay.
  const MessageId refused = Take(b.client->SendText(ab.a_at_b, "let me back in"));
  REQUIRE(b.log->WaitFor([&](const Event& e) {
    return e.kind == EventKind::kUndelivered && e.message_id == refused;
  }));
  CHECK_FALSE(
      b.log->Find([&](const Event& e) { return e.message_id == refused; })->stored_on_relay);
  CHECK(CountText(*a.log, "let me back in") == 0);

  // A's next group message is under a new key: C decrypts it, B (handed it) cannot.
  hooks["c"].Hold([](const net::IncomingDelivery& d) { return !IsPairwise(d); });
  Take(a.client->SendGroupText(group, "after"));
  REQUIRE(WaitUntil([&] { return hooks["c"].held() == 1; }));
  const auto fan_out = hooks["a"].fan_outs().back();
  CHECK_FALSE(Addressed(fan_out, *b.client));
  const std::string ciphertext = OpenGroupCiphertext(*c.client, fan_out);
  REQUIRE(WaitUntil(
      [&] { return TryGroupDecrypt(*c.client, group, ac.a_at_b, ciphertext) == Code::kOk; }));
  CHECK(TryGroupDecrypt(*b.client, group, ab.a_at_b, ciphertext) != Code::kOk);
  hooks["c"].Release();
  REQUIRE(c.log->WaitForText("after"));
  CHECK(CountText(*b.log, "after") == 0);
}

}  // namespace
}  // namespace tocsin::testing
