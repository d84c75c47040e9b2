// One device in two trees: a member of the fixture's tree makes a tree of its own, with
// members of the first in it, and uses it to reach the first tree's alerts, groups and
// members. Nothing a tree says may act on another tree's. In-memory network.
#include "alerts/signed.h"
#include "tree_fixture.h"

namespace tocsin::testing {
namespace {

// R3, a responder of the fixture's tree, makes a tree of its own (as its dispatcher)
// with `members` under it, and pushes them their views: they take them, R3 being the
// new tree's genesis admin.
TreeId TreeOfR3(TreeFixture& f, const std::vector<Device*>& members) {
  const TreeId other = Take(f.r3.logic->CreateTree(Spec("other")));
  std::string parent = f.r3.hex();
  for (Device* member : members) {
    Take(f.r3.logic->AddMember(other,
                               {.card = member->card(), .name = member->name, .parent = parent}));
    parent = member->hex();  // a chain: each one's view names the one before
  }
  Take(f.r3.logic->PushViews(other, false));
  f.net.Deliver();
  for (Device* member : members) REQUIRE(member->logic->Tree(other).ok());
  return other;
}

std::string Raw(const TreeId& tree) { return *alerts::Unhex(tree, 32, "tree id"); }

// The dispatcher's member group for the fixture's zone.
std::string ZoneGroup(TreeFixture& f) {
  for (const auto& group : f.d.port->trees.at(Raw(f.tree)).groups()) {
    if (group.zone() == "bh" && !group.subscribers()) return group.group_id();
  }
  FAIL("no zone group");
  return "";
}

// R3's view of its own tree for `member`, naming `group_id` as a zone group of that tree
// with R3 as its sender, signed by R3 (that tree's admin).
app::Payload ViewNamingGroup(TreeFixture& f, const TreeId& other, Device& member,
                             const std::string& group_id) {
  tree::Signed view = SignedOf(ParseUpdate(Take(f.r3.logic->ExportView(other, member.hex()))));
  tree::View body;
  REQUIRE(body.ParseFromString(view.body()));
  body.set_version(body.version() + 1);  // newer than the view the member holds
  auto* group = body.add_groups();
  group->set_zone("bh");
  group->set_group_id(group_id);
  group->add_senders(f.r3.key());
  view.set_body(body.SerializeAsString());
  view.clear_signatures();
  Check(alerts::AddSignature(view, alerts::kViewLabel, 0,
                             [&](std::string_view m) { return f.r3.port->Sign(m); }));
  return WithSigned(view);
}

TEST_CASE("A message naming another tree for an alert changes nothing and is flagged") {
  TreeFixture f;
  const AlertId id = f.Dispatch();
  const TreeId other = TreeOfR3(f, {&f.r1});
  // The real alert's id, checked against R3's tree, where R3 may send everything.
  app::AlertRef ref = f.d.port->alerts.begin()->second.alert().ref();
  ref.set_tree_id(Raw(other));
  ref.set_sequence(99);
  app::Payload payload;
  SECTION("Cancel") {
    *payload.mutable_cancel()->mutable_ref() = ref;
    payload.mutable_cancel()->set_reason("false alarm");
  }
  SECTION("Update") {
    *payload.mutable_update()->mutable_ref() = ref;
    auto* text = payload.mutable_update()->add_texts();
    text->set_language("en");
    text->set_text("all fine, stay home");
  }
  SECTION("AllClear") { *payload.mutable_all_clear()->mutable_ref() = ref; }
  SECTION("Alert") {
    *payload.mutable_alert() = f.d.port->alerts.begin()->second.alert();
    *payload.mutable_alert()->mutable_ref() = ref;
  }
  SECTION("VerifyRequest") {
    *payload.mutable_verify_request()->mutable_ref() = ref;
    payload.mutable_verify_request()->mutable_report()->set_text("all fine");
  }
  f.net.Inject(f.r3.key(), f.r1.key(), payload);
  f.net.Deliver();
  const AlertInfo held = AlertOf(f.r1, id);
  CHECK(held.state == AlertState::kDispatched);
  CHECK(held.tree == f.tree);
  CHECK(held.originator == f.d.hex());
  CHECK(held.sequence == 1);
  CHECK(held.texts.back().text == "ALERT: agents at the car wash");
  REQUIRE(f.r1.Count(AlertEventKind::kSecurityFlag) == 1);
  CHECK(f.r1.Last(AlertEventKind::kSecurityFlag)->reason ==
        "a message naming another tree for its alert");
  CHECK(f.r1.Last(AlertEventKind::kSecurityFlag)->tree == f.tree);  // the alert's own tree
  CHECK(f.d.Count(AlertEventKind::kSecurityFlag) == 1);             // its dispatcher is told
  // The real dispatcher's next message is taken (the sequence 99 never was).
  Check(f.d.logic->SendUpdate(id, {{"es", "siguen ahí", ""}, {"en", "still there", ""}}, false));
  f.net.Deliver();
  CHECK(AlertOf(f.r1, id).state == AlertState::kUpdated);
  CHECK(AlertOf(f.r1, id).texts.back().text == "still there");
}

TEST_CASE("The dispatcher's own alert cannot be reached through another tree") {
  TreeFixture f;
  const AlertId id = f.Dispatch();
  const TreeId other = TreeOfR3(f, {&f.d});
  app::AlertRef ref = f.d.port->alerts.begin()->second.alert().ref();
  ref.set_tree_id(Raw(other));
  SECTION("a VerifyRequest does not make R3 the alert's originator") {
    app::Payload request;
    *request.mutable_verify_request()->mutable_ref() = ref;
    f.net.Inject(f.r3.key(), f.d.key(), request);
    f.net.Deliver();
  }
  SECTION("an ack from a key revoked in the alert's tree is not counted") {
    Check(f.d.logic->RemoveMember(f.tree, f.r3.hex()));
    f.net.Deliver();
    app::Payload ack;
    *ack.mutable_ack()->mutable_ref() = ref;
    ack.mutable_ack()->set_kind(app::Ack::ON_SCENE);
    Check(f.d.logic->OnPayload(f.r3.key(), "", ack, 0));  // as if a relay still took it
    CHECK(f.d.Count(AlertEventKind::kAck) == 0);
    CHECK(Take(f.d.logic->GetStatus(id)).acks.empty());
  }
  const AlertInfo held = AlertOf(f.d, id);
  CHECK(held.originator == f.d.hex());
  CHECK(held.state == AlertState::kDispatched);
  REQUIRE(f.d.Count(AlertEventKind::kSecurityFlag) == 1);
  CHECK(f.d.Last(AlertEventKind::kSecurityFlag)->reason ==
        "a message naming another tree for its alert");
  CHECK(Take(f.d.logic->SecurityFlags(f.tree)).size() == 1);
}

TEST_CASE(
    "Another tree's view naming the dispatcher's zone group is refused, the zone still hears") {
  TreeFixture f;
  const std::string zone_group = ZoneGroup(f);
  const TreeId other = Take(f.r3.logic->CreateTree(Spec("other")));
  Take(f.r3.logic->AddMember(other, {.card = f.d.card(), .name = "D", .parent = f.r3.hex()}));
  f.net.Inject(f.r3.key(), f.d.key(), ViewNamingGroup(f, other, f.d, zone_group));
  f.net.Deliver();
  // R3 tells the dispatcher, pairwise, that the zone's members left the group.
  app::Payload removal;
  removal.mutable_group_removal()->set_group_id(zone_group);
  for (Device* member : {&f.c1, &f.r1, &f.r2, &f.b1}) {
    removal.mutable_group_removal()->add_identity_keys(member->key());
  }
  f.net.Inject(f.r3.key(), f.d.key(), removal);
  f.net.Deliver();
  f.Dispatch();
  for (Device* member : {&f.c1, &f.r1, &f.r2, &f.b1}) {
    INFO(member->name);
    CHECK(member->Count(AlertEventKind::kAlert) == 1);
  }
  CHECK(f.d.port->joined[zone_group].count(f.r3.key()) == 0);
  CHECK(f.d.logic->Tree(other).status().code() == Code::kNotFound);
  REQUIRE(f.d.Count(AlertEventKind::kSecurityFlag) == 1);
  CHECK(f.d.Last(AlertEventKind::kSecurityFlag)->reason ==
        "refused view: names a group that is not its tree's");
}

TEST_CASE("A view naming a group the device holds outside its tree is refused") {
  TreeFixture f;
  const TreeId other = TreeOfR3(f, {&f.r1});
  SECTION("a group of the application") {
    const std::string chat(16, 'c');
    Check(f.r1.port->JoinGroup(chat, "chat", {f.c1.key()}));
    f.net.Inject(f.r3.key(), f.r1.key(), ViewNamingGroup(f, other, f.r1, chat));
    f.net.Deliver();
    CHECK(f.r1.port->joined[chat] == std::set<std::string>{f.c1.key()});
  }
  SECTION("the zone group of its other tree") {
    const std::string zone_group = ZoneGroup(f);
    REQUIRE(f.r1.port->joined[zone_group] == std::set<std::string>{f.d.key()});
    f.net.Inject(f.r3.key(), f.r1.key(), ViewNamingGroup(f, other, f.r1, zone_group));
    f.net.Deliver();
    CHECK(f.r1.port->joined[zone_group] == std::set<std::string>{f.d.key()});
  }
  REQUIRE(f.r1.Count(AlertEventKind::kSecurityFlag) == 1);
  CHECK(f.r1.Last(AlertEventKind::kSecurityFlag)->reason ==
        "refused view: names a group that is not its tree's");
}

TEST_CASE("A zone group a later view names again is still its own tree's") {
  TreeFixture f;
  const auto move_r1 = [&f](const std::string& zone) {
    Take(f.d.logic->AddMember(f.tree, {.card = f.r1.card(),
                                       .name = "R1",
                                       .parent = f.c1.hex(),
                                       .zones = {zone},
                                       .skills = {"legal_observer"}}));
    Take(f.d.logic->PushViews(f.tree, false));
    f.net.Deliver();
  };
  move_r1("north");  // a view without the "bh" group
  move_r1("bh");     // and one naming it again
  CHECK(f.r1.Count(AlertEventKind::kSecurityFlag) == 0);
  CHECK(TreeOf(f.r1, f.tree).version == TreeOf(f.d, f.tree).version);
  f.Dispatch();
  CHECK(f.r1.Count(AlertEventKind::kAlert) == 1);
}

TEST_CASE("A revocation in another tree does not make a device forget its own tree's dispatcher") {
  TreeFixture f;
  // R1 under the dispatcher in R3's tree: R1's view of it names the dispatcher.
  const TreeId other = TreeOfR3(f, {&f.d, &f.r1});
  Check(f.r3.logic->RemoveMember(other, f.d.hex()));
  f.net.Deliver();
  CHECK(f.r1.Count(AlertEventKind::kRevoked) == 1);  // out of R3's tree: that tree's word
  CHECK(f.r1.port->forgotten.count(f.d.key()) == 0);
  CHECK(f.r1.port->joined[ZoneGroup(f)].count(f.d.key()) == 1);
  const AlertId id = f.Dispatch();
  CHECK(f.r1.Count(AlertEventKind::kAlert) == 1);
  Check(f.r1.logic->Ack(id, {.kind = AckKind::kResponding}));
  f.net.Deliver();
  CHECK(f.d.Count(AlertEventKind::kAck) == 1);
}

TEST_CASE("A tree's revocation leaves the user's own contact and forgets one only trees brought") {
  TreeFixture f;
  Device& p = f.net.Add("P");  // R1 added P's card itself: P is in no tree of R1's
  Device& q = f.net.Add("Q");  // R1 knows Q only through R3's tree
  f.r1.port->personal.insert(p.key());
  const TreeId other = TreeOfR3(f, {&f.r1, &p});  // P under R1 there
  Take(f.r3.logic->AddMember(other, {.card = q.card(), .name = "Q", .parent = f.r1.hex()}));
  Take(f.r3.logic->PushViews(other, false));
  f.net.Deliver();
  REQUIRE(f.r1.port->cards.count(q.key()) == 1);  // R3's tree made Q a contact of R1
  Check(f.r3.logic->RemoveMember(other, p.hex()));
  Check(f.r3.logic->RemoveMember(other, q.hex()));
  f.net.Deliver();
  // Both are out of R3's tree on R1: that tree's word.
  CHECK(f.r1.Count(AlertEventKind::kRevoked) == 2);
  CHECK(f.r1.port->forgotten.count(p.key()) == 0);  // P still reaches R1
  CHECK(f.r1.port->forgotten.count(q.key()) == 1);  // what the tree gave, it takes back
  CHECK(f.r3.port->forgotten.count(q.key()) == 1);  // on the admin's device too
}

// The card `device`'s roster entry holds in the admin's record of `tree`.
std::string RosterCard(Device& admin, const TreeId& tree, Device& device) {
  for (const auto& entry : admin.port->trees.at(Raw(tree)).roster()) {
    if (entry.identity_key() == device.key()) return entry.card();
  }
  FAIL("not in the roster");
  return "";
}

TEST_CASE("An ALERT token another tree had replaced reaches this tree's members as a new card") {
  TreeFixture f;
  Device& w = f.net.Add("W");
  SECTION("a member: the dispatcher and its neighbours get the card") {
    // W under R1 in R3's tree: W's view holds R1's card, so W's removal rotates it.
    const TreeId other = TreeOfR3(f, {&f.r1, &w});
    Check(f.r3.logic->RemoveMember(other, w.hex()));
    f.net.Deliver();
    REQUIRE(f.r1.port->rotations == 1);
    CHECK(RosterCard(f.d, f.tree, f.r1) == f.r1.card());
    CHECK(f.c1.port->cards[f.r1.key()] == f.r1.card());  // its parent, directly
    CHECK(f.b1.port->cards[f.r1.key()] == f.r1.card());  // C1's backup, from its new view
  }
  SECTION("the admin: its roster entry and the views holding it") {
    const TreeId other = TreeOfR3(f, {&f.d, &w});
    Check(f.r3.logic->RemoveMember(other, w.hex()));
    f.net.Deliver();
    REQUIRE(f.d.port->rotations == 1);
    CHECK(RosterCard(f.d, f.tree, f.d) == f.d.card());
    for (Device* member : {&f.c1, &f.c2, &f.r1, &f.v1, &f.s}) {
      INFO(member->name);
      CHECK(member->port->cards[f.d.key()] == f.d.card());
    }
  }
  CHECK(f.r1.Count(AlertEventKind::kSecurityFlag) == 0);
  const AlertId id = f.Dispatch();
  REQUIRE(f.r1.Count(AlertEventKind::kAlert) == 1);
  Check(f.r1.logic->Ack(id, {.kind = AckKind::kResponding}));
  f.net.Deliver();
  CHECK(f.c1.Count(AlertEventKind::kAck) == 1);
  CHECK(f.d.Count(AlertEventKind::kAck) == 1);
}

}  // namespace
}  // namespace tocsin::testing
