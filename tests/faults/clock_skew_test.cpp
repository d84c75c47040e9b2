// Clocks that disagree: clients an hour ahead of and an hour behind the relay (each
// with an injected clock that adds a fixed offset to the system clock) over the real
// relay. TTLs are relative on the wire and kept by each device's own clock, so messages,
// intro cards, the relay's expiry of a stored message and the outbox's own expiry all
// keep their length. Alert trees put absolute times in their messages (an alert's
// expiry, an ack's time): a receiver converts them into its own clock with both
// devices' measured offsets to the relays (SPEC.md 14.10), so an alert is neither
// expired on arrival nor kept hours too long.
//
// Real time, a few seconds at a time: the relays keep their own clock.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "fault_test_util.h"
#include "tocsin/alerts.h"

namespace tocsin::testing {
namespace {

using Steady = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kHour = 1h;

std::int64_t SystemMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A device whose clock is wrong by a fixed amount.
class SkewedClock final : public Clock {
 public:
  explicit SkewedClock(std::chrono::milliseconds offset) : offset_ms_(offset.count()) {}
  std::uint64_t NowMs() override { return static_cast<std::uint64_t>(SystemMs() + offset_ms_); }

 private:
  const std::int64_t offset_ms_;
};

ClientOptions SkewedOptions(std::chrono::milliseconds offset) {
  ClientOptions options = FastOptions();
  options.clock = std::make_shared<SkewedClock>(offset);
  return options;
}

std::int64_t Since(Steady::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start).count();
}

// Two devices, A an hour ahead of the relay and B an hour behind it, introduced.
struct SkewedPair {
  std::unique_ptr<RelayProcess> relay = StartRelay();
  TempFolder folder;
  std::unique_ptr<Client> a = Take(Client::Create(folder.path() / "a", TestPassphrase(),
                                                  {SpecOf(*relay)}, SkewedOptions(kHour)));
  std::unique_ptr<Client> b = Take(Client::Create(folder.path() / "b", TestPassphrase(),
                                                  {SpecOf(*relay)}, SkewedOptions(-kHour)));
  std::unique_ptr<EventLog> a_log = std::make_unique<EventLog>(*a);
  std::unique_ptr<EventLog> b_log = std::make_unique<EventLog>(*b);
  Pair pair = Introduce(*a, *a_log, *b, *b_log);

  void CloseB() {
    b->Close();
    b.reset();
    b_log.reset();
  }
  void OpenB() {
    b = Take(Client::Open(folder.path() / "b", TestPassphrase(), SkewedOptions(-kHour)));
    b_log = std::make_unique<EventLog>(*b);
  }
};

bool IsUndelivered(const Event& e, const MessageId& id) {
  return e.kind == EventKind::kUndelivered && e.message_id == id;
}

TEST_CASE("clients an hour ahead of and behind the relay exchange messages and intro cards",
          "[faults][clock]") {
  SkewedPair p;  // A imported B's card: B's intro token, made by a clock two hours behind
  Take(p.a->SendText(p.pair.b_at_a, "ahead to behind"));
  Take(p.b->SendText(p.pair.a_at_b, "behind to ahead"));
  CHECK(p.b_log->WaitForText("ahead to behind"));
  CHECK(p.a_log->WaitForText("behind to ahead"));

  // The other way round: a device behind imports the card of a device ahead.
  auto c = Take(Client::Create(p.folder.path() / "c", TestPassphrase(), {SpecOf(*p.relay)},
                               SkewedOptions(-kHour)));
  EventLog c_log(*c);
  const Pair ca = Connect(*c, c_log, *p.a, *p.a_log, "card from ahead");
  Take(c->SendText(ca.b_at_a, "to the device ahead"));
  CHECK(p.a_log->WaitForText("to the device ahead"));

  // The sender's time on a message is the sender's clock, as documented (types.h).
  const auto got = p.a_log->Find([](const Event& e) { return e.text == "behind to ahead"; });
  REQUIRE(got);
  CHECK(std::llabs(static_cast<std::int64_t>(got->time_ms) -
                   static_cast<std::int64_t>(got->sent_ms) - 2 * kHour.count()) < 30'000);
  CHECK(p.a_log->Count(EventKind::kUndelivered) == 0);
  CHECK(p.b_log->Count(EventKind::kUndelivered) == 0);
}

TEST_CASE(
    "a 3 s message to a device offline for 6 s never arrives and its sender is told, and a 60 s "
    "one to a device offline for 2 s arrives, whatever the clocks say",
    "[faults][clock]") {
  SkewedPair p;
  p.CloseB();
  const auto sent_at = Steady::now();
  const MessageId short_id = Take(p.a->SendText(p.pair.b_at_a, "short-lived", {.ttl = 3s}));
  REQUIRE(WaitOutboxEmpty(*p.a));  // the relay stored it
  // The receipt never comes: A's application hears of it after 3 s by A's clock, not an
  // hour early (at once) or an hour late.
  REQUIRE(p.a_log->WaitFor([&](const Event& e) { return IsUndelivered(e, short_id); }, 30s));
  const std::int64_t told_after = Since(sent_at);
  CHECK(told_after >= 3000);
  CHECK(told_after < 12'000);
  CHECK(p.a_log->Find([&](const Event& e) { return IsUndelivered(e, short_id); })->stored_on_relay);
  std::this_thread::sleep_until(sent_at + 6s);
  p.OpenB();
  // What A sends next arrives; the expired one does not (the relay dropped it by its
  // own clock, 3 s after storing it).
  Take(p.a->SendText(p.pair.b_at_a, "after the short one"));
  REQUIRE(p.b_log->WaitForText("after the short one"));
  std::this_thread::sleep_for(1s);
  const auto texts = p.b_log->Texts();
  CHECK(std::find(texts.begin(), texts.end(), "short-lived") == texts.end());

  // 60 s, and B away for 2 s: it is kept for B and arrives.
  p.CloseB();
  const MessageId long_id = Take(p.a->SendText(p.pair.b_at_a, "long-lived", {.ttl = 60s}));
  REQUIRE(WaitOutboxEmpty(*p.a));
  std::this_thread::sleep_for(2s);
  p.OpenB();
  REQUIRE(p.b_log->WaitForText("long-lived"));
  // Its receipt comes back: A is never told it was undelivered.
  REQUIRE(WaitUntil([&] { return AwaitingReceipts(*p.a) == 0; }));
  CHECK_FALSE(p.a_log->Find([&](const Event& e) { return IsUndelivered(e, long_id); }));
}

TEST_CASE("with the relay gone, the outbox gives a message up after its TTL by the sender's clock",
          "[faults][clock]") {
  SkewedPair p;
  p.relay->Kill9();
  const auto sent_at = Steady::now();
  const auto sent_ms = static_cast<std::uint64_t>(SystemMs() + kHour.count());  // A's clock
  const MessageId id = Take(p.a->SendText(p.pair.b_at_a, "nowhere to go", {.ttl = 3s}));
  REQUIRE(p.a_log->WaitFor([&](const Event& e) { return IsUndelivered(e, id); }, 30s));
  const std::int64_t given_up_after = Since(sent_at);
  CHECK(given_up_after >= 3000);
  CHECK(given_up_after < 12'000);
  const Event event = *p.a_log->Find([&](const Event& e) { return IsUndelivered(e, id); });
  CHECK_FALSE(event.stored_on_relay);
  // Its time is A's clock, an hour ahead of the relay's and the system's.
  CHECK(event.time_ms >= sent_ms + 3000);
  CHECK(event.time_ms < sent_ms + 12'000);
  // Its rows are gone (A's own control messages, such as receipts, may still wait).
  CHECK(OnWorker<std::size_t>(*p.a, [&] { return p.a->core().context().outbox->CountFor(id); }) ==
        0);
}

// ---------------------------------------------------------------- alert trees

// A member of a tree with a skewed client clock; its alert service ticks on that clock.
struct SkewedMember {
  std::string name;
  std::shared_ptr<SkewedClock> clock;
  std::unique_ptr<Client> client;
  std::unique_ptr<AlertService> alerts;
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<AlertEvent>> events = std::make_shared<std::vector<AlertEvent>>();

  SkewedMember(const std::string& member_name, const RelayProcess& relay, const TempFolder& folder,
               std::chrono::milliseconds offset)
      : name(member_name), clock(std::make_shared<SkewedClock>(offset)) {
    ClientOptions options = FastOptions();
    options.clock = clock;
    client = Take(Client::Create(folder.path() / name, TestPassphrase(), {SpecOf(relay)}, options));
    alerts = Take(AlertService::Attach(*client, AlertOptions{.timer_interval = 100ms}));
    alerts->SetEventHandler([events = events, mutex = mutex](const AlertEvent& event) {
      std::lock_guard lock(*mutex);
      events->push_back(event);
    });
  }
  std::string key() const { return client->IdentityKey(); }
  std::optional<AlertEvent> Find(AlertEventKind kind, const AlertId& alert) const {
    std::lock_guard lock(*mutex);
    for (const auto& e : *events) {
      if (e.kind == kind && e.alert == alert) return e;
    }
    return std::nullopt;
  }
  bool WaitFor(AlertEventKind kind, const AlertId& alert, std::chrono::milliseconds limit = kWait) {
    return WaitUntil([&] { return Find(kind, alert).has_value(); }, limit);
  }
  bool Has(AlertEventKind kind) const {
    std::lock_guard lock(*mutex);
    return std::any_of(events->begin(), events->end(),
                       [&](const AlertEvent& e) { return e.kind == kind; });
  }
};

AlertSpec Expiring(std::chrono::seconds in) {
  return AlertSpec{.zones = {"centro"},
                   .texts = {{"es", "ALERTA: agentes en el mercado", "Vengan"},
                             {"en", "ALERT: agents at the market", "Come"}},
                   .expires_in = in,
                   .dispatcher_confirms = true};
}

// A dispatcher and a responder whose clocks are `dispatcher_offset` and
// `responder_offset` away from the relay's.
void AlertAcrossClocks(std::chrono::milliseconds dispatcher_offset,
                       std::chrono::milliseconds responder_offset) {
  auto relay = StartRelay();
  TempFolder folder;
  SkewedMember d("dispatcher", *relay, folder, dispatcher_offset);
  SkewedMember r("responder", *relay, folder, responder_offset);
  TreeSpec spec;
  spec.name = "centro";
  const TreeId tree = Take(d.alerts->CreateTree(spec));
  Take(d.alerts->AddMember(tree, {.card = Take(r.client->MyCard("responder")),
                                  .name = "responder",
                                  .role = MemberRole::kResponder,
                                  .parent = d.key(),
                                  .zones = {"centro"},
                                  .languages = {"es", "en"}}));
  Take(d.alerts->PushViews(tree));
  REQUIRE(WaitUntil([&] { return r.Has(AlertEventKind::kViewAccepted); }));
  REQUIRE(WaitUntil([&] {
    const auto info = Take(r.alerts->Tree(tree));
    return !info.members.empty() && std::all_of(info.members.begin(), info.members.end(),
                                                [](const MemberInfo& m) { return m.alert_card; });
  }));

  // 30 minutes: active on arrival and after several ticks of the responder's timers.
  const AlertId long_alert = Take(d.alerts->SendAlert(tree, Expiring(30min)));
  REQUIRE(r.WaitFor(AlertEventKind::kAlert, long_alert));
  std::this_thread::sleep_for(1s);
  const AlertInfo shown = Take(r.alerts->GetAlert(long_alert));
  CHECK(shown.state == AlertState::kDispatched);
  CHECK_FALSE(r.Find(AlertEventKind::kExpired, long_alert));
  // Its expiry, on the responder's screen, is 30 minutes from now by the responder's clock.
  const auto left_ms =
      static_cast<std::int64_t>(shown.expires_at_ms) - static_cast<std::int64_t>(r.clock->NowMs());
  CHECK(left_ms > 29 * 60'000);
  CHECK(left_ms <= 30 * 60'000);
  // The responder's ack reaches the dispatcher with a time in the dispatcher's clock.
  Check(r.alerts->Ack(long_alert, {.kind = AckKind::kResponding, .eta_minutes = 10}));
  REQUIRE(d.WaitFor(AlertEventKind::kAck, long_alert));
  const AlertEvent ack = *d.Find(AlertEventKind::kAck, long_alert);
  REQUIRE(ack.ack);
  CHECK(std::llabs(static_cast<std::int64_t>(ack.ack->at_ms) -
                   static_cast<std::int64_t>(d.clock->NowMs())) < 30'000);

  // 4 seconds: it expires on the responder about 4 s after it was sent, not at once and
  // not hours later.
  const auto sent_at = Steady::now();
  const AlertId short_alert = Take(d.alerts->SendAlert(tree, Expiring(4s)));
  REQUIRE(r.WaitFor(AlertEventKind::kAlert, short_alert));
  REQUIRE(r.WaitFor(AlertEventKind::kExpired, short_alert, 30s));
  const std::int64_t expired_after = Since(sent_at);
  CHECK(expired_after >= 3000);
  CHECK(expired_after < 12'000);
  CHECK(Take(r.alerts->GetAlert(long_alert)).state == AlertState::kDispatched);
}

TEST_CASE("an alert from a dispatcher an hour behind to a responder an hour ahead keeps its expiry",
          "[faults][clock][alerts]") {
  AlertAcrossClocks(-kHour, kHour);
}

TEST_CASE("an alert from a dispatcher an hour ahead to a responder an hour behind keeps its expiry",
          "[faults][clock][alerts]") {
  AlertAcrossClocks(kHour, -kHour);
}

}  // namespace
}  // namespace tocsin::testing
