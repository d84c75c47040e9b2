// Authorisation: signed views (every signed field tampered), stale views, views of
// another tree, infiltrators, revocation and a replaced phone. In-memory network.
#include "alerts/signed.h"
#include "tree_fixture.h"

namespace tocsin::testing {
namespace {

// A newer view of R1 than the one it holds (the roster changed since).
tree::Signed NewerViewOfR1(TreeFixture& f) {
  Check(f.d.logic->SetPolicy(f.tree, Policy(30s)));
  return SignedOf(ParseUpdate(Take(f.d.logic->ExportView(f.tree, f.r1.hex()))));
}

std::uint64_t HeldVersion(Device& device, const TreeId& tree) {
  return TreeOf(device, tree).version;
}

TEST_CASE("An AllClear from an infiltrator changes nothing and is flagged to the dispatcher") {
  TreeFixture f;
  const AlertId id = f.Dispatch();
  const auto& sent = f.d.port->alerts.begin()->second;
  app::Payload all_clear;
  *all_clear.mutable_all_clear()->mutable_ref() = sent.alert().ref();
  all_clear.mutable_all_clear()->mutable_ref()->set_sequence(99);
  SECTION("someone outside the tree") { f.net.Inject(f.x.key(), f.r1.key(), all_clear); }
  SECTION("a member whose key the view does not authorise") {
    f.net.Inject(f.r3.key(), f.r1.key(), all_clear);
  }
  f.net.Deliver();
  CHECK(AlertOf(f.r1, id).state == AlertState::kDispatched);
  REQUIRE(f.r1.Count(AlertEventKind::kSecurityFlag) == 1);
  CHECK(f.r1.Last(AlertEventKind::kSecurityFlag)->reason == "an unauthorised AllClear");
  REQUIRE(f.d.Count(AlertEventKind::kSecurityFlag) == 1);  // "someone tried"
  CHECK(f.d.Last(AlertEventKind::kSecurityFlag)->reason == "an unauthorised AllClear");
  CHECK(Take(f.d.logic->SecurityFlags(f.tree)).size() == 1);
  // The real AllClear still works afterwards (sequence 2 < 99 was never taken).
  Check(f.d.logic->SendAllClear(id, {{"es", "fin", ""}, {"en", "over", ""}}));
  f.net.Deliver();
  CHECK(AlertOf(f.r1, id).state == AlertState::kAllClear);
}

TEST_CASE("Lifecycle messages of every type from unauthorised keys are dropped") {
  TreeFixture f;
  const AlertId id = f.Dispatch();
  const auto& ref = f.d.port->alerts.begin()->second.alert().ref();
  app::Payload update, cancel, alert, request;
  *update.mutable_update()->mutable_ref() = ref;
  update.mutable_update()->set_stand_by(true);
  *cancel.mutable_cancel()->mutable_ref() = ref;
  *alert.mutable_alert() = f.d.port->alerts.begin()->second.alert();
  alert.mutable_alert()->mutable_ref()->set_alert_id(std::string(16, 'x'));
  *request.mutable_verify_request()->mutable_ref() = ref;
  for (auto* payload : {&update, &cancel, &alert, &request}) {
    f.net.Inject(f.x.key(), f.r1.key(), *payload);
  }
  f.net.Deliver();
  CHECK(f.r1.Count(AlertEventKind::kSecurityFlag) == 4);
  CHECK(AlertOf(f.r1, id).state == AlertState::kDispatched);
  CHECK_FALSE(AlertOf(f.r1, id).stand_by);
  CHECK(Take(f.r1.logic->Alerts("")).size() == 1);
}

TEST_CASE("A signed view with any field tampered is refused and flagged") {
  TreeFixture f;
  const std::uint64_t held = HeldVersion(f.r1, f.tree);
  tree::Signed good = NewerViewOfR1(f);
  tree::View body;
  REQUIRE(body.ParseFromString(good.body()));
  tree::Signed bad = good;
  SECTION("tree id") {
    body.set_tree_id(std::string(32, 'z'));
    bad.set_body(body.SerializeAsString());
  }
  SECTION("version") {
    body.set_version(body.version() + 10);
    bad.set_body(body.SerializeAsString());
  }
  SECTION("the member's entry") {
    body.mutable_member()->add_skills("attorney");
    bad.set_body(body.SerializeAsString());
  }
  SECTION("parent chain") {
    body.mutable_parent_chain(0)->set_card("TESTCARD:" + f.x.hex());
    bad.set_body(body.SerializeAsString());
  }
  SECTION("authorisation") {
    body.mutable_authorised()->add_all_clear(f.x.key());
    bad.set_body(body.SerializeAsString());
  }
  SECTION("groups") {
    body.mutable_groups(0)->add_senders(f.x.key());
    bad.set_body(body.SerializeAsString());
  }
  SECTION("policy") {
    body.mutable_policy()->set_ack_timeout_s(1);
    bad.set_body(body.SerializeAsString());
  }
  SECTION("signature bytes") {
    std::string signature = bad.signatures(0).signature();
    signature[5] ^= 1;
    bad.mutable_signatures(0)->set_signature(signature);
  }
  SECTION("admin index") { bad.mutable_signatures(0)->set_admin(1); }
  SECTION("unsigned") { bad.clear_signatures(); }
  SECTION("genesis (another admin set)") {
    tree::Genesis genesis;
    REQUIRE(genesis.ParseFromString(bad.genesis()));
    genesis.set_admins(0, f.x.key());
    bad.set_genesis(genesis.SerializeAsString());
  }
  SECTION("genesis threshold") {
    tree::Genesis genesis;
    REQUIRE(genesis.ParseFromString(bad.genesis()));
    genesis.set_threshold(2);
    bad.set_genesis(genesis.SerializeAsString());
  }
  f.net.Inject(f.d.key(), f.r1.key(), WithSigned(bad));
  f.net.Deliver();
  CHECK(HeldVersion(f.r1, f.tree) == held);
  CHECK(f.r1.Count(AlertEventKind::kSecurityFlag) == 1);
  // The untouched view is taken.
  f.net.Inject(f.d.key(), f.r1.key(), WithSigned(good));
  f.net.Deliver();
  CHECK(HeldVersion(f.r1, f.tree) > held);
}

TEST_CASE("An older view than the one held is refused") {
  TreeFixture f;
  tree::Signed older = SignedOf(ParseUpdate(Take(f.d.logic->ExportView(f.tree, f.r1.hex()))));
  tree::Signed newer = NewerViewOfR1(f);
  f.net.Inject(f.d.key(), f.r1.key(), WithSigned(newer));
  f.net.Deliver();
  const std::uint64_t held = HeldVersion(f.r1, f.tree);
  CHECK(f.r1.logic->AcceptUpdate(WithSigned(older).SerializeAsString()).code() == Code::kExpired);
  CHECK(HeldVersion(f.r1, f.tree) == held);
  CHECK(f.r1.Count(AlertEventKind::kSecurityFlag) == 1);
}

TEST_CASE("A view re-signed for another tree's genesis is refused") {
  TreeFixture f;
  // The infiltrator makes its own tree and signs a view claiming the real tree's id.
  const TreeId other = Take(f.x.logic->CreateTree(Spec("eastside")));
  Take(f.x.logic->AddMember(other, {.card = f.r1.card(), .name = "R1", .parent = f.x.hex()}));
  tree::Signed forged = SignedOf(ParseUpdate(Take(f.x.logic->ExportView(other, f.r1.hex()))));
  tree::View body;
  REQUIRE(body.ParseFromString(forged.body()));
  body.set_tree_id(*alerts::Unhex(f.tree, 32, "tree"));
  body.set_version(1000);
  body.mutable_authorised()->add_all_clear(f.x.key());
  forged.set_body(body.SerializeAsString());
  forged.clear_signatures();
  Check(alerts::AddSignature(forged, alerts::kViewLabel, 0,
                             [&](std::string_view m) { return f.x.port->Sign(m); }));
  const std::uint64_t held = HeldVersion(f.r1, f.tree);
  CHECK(f.r1.logic->AcceptUpdate(WithSigned(forged).SerializeAsString()).code() ==
        Code::kInvalidArgument);
  CHECK(HeldVersion(f.r1, f.tree) == held);
  CHECK(f.r1.Count(AlertEventKind::kSecurityFlag) == 1);
}

TEST_CASE("A view of an unknown tree from someone who is not its admin is refused") {
  TreeFixture f;
  const TreeId other = Take(f.x.logic->CreateTree(Spec("other")));
  Take(f.x.logic->AddMember(other, {.card = f.r1.card(), .name = "R1", .parent = f.x.hex()}));
  app::Payload update = ParseUpdate(Take(f.x.logic->ExportView(other, f.r1.hex())));
  f.net.Inject(f.r3.key(), f.r1.key(), update);  // relayed by a member, not the admin
  f.net.Deliver();
  CHECK(f.r1.logic->Tree(other).status().code() == Code::kNotFound);
}

TEST_CASE("A revoked member is out of every view and its messages no longer arrive") {
  TreeFixture f;
  const AlertId id = f.Dispatch();
  Check(f.d.logic->RemoveMember(f.tree, f.r3.hex()));
  f.net.Deliver();
  CHECK(f.c2.Count(AlertEventKind::kRevoked) == 1);
  CHECK(f.b2.Count(AlertEventKind::kRevoked) == 1);    // C2's branch is in its view
  CHECK(f.r1.Count(AlertEventKind::kRevoked) == 0);    // its view never mentioned R3
  CHECK(f.c2.port->forgotten.count(f.r3.key()) == 1);  // its tokens revoked
  CHECK(f.d.port->forgotten.count(f.r3.key()) == 1);
  for (const auto& member : TreeOf(f.c2, f.tree).members) {
    CHECK(member.key != f.r3.hex());
  }
  Check(f.r3.logic->Ack(id, {.kind = AckKind::kResponding}));
  f.net.Deliver();
  CHECK(f.d.Count(AlertEventKind::kAck) == 0);
  CHECK(f.d.logic->AddMember(f.tree, {.card = f.r3.card(), .name = "R3", .parent = f.c2.hex()})
            .status()
            .code() == Code::kInvalidArgument);
}

// The revocation among what `key` missed while it was off, as AcceptUpdate takes it.
std::string LostRevocation(FakeNet& net, const std::string& key) {
  for (const auto& payload : net.Lost(key)) {
    if (payload.has_tree_update() && !payload.tree_update().signed_revocation().empty()) {
      return payload.SerializeAsString();
    }
  }
  FAIL("no revocation was sent");
  return "";
}

TEST_CASE("A view older than a revocation taken does not bring the revoked member back") {
  TreeFixture f;
  const AlertId id = f.Dispatch();
  // The admin changes the policy (C2's view would be version N), then removes R3
  // (revocation and views N+1). A relay gives C2 the revocation, then view N, and
  // withholds view N+1.
  Check(f.d.logic->SetPolicy(f.tree, Policy(30s)));
  const std::uint64_t n = TreeOf(f.d, f.tree).version;
  const std::string older = Take(f.d.logic->ExportView(f.tree, f.c2.hex()));
  f.net.SetOffline(f.c2.key(), true);
  Check(f.d.logic->RemoveMember(f.tree, f.r3.hex()));
  f.net.Deliver();
  f.net.SetOffline(f.c2.key(), false);
  f.c2.port->cards.clear();  // who is introduced from here on
  Check(f.c2.logic->AcceptUpdate(LostRevocation(f.net, f.c2.key())));
  Check(f.c2.logic->AcceptUpdate(older));
  const TreeInfo held = TreeOf(f.c2, f.tree);
  CHECK(held.version == n);  // the view was taken, the revocation kept
  for (const auto& member : held.members) CHECK(member.key != f.r3.hex());
  CHECK(f.c2.port->cards.count(f.r3.key()) == 0);  // not a contact again
  CHECK(f.c2.port->forgotten.count(f.r3.key()) == 1);
  // Straight to the logic, as if a relay still took R3's token.
  app::Payload ack;
  *ack.mutable_ack()->mutable_ref() =
      f.d.port->alerts.at(*alerts::Unhex(id, 16, "id")).alert().ref();
  ack.mutable_ack()->set_kind(app::Ack::ON_SCENE);
  Check(f.c2.logic->OnPayload(f.r3.key(), "", ack, 0));
  CHECK(f.c2.Count(AlertEventKind::kAck) == 0);
  REQUIRE(f.c2.Count(AlertEventKind::kSecurityFlag) == 1);
  CHECK(f.c2.Last(AlertEventKind::kSecurityFlag)->reason == "a message from a revoked member");
}

TEST_CASE("A view older than a dispatcher's revocation gives it no authorisation or group back") {
  TreeFixture f;
  Device& d2 = f.net.Add("D2");
  Take(f.d.logic->AddMember(f.tree, {.card = d2.card(),
                                     .name = "D2",
                                     .role = MemberRole::kDispatcher,
                                     .zones = {"bh"},
                                     .languages = {"es", "en"}}));
  Take(f.d.logic->PushViews(f.tree, false));
  f.net.Deliver();
  std::string zone_group;
  for (const auto& group : f.d.port->trees.begin()->second.groups()) {
    if (!group.subscribers()) zone_group = group.group_id();
  }
  REQUIRE(f.r1.port->joined[zone_group].count(d2.key()) == 1);
  Check(f.d.logic->SetPolicy(f.tree, Policy(30s)));
  const std::string older = Take(f.d.logic->ExportView(f.tree, f.r1.hex()));
  f.net.SetOffline(f.r1.key(), true);
  Check(f.d.logic->RemoveMember(f.tree, d2.hex()));
  f.net.Deliver();
  f.net.SetOffline(f.r1.key(), false);
  f.r1.port->cards.clear();
  Check(f.r1.logic->AcceptUpdate(LostRevocation(f.net, f.r1.key())));
  Check(f.r1.logic->AcceptUpdate(older));
  const TreeInfo held = TreeOf(f.r1, f.tree);
  for (const auto& [type, keys] : held.authorised) {
    INFO(ToString(type));
    CHECK(std::find(keys.begin(), keys.end(), d2.hex()) == keys.end());
    CHECK(std::find(keys.begin(), keys.end(), f.d.hex()) != keys.end());
  }
  CHECK(f.r1.port->joined[zone_group].count(d2.key()) == 0);
  CHECK(f.r1.port->cards.count(d2.key()) == 0);
  const AlertId id = f.Dispatch();
  app::Payload all_clear;
  *all_clear.mutable_all_clear()->mutable_ref() =
      f.d.port->alerts.at(*alerts::Unhex(id, 16, "id")).alert().ref();
  all_clear.mutable_all_clear()->mutable_ref()->set_sequence(99);
  Check(f.r1.logic->OnPayload(d2.key(), zone_group, all_clear, 0));
  CHECK(AlertOf(f.r1, id).state == AlertState::kDispatched);
  CHECK(f.r1.Count(AlertEventKind::kSecurityFlag) == 1);
}

// How many times each device replaced its ALERT token.
std::map<std::string, int> Rotations(TreeFixture& f) {
  std::map<std::string, int> out;
  for (Device* device :
       {&f.d, &f.c1, &f.c2, &f.b1, &f.b2, &f.r1, &f.r2, &f.r3, &f.v1, &f.v2, &f.s}) {
    out[device->name] = device->port->rotations;
  }
  return out;
}

TEST_CASE("Every member whose card the revoked key held replaces its ALERT token, once") {
  TreeFixture f;
  REQUIRE(Rotations(f) == std::map<std::string, int>{{"dispatcher", 0},
                                                     {"C1", 0},
                                                     {"C2", 0},
                                                     {"B1", 0},
                                                     {"B2", 0},
                                                     {"R1", 0},
                                                     {"R2", 0},
                                                     {"R3", 0},
                                                     {"V1", 0},
                                                     {"V2", 0},
                                                     {"S", 0}});
  SECTION("a responder: its view held its coordinator and the dispatcher") {
    Check(f.d.logic->RemoveMember(f.tree, f.r3.hex()));
    f.net.Deliver();
    // R3's view held C2 (parent) and the dispatcher. B2 knew R3 (C2's branch) but R3 never
    // held B2's card: no rotation there.
    auto rotations = Rotations(f);
    CHECK(rotations["dispatcher"] == 1);
    CHECK(rotations["C2"] == 1);
    CHECK(rotations["B2"] == 0);
    CHECK(rotations["R1"] == 0);
    CHECK(rotations["C1"] == 0);
  }
  SECTION("a backup: the whole branch it held in advance, members who never knew it too") {
    Check(f.d.logic->RemoveMember(f.tree, f.b1.hex()));
    f.net.Deliver();
    auto rotations = Rotations(f);
    CHECK(rotations["dispatcher"] == 1);
    CHECK(rotations["C1"] == 1);
    // R1 and R2 are in C1's branch, which B1 held in advance; their own views never
    // mentioned B1, so the revocation itself had to reach them.
    CHECK(rotations["R1"] == 1);
    CHECK(rotations["R2"] == 1);
    CHECK(f.r1.port->forgotten.count(f.b1.key()) == 1);
    CHECK(rotations["C2"] == 0);
    CHECK(rotations["R3"] == 0);
  }
  // Later views and ticks do not rotate again.
  Take(f.d.logic->PushViews(f.tree, true));
  f.net.Deliver();
  f.TickAll();
  const auto settled = Rotations(f);
  Take(f.d.logic->PushViews(f.tree, true));
  f.net.Deliver();
  CHECK(Rotations(f) == settled);
}

TEST_CASE("A member that missed the revocation rotates from its next signed view, once") {
  TreeFixture f;
  f.net.SetOffline(f.c2.key(), true);  // the revocation and the views to C2 are lost
  Check(f.d.logic->RemoveMember(f.tree, f.r3.hex()));
  f.net.Deliver();
  f.net.SetOffline(f.c2.key(), false);
  CHECK(f.c2.port->rotations == 0);
  Take(f.d.logic->PushViews(f.tree, true));
  f.net.Deliver();
  CHECK(f.c2.port->rotations == 1);
  CHECK(f.c2.port->forgotten.count(f.r3.key()) == 1);  // the view lists R3 as revoked
  CHECK(f.c2.Count(AlertEventKind::kSecurityFlag) == 0);
}

TEST_CASE("A rotated member's new card reaches its neighbours directly, before any view") {
  TreeFixture f;
  Check(f.d.logic->RemoveMember(f.tree, f.b1.hex()));
  // Nothing reaches the admin: no view carrying C1's new card can follow.
  f.net.SetOffline(f.d.key(), true);
  f.net.Deliver();
  REQUIRE(f.c1.port->rotations == 1);
  CHECK(f.r1.port->member_cards_from[f.c1.key()] == 1);
  CHECK(f.r1.port->cards[f.c1.key()] == f.c1.card());  // the rotated card
  CHECK(f.r2.port->cards[f.c1.key()] == f.c1.card());
  CHECK(f.r3.port->member_cards_from.count(f.c1.key()) == 0);  // not C1's to know
  CHECK(f.r1.Count(AlertEventKind::kSecurityFlag) == 0);
}

TEST_CASE("A replaced phone vouched by a signed view keeps receiving and its acks count") {
  TreeFixture f;
  Device& phone = f.net.Add("R1 new phone");
  const MemberInfo replaced = Take(f.d.logic->ReplaceMemberKey(f.tree, f.r1.hex(), phone.card()));
  CHECK(replaced.key == phone.hex());
  CHECK(replaced.name == "R1");
  CHECK(replaced.parent == f.c1.hex());
  CHECK(replaced.skills == std::vector<std::string>{"legal_observer"});
  f.net.Deliver();
  CHECK(phone.Count(AlertEventKind::kViewAccepted) >= 1);
  // The old key is revoked where it was known, and whose card it held rotated.
  CHECK(f.c1.Count(AlertEventKind::kRevoked) == 1);
  CHECK(f.c1.port->forgotten.count(f.r1.key()) == 1);
  CHECK(f.c1.port->rotations == 1);
  CHECK(f.d.port->rotations == 1);
  CHECK(f.d.logic->AddMember(f.tree, {.card = f.r1.card(), .name = "R1", .parent = f.c1.hex()})
            .status()
            .code() == Code::kInvalidArgument);  // the old key stays revoked
  const AlertId id = f.Dispatch();
  REQUIRE(phone.Count(AlertEventKind::kAlert) == 1);
  CHECK(f.r1.Count(AlertEventKind::kAlert) == 0);  // the old phone is out of the group
  CHECK(AlertOf(phone, id).asked_to_respond);      // its skills came with it
  Check(phone.logic->Ack(id, {.kind = AckKind::kOnScene}));
  f.net.Deliver();
  CHECK(f.c1.Count(AlertEventKind::kAck) == 1);
  CHECK(f.c1.Count(AlertEventKind::kSecurityFlag) == 0);
  // The old phone can no longer act in the tree.
  app::Payload ack;
  *ack.mutable_ack()->mutable_ref() = f.d.port->alerts.begin()->second.alert().ref();
  ack.mutable_ack()->set_kind(app::Ack::RESPONDING);
  f.net.Inject(f.r1.key(), f.c1.key(), ack);
  f.net.Deliver();
  CHECK(f.c1.Count(AlertEventKind::kAck) == 1);
}

TEST_CASE("A tree's threshold above one needs a co-signature before members take views") {
  FakeNet net;
  Device& admin1 = net.Add("admin 1");
  Device& admin2 = net.Add("admin 2");
  Device& member = net.Add("member");
  const TreeId tree = Take(admin1.logic->CreateTree(Spec("two admins", {admin2.hex()}, 2)));
  Take(admin1.logic->AddMember(tree, {.card = member.card(), .name = "m", .parent = admin1.hex()}));
  const std::string one = Take(admin1.logic->ExportView(tree, member.hex()));
  CHECK(member.logic->AcceptUpdate(one).code() == Code::kCryptoFailure);
  const std::string two = Take(admin2.logic->CoSignView(one));
  Check(member.logic->AcceptUpdate(two));
  CHECK(TreeOf(member, tree).threshold == 2);
  CHECK(member.logic->CoSignView(one).status().code() == Code::kUnauthorized);
}

}  // namespace
}  // namespace tocsin::testing

namespace tocsin::testing {
namespace {

TEST_CASE("Whatever still arrives from a revoked key changes nothing and is flagged") {
  TreeFixture f;
  const AlertId report = Take(f.r3.logic->Report(f.tree, {.zones = {"bh"}, .text = "x"}));
  f.net.Deliver();
  Check(f.d.logic->RequestVerification(report, {}));  // V1 is asked
  f.net.Deliver();
  const AlertId id = f.Dispatch();
  Check(f.d.logic->RemoveMember(f.tree, f.v1.hex()));
  f.net.Deliver();
  const auto& ref = f.d.port->alerts.at(*alerts::Unhex(id, 16, "alert")).alert().ref();
  // Straight to the logic, as if a relay still took the revoked device's token.
  app::Payload result, notice, ack;
  result.mutable_verify_result()->mutable_ref()->set_alert_id(*alerts::Unhex(report, 16, "id"));
  result.mutable_verify_result()->mutable_ref()->set_tree_id(ref.tree_id());
  result.mutable_verify_result()->set_outcome(app::VerifyResult::CONFIRMED);
  notice.mutable_security_notice()->set_tree_id(ref.tree_id());
  notice.mutable_security_notice()->set_what("made up");
  *ack.mutable_ack()->mutable_ref() = ref;
  ack.mutable_ack()->set_kind(app::Ack::ON_SCENE);
  const std::size_t flags = f.d.Count(AlertEventKind::kSecurityFlag);
  for (const auto* payload : {&result, &notice, &ack}) {
    Check(f.d.logic->OnPayload(f.v1.key(), "", *payload, 0));
  }
  CHECK(f.d.Count(AlertEventKind::kSecurityFlag) == flags + 3);
  CHECK(f.d.Last(AlertEventKind::kSecurityFlag)->reason == "a message from a revoked member");
  CHECK(f.d.Count(AlertEventKind::kAck) == 0);
  CHECK(f.d.Count(AlertEventKind::kVerifyResult) == 0);
  CHECK(AlertOf(f.d, report).state == AlertState::kVerifying);
}

}  // namespace
}  // namespace tocsin::testing
