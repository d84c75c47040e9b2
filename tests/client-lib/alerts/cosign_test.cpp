// Trees whose threshold m is above one: views and revocations wait for the other admins'
// signatures (a bundle out, co-signed, back in), and the admin set itself changes only
// with m signatures of the current admins. In-memory network.
#include <sodium.h>

#include <cstring>

#include "alerts/signed.h"
#include "tree_fixture.h"

namespace tocsin::testing {
namespace {

constexpr std::string_view kPrefix = "TOCSINCOSIGN1:";

tree::CosignBundle Decode(const std::string& text) {
  REQUIRE(text.rfind(kPrefix, 0) == 0);
  const std::string base64 = text.substr(kPrefix.size());
  std::string bytes(base64.size(), '\0');
  std::size_t length = 0;
  REQUIRE(sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(),
                            base64.data(), base64.size(), nullptr, &length, nullptr,
                            sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
  bytes.resize(length);
  tree::CosignBundle bundle;
  REQUIRE(bundle.ParseFromString(bytes));
  return bundle;
}

std::string Encode(const tree::CosignBundle& bundle) {
  const std::string bytes = bundle.SerializeAsString();
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return std::string(kPrefix) + out;
}

MemberSpec Child(const Device& member, const Device& parent, MemberRole role) {
  return MemberSpec{.card = member.card(),
                    .name = member.name,
                    .role = role,
                    .parent = parent.hex(),
                    .zones = {"bh"},
                    .languages = {"es", "en"}};
}

bool Holds(Device& device, const TreeId& tree) { return device.logic->Tree(tree).ok(); }

TEST_CASE("With two of two admins, views and revocations wait for the second signature") {
  FakeNet net;
  Device& admin1 = net.Add("admin 1");
  Device& admin2 = net.Add("admin 2");
  Device& coordinator = net.Add("coordinator");
  Device& responder = net.Add("responder");
  Device& outsider = net.Add("outsider");
  const TreeId tree = Take(admin1.logic->CreateTree(Spec("two admins", {admin2.hex()}, 2)));
  Take(admin1.logic->AddMember(tree, Child(coordinator, admin1, MemberRole::kCoordinator)));
  Take(admin1.logic->AddMember(tree, Child(responder, coordinator, MemberRole::kResponder)));
  CHECK(Take(admin1.logic->PushViews(tree, false)) == 0);  // nothing goes out alone
  net.Deliver();
  CHECK_FALSE(Holds(coordinator, tree));
  const std::size_t waiting = TreeOf(admin1, tree).pending;
  CHECK(waiting >= 2);

  const std::string bundle = Take(admin1.logic->ExportPending(tree));
  const auto items = Take(admin2.logic->InspectBundle(bundle));
  REQUIRE(items.size() == waiting);
  bool saw_responder = false;
  for (const auto& item : items) {
    CHECK(item.kind == "view");
    CHECK(item.tree == tree);
    CHECK(item.tree_name == "two admins");
    CHECK(item.signatures == 1);
    CHECK(item.needed == 2);
    CHECK(item.signed_by_us);
    if (item.member == responder.hex()) {
      saw_responder = true;
      CHECK(item.member_name == "responder");
      CHECK(item.role == MemberRole::kResponder);
      CHECK_FALSE(item.holds_roster);
    }
  }
  CHECK(saw_responder);
  CHECK(outsider.logic->CoSignBundle(bundle).status().code() == Code::kUnauthorized);

  SECTION("a signature by someone else in a co-admin's place counts for nothing") {
    tree::CosignBundle forged = Decode(bundle);
    for (auto& update : *forged.mutable_updates()) {
      auto carried = Take(alerts::CarriedBy(update));
      Check(alerts::AddSignature(carried.object, carried.label, 1,
                                 [&](std::string_view m) { return outsider.port->Sign(m); }));
      alerts::PutBack(update, carried);
    }
    CHECK(Take(admin1.logic->ImportSignatures(Encode(forged))) == 0);
    net.Deliver();
    CHECK_FALSE(Holds(coordinator, tree));
    CHECK(TreeOf(admin1, tree).pending == waiting);
  }

  SECTION("the co-signed bundle sends them, and a revocation waits the same way") {
    const std::string cosigned = Take(admin2.logic->CoSignBundle(bundle));
    for (const auto& item : Take(admin1.logic->InspectBundle(cosigned))) {
      CHECK(item.signatures == 2);
    }
    CHECK(Take(admin1.logic->ImportSignatures(cosigned)) == waiting);
    CHECK(TreeOf(admin1, tree).pending == 0);
    CHECK(Take(admin1.logic->ImportSignatures(cosigned)) == 0);  // nothing left to send
    net.Deliver();
    REQUIRE(Holds(coordinator, tree));
    REQUIRE(Holds(responder, tree));
    CHECK(TreeOf(responder, tree).threshold == 2);
    CHECK(TreeOf(responder, tree).admins == std::vector<std::string>{admin1.hex(), admin2.hex()});

    Check(admin1.logic->RemoveMember(tree, responder.hex()));
    net.Deliver();
    CHECK(coordinator.Count(AlertEventKind::kRevoked) == 0);    // waits for admin 2
    CHECK(admin1.port->forgotten.count(responder.key()) == 1);  // this device at once
    const std::string second =
        Take(admin2.logic->CoSignBundle(Take(admin1.logic->ExportPending(tree))));
    CHECK(Take(admin1.logic->ImportSignatures(second)) >= 2);  // revocation and views
    net.Deliver();
    CHECK(coordinator.Count(AlertEventKind::kRevoked) == 1);
    CHECK(coordinator.port->rotations == 1);  // the responder's view held its card
  }
}

TEST_CASE("The admin set changes only with m signatures of the current admins") {
  FakeNet net;
  Device& admin1 = net.Add("admin 1");
  Device& admin2 = net.Add("admin 2");
  Device& admin3 = net.Add("admin 3");
  Device& member = net.Add("member");
  const TreeId tree = Take(admin1.logic->CreateTree(Spec("eastside", {admin2.hex()}, 1)));
  Take(admin1.logic->AddMember(tree, Child(member, admin1, MemberRole::kResponder)));
  Take(admin1.logic->PushViews(tree, false));
  net.Deliver();
  REQUIRE(TreeOf(member, tree).admin_set_version == 0);

  CHECK(admin1.logic->ChangeAdmins(tree, {admin2.hex(), admin3.hex()}, 1).code() ==
        Code::kInvalidArgument);  // the roster's device must stay an admin
  CHECK(admin1.logic->ChangeAdmins(tree, {admin1.hex(), admin3.hex()}, 3).code() ==
        Code::kInvalidArgument);
  CHECK(admin1.logic->ChangeAdmins(tree, {admin1.hex(), admin1.hex()}, 1).code() ==
        Code::kInvalidArgument);
  CHECK(member.logic->ChangeAdmins(tree, {member.hex()}, 1).code() == Code::kUnauthorized);

  // m = 1: admin 1 alone replaces admin 2 by admin 3, with m = 2 from now on.
  Check(admin1.logic->ChangeAdmins(tree, {admin1.hex(), admin3.hex()}, 2));
  auto info = TreeOf(admin1, tree);
  CHECK(info.admin_set_version == 1);
  CHECK(info.threshold == 2);
  CHECK(info.admins == std::vector<std::string>{admin1.hex(), admin3.hex()});
  CHECK(info.pending == 1);  // the member's view, signed again, needs admin 3 now
  net.Deliver();
  CHECK(TreeOf(member, tree).admin_set_version == 0);
  CHECK(Take(admin1.logic->ImportSignatures(
            Take(admin3.logic->CoSignBundle(Take(admin1.logic->ExportPending(tree)))))) == 1);
  net.Deliver();
  info = TreeOf(member, tree);
  CHECK(info.admin_set_version == 1);
  CHECK(info.threshold == 2);
  CHECK(info.admins == std::vector<std::string>{admin1.hex(), admin3.hex()});

  // Admin 2, replaced, signs a newer view with the chain it knew: refused and flagged.
  const std::uint64_t held = info.version;
  tree::View body;
  {
    app::Payload exported;
    REQUIRE(exported.ParseFromString(Take(admin1.logic->ExportView(tree, member.hex()))));
    tree::Signed current;
    REQUIRE(current.ParseFromString(exported.tree_update().signed_view()));
    REQUIRE(body.ParseFromString(current.body()));
  }
  body.set_version(held + 10);
  body.mutable_authorised()->add_all_clear(admin2.key());
  tree::Signed forged;
  forged.set_body(body.SerializeAsString());
  {
    app::Payload genesis_of;
    REQUIRE(genesis_of.ParseFromString(Take(admin1.logic->ExportView(tree, member.hex()))));
    tree::Signed current;
    REQUIRE(current.ParseFromString(genesis_of.tree_update().signed_view()));
    forged.set_genesis(current.genesis());
  }
  Check(alerts::AddSignature(forged, alerts::kViewLabel, 1,
                             [&](std::string_view m) { return admin2.port->Sign(m); }));
  app::Payload forged_update;
  forged_update.mutable_tree_update()->set_signed_view(forged.SerializeAsString());
  net.Inject(admin2.key(), member.key(), forged_update);
  net.Deliver();
  CHECK(TreeOf(member, tree).version == held);
  REQUIRE(member.Last(AlertEventKind::kSecurityFlag) != nullptr);
  CHECK(member.Last(AlertEventKind::kSecurityFlag)->reason ==
        "refused view: signed by an admin set that was replaced");

  // m = 2 now: admin 1 alone cannot change the set back to itself.
  Check(admin1.logic->ChangeAdmins(tree, {admin1.hex()}, 1));
  CHECK(TreeOf(admin1, tree).threshold == 2);
  const std::string proposal = Take(admin1.logic->ExportPending(tree));
  CHECK(Take(admin1.logic->ImportSignatures(proposal)) == 0);  // its own signature only
  CHECK(TreeOf(admin1, tree).admin_set_version == 1);
  CHECK(admin2.logic->CoSignBundle(proposal).status().code() == Code::kUnauthorized);
  const auto items = Take(admin3.logic->InspectBundle(proposal));
  REQUIRE(items.size() == 1);
  CHECK(items[0].kind == "admins");
  CHECK(items[0].admins == std::vector<std::string>{admin1.hex()});
  CHECK(items[0].threshold == 1);
  CHECK(items[0].version == 2);
  CHECK(Take(admin1.logic->ImportSignatures(Take(admin3.logic->CoSignBundle(proposal)))) >= 1);
  info = TreeOf(admin1, tree);
  CHECK(info.admin_set_version == 2);
  CHECK(info.threshold == 1);
  CHECK(info.pending == 0);  // m = 1 again: the views went out at once
  net.Deliver();
  CHECK(TreeOf(member, tree).admin_set_version == 2);
  CHECK(TreeOf(member, tree).admins == std::vector<std::string>{admin1.hex()});
}

TEST_CASE("A chain of admin sets with a change signed by too few admins is refused") {
  FakeNet net;
  Device& admin1 = net.Add("admin 1");
  Device& admin2 = net.Add("admin 2");
  Device& intruder = net.Add("intruder");
  Device& member = net.Add("member");
  const TreeId tree = Take(admin1.logic->CreateTree(Spec("eastside", {admin2.hex()}, 2)));
  Take(admin1.logic->AddMember(tree, Child(member, admin1, MemberRole::kResponder)));
  app::Payload exported;
  REQUIRE(exported.ParseFromString(Take(admin1.logic->ExportView(tree, member.hex()))));
  tree::Signed view;
  REQUIRE(view.ParseFromString(exported.tree_update().signed_view()));
  // Admin 1 alone (m = 2) hands the tree to the intruder, who signs the view.
  tree::AdminSet change;
  change.set_tree_id(*alerts::Unhex(tree, 32, "tree"));
  change.set_version(1);
  change.add_admins(intruder.key());
  change.set_threshold(1);
  tree::Signed link;
  link.set_body(change.SerializeAsString());
  Check(alerts::AddSignature(link, alerts::kAdminsLabel, 0,
                             [&](std::string_view m) { return admin1.port->Sign(m); }));
  *view.add_admin_sets() = link;
  view.clear_signatures();
  Check(alerts::AddSignature(view, alerts::kViewLabel, 0,
                             [&](std::string_view m) { return intruder.port->Sign(m); }));
  app::Payload update;
  update.mutable_tree_update()->set_signed_view(view.SerializeAsString());
  CHECK(member.logic->AcceptUpdate(update.SerializeAsString()).code() == Code::kCryptoFailure);
  CHECK_FALSE(member.logic->Tree(tree).ok());
  // With admin 2's signature on the change too, the same chain holds.
  Check(alerts::AddSignature(*view.mutable_admin_sets(0), alerts::kAdminsLabel, 1,
                             [&](std::string_view m) { return admin2.port->Sign(m); }));
  update.mutable_tree_update()->set_signed_view(view.SerializeAsString());
  Check(member.logic->AcceptUpdate(update.SerializeAsString()));
  CHECK(TreeOf(member, tree).admins == std::vector<std::string>{intruder.hex()});
}

}  // namespace
}  // namespace tocsin::testing
