// One device in two trees: a member of the fixture's tree makes a tree of its own, with
// members of the first in it, and uses it to reach the first tree's alerts.
// Nothing a tree says may act on another tree's. In-memory network.
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

}  // namespace
}  // namespace tocsin::testing
