// Whole alerts between real clients over the real tocsin-relay (real TLS, stores,
// libsignal): a dispatcher, a coordinator with a backup, a silent coordinator with a
// backup, a verifier and responders. Timers are driven by an injected clock.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "client_test_util.h"
#include "core/card.h"
#include "core/hex.h"
#include "test_client.h"
#include "tocsin/alert.pb.h"
#include "tocsin/alerts.h"

namespace tocsin::testing {
namespace {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::uint64_t start) : now_(start) {}
  std::uint64_t NowMs() override { return now_.load(); }
  void Advance(std::chrono::milliseconds by) { now_ += static_cast<std::uint64_t>(by.count()); }

 private:
  std::atomic<std::uint64_t> now_;
};

// One member: its device, its alert service and the alert events it saw.
struct Member {
  std::string name;
  std::unique_ptr<Client> client;
  std::unique_ptr<AlertService> alerts;
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<AlertEvent>> events = std::make_shared<std::vector<AlertEvent>>();

  std::string key() const { return client->IdentityKey(); }
  std::string card() { return Take(client->MyCard(name)); }
  std::size_t Count(AlertEventKind kind, const std::string& reason = "") const {
    std::lock_guard lock(*mutex);
    return static_cast<std::size_t>(std::count_if(
        events->begin(), events->end(),
        [&](const auto& e) { return e.kind == kind && (reason.empty() || e.reason == reason); }));
  }
  bool WaitFor(AlertEventKind kind, std::size_t n = 1) const {
    return WaitUntil([&] { return Count(kind) >= n; });
  }
};

TreeSpec Spec() {
  TreeSpec spec;
  spec.name = "eastside";
  return spec;
}

struct Network {
  std::unique_ptr<RelayProcess> relay = StartRelay();
  TempFolder folder;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1'800'000'000'000ull);
  std::vector<std::unique_ptr<Member>> members;

  Member& Add(const std::string& name) {
    auto member = std::make_unique<Member>();
    member->name = name;
    member->client = CreateClient(folder, name, *relay);
    member->alerts = Take(
        AlertService::Attach(*member->client, AlertOptions{.clock = clock, .run_timers = false}));
    auto events = member->events;
    auto mutex = member->mutex;
    member->alerts->SetEventHandler([events, mutex](const AlertEvent& event) {
      std::lock_guard lock(*mutex);
      events->push_back(event);
    });
    members.push_back(std::move(member));
    return *members.back();
  }

  void TickAll() {
    for (auto& member : members) {
      if (!member->client->core().closed()) Take(member->alerts->Tick(clock->NowMs()));
    }
  }
};

MemberInfo AddTo(Member& admin, const TreeId& tree, Member& member, MemberRole role,
                 const std::string& parent, std::vector<std::string> skills = {},
                 const std::string& backup = "") {
  return Take(admin.alerts->AddMember(tree, {.card = member.card(),
                                             .name = member.name,
                                             .role = role,
                                             .parent = parent,
                                             .backup = backup,
                                             .zones = {"boyle-heights"},
                                             .languages = {"es", "en"},
                                             .skills = std::move(skills)}));
}

const BranchInfo* Branch(const AlertStatusInfo& status, const std::string& coordinator) {
  for (const auto& branch : status.branches) {
    if (branch.coordinator == coordinator) return &branch;
  }
  return nullptr;
}

TEST_CASE(
    "A whole alert over the relay: report, verification, acks rolled up, a silent "
    "coordinator's branch handed to its backup, an infiltrator flagged, all-clear",
    "[alerts][relay]") {
  Network net;
  Member& d = net.Add("dispatcher");
  Member& c1 = net.Add("c1");
  Member& c2 = net.Add("c2");
  Member& b1 = net.Add("b1");
  Member& b2 = net.Add("b2");
  Member& v = net.Add("verifier");
  Member& r1 = net.Add("r1");
  Member& r2 = net.Add("r2");
  Member& r3 = net.Add("r3");

  const TreeId tree = Take(d.alerts->CreateTree(Spec()));
  AddTo(d, tree, c1, MemberRole::kCoordinator, d.key());
  AddTo(d, tree, c2, MemberRole::kCoordinator, d.key());
  AddTo(d, tree, b1, MemberRole::kResponder, c1.key(), {"legal_observer"});
  AddTo(d, tree, b2, MemberRole::kResponder, c2.key(), {"legal_observer"});
  AddTo(d, tree, v, MemberRole::kVerifier, d.key());
  AddTo(d, tree, r1, MemberRole::kResponder, c1.key(), {"legal_observer"});
  AddTo(d, tree, r2, MemberRole::kResponder, c1.key(), {"documenter"});
  AddTo(d, tree, r3, MemberRole::kResponder, c2.key(), {"legal_observer"});
  AddTo(d, tree, c1, MemberRole::kCoordinator, d.key(), {}, b1.key());
  AddTo(d, tree, c2, MemberRole::kCoordinator, d.key(), {}, b2.key());
  CHECK(Take(d.alerts->PushViews(tree)) >= 8);  // again once the zone groups exist
  for (Member* m : {&c1, &c2, &b1, &b2, &v, &r1, &r2, &r3}) {
    INFO(m->name);
    REQUIRE(m->WaitFor(AlertEventKind::kViewAccepted));
  }
  // Each device sends its long-term card; the views that carry it follow.
  for (Member* m : {&c1, &c2, &b1, &b2, &v, &r1, &r2, &r3}) {
    INFO(m->name);
    REQUIRE(WaitUntil([&] {
      const auto info = Take(m->alerts->Tree(tree));
      return std::all_of(info.members.begin(), info.members.end(),
                         [](const MemberInfo& member) { return member.alert_card; });
    }));
  }
  // Need to know: a responder holds its coordinator and the dispatcher, nobody else.
  CHECK(Take(r1.alerts->Tree(tree)).members.size() == 2);
  CHECK_FALSE(Take(r1.alerts->Tree(tree)).holds_roster);
  CHECK(Take(b2.alerts->Tree(tree)).backs_up == std::vector<std::string>{c2.key()});

  // Report -> verification -> confirmed.
  const AlertId id = Take(r1.alerts->Report(
      tree,
      {.zones = {"boyle-heights"}, .text = "vans at Cesar Chavez and Soto", .source = "member"}));
  REQUIRE(d.WaitFor(AlertEventKind::kReport));
  CHECK_FALSE(Take(d.alerts->GetAlert(id)).verified);
  Check(d.alerts->RequestVerification(id));
  REQUIRE(v.WaitFor(AlertEventKind::kVerifyRequest));
  Check(v.alerts->SendVerifyResult(id, VerifyOutcome::kConfirmed, "two vans, 8 agents"));
  REQUIRE(d.WaitFor(AlertEventKind::kVerifyResult));
  CHECK(Take(d.alerts->GetAlert(id)).state == AlertState::kConfirmed);

  // C2's phone is dead. The alert goes to the zone.
  c2.alerts->Close();
  c2.client->Close();
  AlertSpec spec{.zones = {"boyle-heights"},
                 .roles_needed = {"legal_observer"},
                 .texts = {{"es", "ALERTA: agentes en el lavado de autos", "Vengan"},
                           {"en", "ALERT: agents at the car wash", "Come"}}};
  CHECK(Take(d.alerts->SendAlert(tree, spec, id)) == id);
  for (Member* m : {&c1, &b1, &b2, &r1, &r2, &r3}) {
    INFO(m->name);
    REQUIRE(m->WaitFor(AlertEventKind::kAlert));
  }
  CHECK(Take(r1.alerts->GetAlert(id)).asked_to_respond);
  CHECK(Take(r1.alerts->GetAlert(id)).verified);  // the verifier confirmed its report
  CHECK_FALSE(Take(r2.alerts->GetAlert(id)).asked_to_respond);

  // Acks reach the coordinator and the dispatcher; C1's roll-up reaches the dispatcher.
  Check(c1.alerts->Ack(id, {.kind = AckKind::kReceived}));
  Check(r1.alerts->Ack(id, {.kind = AckKind::kResponding, .eta_minutes = 15}));
  Check(r2.alerts->Ack(id, {.kind = AckKind::kOnScene}));
  REQUIRE(c1.WaitFor(AlertEventKind::kAck, 2));
  REQUIRE(d.WaitFor(AlertEventKind::kAck, 3));
  REQUIRE(WaitUntil([&] {
    net.TickAll();  // sends coalesced roll-ups (no time passes: the first goes at once)
    const auto status = Take(d.alerts->GetStatus(id));
    const auto* branch = Branch(status, c1.key());
    return branch != nullptr && branch->coordinator_acked &&
           d.Count(AlertEventKind::kStatusChanged) > 0;
  }));
  auto status = Take(d.alerts->GetStatus(id));
  CHECK(Branch(status, c1.key())->responding == 1);
  CHECK(Branch(status, c1.key())->on_scene == 1);
  CHECK(Branch(status, c1.key())->no_answer == 1);  // b1
  CHECK(Take(c1.alerts->GetStatus(id)).branches.at(0).responding == 1);

  // Not before the ack timeout...
  net.clock->Advance(119s);
  net.TickAll();
  CHECK(Branch(Take(d.alerts->GetStatus(id)), c2.key())->held_by == c2.key());
  // ...then C2's branch goes to its backup, who sees who has to be reached.
  net.clock->Advance(1s);
  net.TickAll();
  REQUIRE(b2.WaitFor(AlertEventKind::kHandover));
  CHECK(b1.Count(AlertEventKind::kHandover) == 0);
  CHECK(Branch(Take(d.alerts->GetStatus(id)), c2.key())->held_by == b2.key());
  auto b2_status = Take(b2.alerts->GetStatus(id));
  REQUIRE(b2_status.branches.size() == 1);
  CHECK(b2_status.branches[0].to_reach.size() == 2);  // b2 and r3: no ack yet

  // An infiltrator with a valid session sends an AllClear: dropped, flagged everywhere.
  // R3 holds R1's long-term card (as its coordinator would); R1's intro card is spent.
  auto& r1_core = r1.client->core();
  const std::string r1_alert_card =
      Take(r1_core.Run<std::string>([&r1_core] { return r1_core.AlertCard("r1", false); }));
  const ContactId r1_at_r3 = Take(r3.client->AddContact(r1_alert_card, "r1"));
  const auto& sent_ref = Take(d.alerts->GetAlert(id));
  app::Payload forged;
  auto raw_id = *core::FromHex(sent_ref.id, 16);
  auto raw_tree = *core::FromHex(tree, 32);
  forged.mutable_all_clear()->mutable_ref()->set_alert_id(raw_id);
  forged.mutable_all_clear()->mutable_ref()->set_tree_id(raw_tree);
  forged.mutable_all_clear()->mutable_ref()->set_sequence(50);
  Take(r3.client->Send(r1_at_r3, forged.SerializeAsString()));
  REQUIRE(r1.WaitFor(AlertEventKind::kSecurityFlag));
  REQUIRE(WaitUntil(
      [&] { return d.Count(AlertEventKind::kSecurityFlag, "an unauthorised AllClear") == 1; }));
  CHECK(Take(r1.alerts->GetAlert(id)).state != AlertState::kAllClear);

  // A tampered view is refused by a real client.
  std::string view = Take(d.alerts->ExportView(tree, r1.key()));
  view[view.size() - 10] = static_cast<char>(view[view.size() - 10] ^ 1);
  CHECK_FALSE(r1.alerts->AcceptUpdate(view).ok());

  // All-clear: resolved on every screen.
  Check(d.alerts->SendAllClear(id, {{"es", "Se fueron", ""}, {"en", "They left", ""}}));
  for (Member* m : {&c1, &b1, &b2, &r1, &r2, &r3}) {
    INFO(m->name);
    REQUIRE(m->WaitFor(AlertEventKind::kAllClear));
    CHECK(Take(m->alerts->GetAlert(id)).state == AlertState::kAllClear);
  }

  // Retention: 24 h after the all-clear its content is gone from the store.
  net.clock->Advance(24h + 1s);
  net.TickAll();
  CHECK(r1.alerts->GetAlert(id).status().code() == Code::kNotFound);
  r1.alerts->Close();
  r1.alerts =
      Take(AlertService::Attach(*r1.client, AlertOptions{.clock = net.clock, .run_timers = false}));
  CHECK(r1.alerts->GetAlert(id).status().code() == Code::kNotFound);
  CHECK(Take(r1.alerts->Tree(tree)).version > 0);  // the tree itself is kept
}

bool AllCardsIn(Member& m, const TreeId& tree) {
  const auto info = Take(m.alerts->Tree(tree));
  return std::all_of(info.members.begin(), info.members.end(),
                     [](const MemberInfo& member) { return member.alert_card; });
}

// A member's ALERT-token card as its device makes it now (what others' views carry).
std::string AlertCardOf(Member& m) {
  auto& core = m.client->core();
  const std::string name = m.name;
  return Take(core.Run<std::string>([&core, name] { return core.AlertCard(name, false); }));
}

// The (mailbox id, token) of a card's first address.
std::pair<std::string, std::string> AddressOf(const std::string& card) {
  auto parsed = Take(core::DecodeCard(core::SharedSignalContext(), card));
  REQUIRE(parsed.card.addresses_size() >= 1);
  return {parsed.card.addresses(0).mailbox_id(), parsed.card.addresses(0).token()};
}

std::string TokenOf(const std::string& card) { return AddressOf(card).second; }

// Writes to `card`'s first mailbox with its token, as any device holding the card can.
Status SendWithCard(RelayProcess& relay, const std::string& card) {
  auto sender = Take(TestClient::Connect(relay.address()));
  Take(sender->Hello(wire::SEND));
  const auto [mailbox, token] = AddressOf(card);
  return sender->Send(mailbox, token, std::string(200, 'x'));
}

// The relay's answer to a token that was rotated away (grace 0: it expired at once) or
// is unknown.
bool TokenRefused(const Status& status) {
  INFO(status.ToString());
  return status.code() == Code::kExpired || status.code() == Code::kUnauthorized;
}

TEST_CASE(
    "A removed member's copies of the ALERT tokens are refused by the relay while the "
    "others keep receiving",
    "[alerts][relay]") {
  Network net;
  Member& d = net.Add("dispatcher");
  Member& c1 = net.Add("c1");
  Member& r1 = net.Add("r1");
  Member& r2 = net.Add("r2");
  const TreeId tree = Take(d.alerts->CreateTree(Spec()));
  AddTo(d, tree, c1, MemberRole::kCoordinator, d.key());
  AddTo(d, tree, r1, MemberRole::kResponder, c1.key(), {"legal_observer"});
  AddTo(d, tree, r2, MemberRole::kResponder, c1.key(), {"legal_observer"});
  Take(d.alerts->PushViews(tree));
  for (Member* m : {&c1, &r1, &r2}) {
    INFO(m->name);
    REQUIRE(WaitUntil(
        [&] { return m->Count(AlertEventKind::kViewAccepted) > 0 && AllCardsIn(*m, tree); }));
  }
  // The cards R2's view carries: its coordinator's and the dispatcher's ALERT tokens.
  const std::string c1_held = AlertCardOf(c1);
  const std::string d_held = AlertCardOf(d);
  const std::string r1_held = AlertCardOf(r1);  // not in R2's view
  Check(SendWithCard(*net.relay, c1_held));     // valid while R2 is a member
  Check(SendWithCard(*net.relay, d_held));

  Check(d.alerts->RemoveMember(tree, r2.key()));
  REQUIRE(c1.WaitFor(AlertEventKind::kRevoked));
  CHECK(r1.Count(AlertEventKind::kRevoked) == 0);  // R1's view never held R2
  for (const auto& member : Take(c1.alerts->Tree(tree)).members) CHECK(member.key != r2.key());
  // C1 (R2's parent) replaces its token from its next view; the dispatcher at once.
  REQUIRE(WaitUntil([&] { return TokenOf(AlertCardOf(c1)) != TokenOf(c1_held); }));
  CHECK(TokenOf(AlertCardOf(d)) != TokenOf(d_held));
  CHECK(TokenOf(AlertCardOf(r1)) == TokenOf(r1_held));  // R2 never held it: no rotation
  // What R2 kept is now refused by the relay (grace 0)...
  CHECK(TokenRefused(SendWithCard(*net.relay, c1_held)));
  CHECK(TokenRefused(SendWithCard(*net.relay, d_held)));
  // ...while the new tokens work.
  Check(SendWithCard(*net.relay, AlertCardOf(c1)));
  Check(SendWithCard(*net.relay, AlertCardOf(d)));
  // The dispatcher's views bring C1's new card to R1 (its roster entry follows).
  REQUIRE(WaitUntil([&] {
    for (const auto& e : Take(r1.alerts->Tree(tree)).members) {
      if (e.key == c1.key()) return e.alert_card;
    }
    return false;
  }));

  // The remaining members keep receiving and their acks keep arriving.
  AlertSpec spec{.zones = {"boyle-heights"}, .texts = {{"es", "ALERTA", ""}, {"en", "ALERT", ""}}};
  const AlertId id = Take(d.alerts->SendAlert(tree, spec));
  REQUIRE(r1.WaitFor(AlertEventKind::kAlert));
  REQUIRE(c1.WaitFor(AlertEventKind::kAlert));
  Check(r1.alerts->Ack(id, {.kind = AckKind::kResponding, .eta_minutes = 5}));
  REQUIRE(c1.WaitFor(AlertEventKind::kAck));
  REQUIRE(d.WaitFor(AlertEventKind::kAck));
  std::this_thread::sleep_for(1s);
  CHECK(r2.Count(AlertEventKind::kAlert) == 0);  // out of the zone group
}

TEST_CASE("A replaced phone keeps its place and the old phone is revoked", "[alerts][relay]") {
  Network net;
  Member& d = net.Add("dispatcher");
  Member& c1 = net.Add("c1");
  Member& r1 = net.Add("r1");
  const TreeId tree = Take(d.alerts->CreateTree(Spec()));
  AddTo(d, tree, c1, MemberRole::kCoordinator, d.key());
  AddTo(d, tree, r1, MemberRole::kResponder, c1.key(), {"legal_observer"});
  Take(d.alerts->PushViews(tree));
  for (Member* m : {&c1, &r1}) {
    INFO(m->name);
    REQUIRE(WaitUntil(
        [&] { return m->Count(AlertEventKind::kViewAccepted) > 0 && AllCardsIn(*m, tree); }));
  }
  const std::string c1_held = AlertCardOf(c1);  // what R1's old phone holds

  Member& phone = net.Add("r1-new-phone");
  const MemberInfo moved = Take(d.alerts->ReplaceMemberKey(tree, r1.key(), phone.card()));
  CHECK(moved.key == phone.key());
  CHECK(moved.parent == c1.key());
  CHECK(moved.skills == std::vector<std::string>{"legal_observer"});
  REQUIRE(WaitUntil(
      [&] { return phone.Count(AlertEventKind::kViewAccepted) > 0 && AllCardsIn(phone, tree); }));
  REQUIRE(WaitUntil([&] {
    const auto info = Take(c1.alerts->Tree(tree));
    return std::any_of(info.members.begin(), info.members.end(),
                       [&](const MemberInfo& m) { return m.key == phone.key() && m.alert_card; });
  }));
  REQUIRE(c1.WaitFor(AlertEventKind::kRevoked));
  // The old phone's copy of its coordinator's ALERT token is refused.
  REQUIRE(WaitUntil([&] { return TokenOf(AlertCardOf(c1)) != TokenOf(c1_held); }));
  CHECK(TokenRefused(SendWithCard(*net.relay, c1_held)));

  AlertSpec spec{.zones = {"boyle-heights"},
                 .roles_needed = {"legal_observer"},
                 .texts = {{"es", "ALERTA", ""}, {"en", "ALERT", ""}}};
  const AlertId id = Take(d.alerts->SendAlert(tree, spec));
  REQUIRE(phone.WaitFor(AlertEventKind::kAlert));
  CHECK(Take(phone.alerts->GetAlert(id)).asked_to_respond);
  Check(phone.alerts->Ack(id, {.kind = AckKind::kOnScene}));
  REQUIRE(c1.WaitFor(AlertEventKind::kAck));
  REQUIRE(d.WaitFor(AlertEventKind::kAck));
  std::this_thread::sleep_for(1s);
  CHECK(r1.Count(AlertEventKind::kAlert) == 0);
}

bool HasContact(Member& m, const std::string& key) {
  const auto contacts = Take(m.client->Contacts());
  return std::any_of(contacts.begin(), contacts.end(),
                     [&key](const ContactInfo& contact) { return contact.identity_key == key; });
}

TEST_CASE("Another tree's revocation leaves a contact the user added and forgets the tree's own",
          "[alerts][relay]") {
  Network net;
  Member& r1 = net.Add("r1");
  Member& p = net.Add("p");
  Member& q = net.Add("q");
  Member& r3 = net.Add("r3");
  EventLog r1_log(*r1.client);
  EventLog p_log(*p.client);
  const Pair pair = Introduce(*r1.client, r1_log, *p.client, p_log);  // R1 added P's card
  // R3 makes a tree of its own with R1, and P and Q under R1: R1's view names them both.
  const TreeId other = Take(r3.alerts->CreateTree(Spec()));
  AddTo(r3, other, r1, MemberRole::kCoordinator, r3.key());
  AddTo(r3, other, p, MemberRole::kResponder, r1.key());
  AddTo(r3, other, q, MemberRole::kResponder, r1.key());
  Take(r3.alerts->PushViews(other));
  REQUIRE(WaitUntil([&] { return HasContact(r1, q.key()); }));  // the tree brought Q

  Check(r3.alerts->RemoveMember(other, p.key()));
  Check(r3.alerts->RemoveMember(other, q.key()));
  REQUIRE(r1.WaitFor(AlertEventKind::kRevoked, 2));
  CHECK_FALSE(HasContact(r1, q.key()));  // what the tree gave, it took back
  CHECK(HasContact(r1, p.key()));        // the user's own contact stays
  Take(p.client->SendText(pair.a_at_b, "still here"));
  CHECK(r1_log.WaitForText("still here"));
  Take(r1.client->SendText(pair.b_at_a, "me too"));
  CHECK(p_log.WaitForText("me too"));
}

TEST_CASE("An ALERT token another tree had replaced still takes this tree's acks and alerts",
          "[alerts][relay]") {
  Network net;
  Member& d = net.Add("dispatcher");
  Member& c1 = net.Add("c1");
  Member& r1 = net.Add("r1");
  Member& r3 = net.Add("r3");
  Member& w = net.Add("w");
  const TreeId tree = Take(d.alerts->CreateTree(Spec()));
  AddTo(d, tree, c1, MemberRole::kCoordinator, d.key());
  AddTo(d, tree, r1, MemberRole::kResponder, c1.key(), {"legal_observer"});
  Take(d.alerts->PushViews(tree));
  for (Member* m : {&c1, &r1}) {
    INFO(m->name);
    REQUIRE(WaitUntil(
        [&] { return m->Count(AlertEventKind::kViewAccepted) > 0 && AllCardsIn(*m, tree); }));
  }
  // C1 is also in R3's tree, with W under it: W's view holds C1's card.
  const TreeId other = Take(r3.alerts->CreateTree(Spec()));
  AddTo(r3, other, c1, MemberRole::kCoordinator, r3.key());
  AddTo(r3, other, w, MemberRole::kResponder, c1.key());
  Take(r3.alerts->PushViews(other));
  REQUIRE(WaitUntil([&] { return w.Count(AlertEventKind::kViewAccepted) > 0; }));
  REQUIRE(WaitUntil([&] { return c1.alerts->Tree(other).ok(); }));
  const std::string c1_held = AlertCardOf(c1);  // what R1 holds from the dispatcher's tree

  // W's removal makes C1 replace its ALERT token (grace 0), at R3's tree's word.
  Check(r3.alerts->RemoveMember(other, w.key()));
  REQUIRE(WaitUntil([&] { return TokenOf(AlertCardOf(c1)) != TokenOf(c1_held); }));
  CHECK(TokenRefused(SendWithCard(*net.relay, c1_held)));

  // The dispatcher's next alert reaches C1 and R1, and R1's ack reaches C1, its parent.
  AlertSpec spec{.zones = {"boyle-heights"}, .texts = {{"es", "ALERTA", ""}, {"en", "ALERT", ""}}};
  const AlertId id = Take(d.alerts->SendAlert(tree, spec));
  REQUIRE(c1.WaitFor(AlertEventKind::kAlert));
  REQUIRE(r1.WaitFor(AlertEventKind::kAlert));
  Check(r1.alerts->Ack(id, {.kind = AckKind::kResponding, .eta_minutes = 5}));
  REQUIRE(d.WaitFor(AlertEventKind::kAck));
  CHECK(c1.WaitFor(AlertEventKind::kAck));
}

}  // namespace
}  // namespace tocsin::testing
