// A small tree on the in-memory network (fake_net.h), as the unit tests use it:
//
//   dispatcher (admin) ── coordinator C1 (backup: B1) ── responders R1, R2 (zone "bh")
//                     ├── coordinator C2 (backup: B2) ── responder R3    (zone "bh")
//                     ├── verifier V1 (backup: V2), verifier V2           (zone "bh")
//                     └── subscriber S                                    (zone "bh")
// B1 and B2 are responders under C1 and C2.
#ifndef TOCSIN_TESTS_ALERTS_TREE_FIXTURE_H_
#define TOCSIN_TESTS_ALERTS_TREE_FIXTURE_H_

#include "fake_net.h"

namespace tocsin::testing {

using namespace std::chrono_literals;

template <typename T>
T Take(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

// What a device holds of an alert, or of a tree.
inline AlertInfo AlertOf(Device& device, const AlertId& id) {
  return Take(device.logic->GetAlert(id));
}
inline TreeInfo TreeOf(Device& device, const TreeId& tree) {
  return Take(device.logic->Tree(tree));
}

inline void Check(const Status& status) {
  INFO(status.ToString());
  REQUIRE(status.ok());
}

// A tree update as exported (ExportView), its signed view, and a signed view to send.
inline app::Payload ParseUpdate(const std::string& bytes) {
  app::Payload payload;
  REQUIRE(payload.ParseFromString(bytes));
  REQUIRE(payload.has_tree_update());
  return payload;
}
inline tree::Signed SignedOf(const app::Payload& payload) {
  tree::Signed signed_view;
  REQUIRE(signed_view.ParseFromString(payload.tree_update().signed_view()));
  return signed_view;
}
inline app::Payload WithSigned(const tree::Signed& signed_view) {
  app::Payload payload;
  payload.mutable_tree_update()->set_signed_view(signed_view.SerializeAsString());
  return payload;
}

// A TreeSpec by statements (a designated initializer of it trips GCC 12's
// maybe-uninitialized on the policy's map).
inline TreeSpec Spec(const std::string& name, std::vector<std::string> other_admins = {},
                     std::uint32_t threshold = 1) {
  TreeSpec spec;
  spec.name = name;
  spec.other_admins = std::move(other_admins);
  spec.threshold = threshold;
  return spec;
}

inline EscalationPolicy Policy(std::chrono::seconds ack_timeout) {
  EscalationPolicy policy;
  policy.ack_timeout = ack_timeout;
  return policy;
}

struct TreeFixture {
  FakeNet net;
  Device& d = net.Add("dispatcher");
  Device& c1 = net.Add("C1");
  Device& c2 = net.Add("C2");
  Device& b1 = net.Add("B1");
  Device& b2 = net.Add("B2");
  Device& r1 = net.Add("R1");
  Device& r2 = net.Add("R2");
  Device& r3 = net.Add("R3");
  Device& v1 = net.Add("V1");
  Device& v2 = net.Add("V2");
  Device& s = net.Add("S");
  Device& x = net.Add("infiltrator");
  TreeId tree;

  explicit TreeFixture(EscalationPolicy policy = {}) {
    TreeSpec spec;
    spec.name = "eastside";
    spec.policy = policy;
    tree = Take(d.logic->CreateTree(spec));
    Add(c1, MemberRole::kCoordinator, d, {});
    Add(c2, MemberRole::kCoordinator, d, {});
    Add(b1, MemberRole::kResponder, c1, {"legal_observer"});
    Add(b2, MemberRole::kResponder, c2, {"documenter"});
    Add(r1, MemberRole::kResponder, c1, {"legal_observer"});
    Add(r2, MemberRole::kResponder, c1, {"medic"});
    Add(r3, MemberRole::kResponder, c2, {"legal_observer"});
    Add(v2, MemberRole::kVerifier, d, {});
    Add(v1, MemberRole::kVerifier, d, {}, &v2);
    Add(s, MemberRole::kSubscriber, d, {});
    Backup(c1, b1);
    Backup(c2, b2);
    Take(d.logic->PushViews(tree, false));
    net.Deliver();
  }

  void Add(Device& member, MemberRole role, Device& parent, std::vector<std::string> skills,
           Device* backup = nullptr) {
    MemberSpec spec{.card = member.card(),
                    .name = member.name,
                    .role = role,
                    .parent = parent.hex(),
                    .backup = backup != nullptr ? backup->hex() : "",
                    .zones = {"bh"},
                    .languages = {"es", "en"},
                    .skills = std::move(skills)};
    Take(d.logic->AddMember(tree, spec));
  }

  void Backup(Device& coordinator, Device& backup) {
    auto info = Take(d.logic->Tree(tree));
    for (const auto& member : info.members) {
      if (member.key != coordinator.hex()) continue;
      MemberSpec spec{.card = coordinator.card(),
                      .name = member.name,
                      .role = member.role,
                      .parent = member.parent,
                      .backup = backup.hex(),
                      .zones = member.zones,
                      .languages = member.languages,
                      .skills = member.skills};
      Take(d.logic->AddMember(tree, spec));
    }
  }

  AlertSpec Spec() const {
    return AlertSpec{.zones = {"bh"},
                     .roles_needed = {"legal_observer"},
                     .texts = {{"es", "ALERTA: agentes en el lavado de autos", ""},
                               {"en", "ALERT: agents at the car wash", ""}}};
  }

  AlertId Dispatch() {
    const AlertId id = Take(d.logic->SendAlert(tree, Spec(), ""));
    net.Deliver();
    return id;
  }

  std::uint64_t Now() const { return net.clock.now_ms; }
  void Advance(std::chrono::milliseconds by) { net.clock.now_ms += by.count(); }
  std::size_t TickAll() {
    std::size_t steps = 0;
    for (Device* device : {&d, &c1, &c2, &b1, &b2, &r1, &r2, &r3, &v1, &v2, &s}) {
      steps += Take(device->logic->Tick(Now()));
    }
    net.Deliver();
    return steps;
  }
};

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_ALERTS_TREE_FIXTURE_H_
