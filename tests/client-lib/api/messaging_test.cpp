// Two clients talking through real relays.
#include <algorithm>
#include <ostream>
#include <thread>

#include "client_test_util.h"
#include "core/contacts.h"
#include "core/hex.h"
#include "core/mailboxes.h"

namespace tocsin::testing {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> Numbered(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// A and B exchange `n` messages each way; each side's texts must arrive exactly once.
void ExchangeBothWays(Client& a, EventLog& a_log, Client& b, EventLog& b_log, const Pair& pair,
                      int n, const SendOptions& options = {}) {
  for (const auto& text : Numbered("a to b ", n)) Take(a.SendText(pair.b_at_a, text, options));
  for (const auto& text : Numbered("b to a ", n)) Take(b.SendText(pair.a_at_b, text, options));
  REQUIRE(b_log.WaitForText("a to b " + std::to_string(n - 1)));
  REQUIRE(a_log.WaitForText("b to a " + std::to_string(n - 1)));
  REQUIRE(WaitUntil([&] { return b_log.Texts().size() >= static_cast<std::size_t>(n + 1); }));
  auto b_texts = b_log.Texts();
  auto a_texts = a_log.Texts();
  b_texts.erase(std::remove(b_texts.begin(), b_texts.end(), "hello from A"), b_texts.end());
  a_texts.erase(std::remove(a_texts.begin(), a_texts.end(), "hello from B"), a_texts.end());
  CHECK(Sorted(b_texts) == Sorted(Numbered("a to b ", n)));
  CHECK(Sorted(a_texts) == Sorted(Numbered("b to a ", n)));
}

// What `client` holds for its contact `id`: how many addresses, and whether they are
// still the ones from the contact's card.
struct KnownAddresses {
  int count = 0;
  bool from_card = false;
  friend bool operator==(const KnownAddresses&, const KnownAddresses&) = default;
  friend std::ostream& operator<<(std::ostream& out, const KnownAddresses& known) {
    return out << known.count << (known.from_card ? " from the card" : " given in the session");
  }
};

KnownAddresses AddressesOf(Client& client, const ContactId& id) {
  return OnWorker<KnownAddresses>(client, [&client, id] {
    const auto* contact = client.core().context().contacts->Find(*core::FromHex(id));
    REQUIRE(contact != nullptr);
    return KnownAddresses{contact->addresses_size(), contact->addresses_are_intro()};
  });
}

// How many of the tokens `client` gave its contact `id` its relays have taken.
int RegisteredTokens(Client& client, const ContactId& id) {
  return OnWorker<int>(client, [&client, id] {
    const auto* contact = client.core().context().contacts->Find(*core::FromHex(id));
    REQUIRE(contact != nullptr);
    return static_cast<int>(std::count_if(contact->given_tokens().begin(),
                                          contact->given_tokens().end(),
                                          [](const auto& given) { return given.registered(); }));
  });
}

// The relay of the client's second mailbox (the last whose tokens it registers).
RelayAddress SecondMailboxRelay(Client& client) {
  return OnWorker<RelayAddress>(
      client, [&client] { return client.core().context().mailboxes->all().at(1).relay; });
}

// A imports B's card and writes; B's contact request for A.
ContactId ContactRequestFrom(Client& a, const ContactId& b_at_a, EventLog& b_log) {
  Take(a.SendText(b_at_a, "hello from A"));
  REQUIRE(b_log.WaitForText("hello from A"));
  auto request = b_log.Find([](const Event& e) { return e.kind == EventKind::kContactRequest; });
  REQUIRE(request);
  return request->contact;
}

TEST_CASE("two clients over one relay exchange messages both ways, and acks delete",
          "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto a = CreateClient(folder, "a", *relay);
  auto b = CreateClient(folder, "b", *relay);
  REQUIRE(a->Relays().size() == 1);
  EventLog a_log(*a);
  auto b_log = std::make_unique<EventLog>(*b);
  const Pair pair = Introduce(*a, a_log, *b, *b_log);
  auto contact = Take(b->GetContact(pair.a_at_b));
  CHECK(contact.origin == ContactOrigin::kRequested);
  CHECK_FALSE(contact.verified);
  CHECK(contact.reachable);
  ExchangeBothWays(*a, a_log, *b, *b_log, pair, 5);
  REQUIRE(WaitOutboxEmpty(*a));
  REQUIRE(WaitOutboxEmpty(*b));
  // Each side's receipts for the other's messages have come back.
  REQUIRE(WaitUntil([&] { return AwaitingReceipts(*a) == 0 && AwaitingReceipts(*b) == 0; }));

  // The relay took every send on a send connection: it counted the sends (6 texts, the
  // answer to the contact request and the receipts, each way) and refused none for
  // their kind of connection, as it does a Send on an owner connection; the owner
  // connections subscribed and acked.
  const std::string page = RelayMetrics(*relay);
  REQUIRE(page.find("200 OK") != std::string::npos);
  INFO(page);
  CHECK(MetricValue(page, R"(tocsin_relay_requests_total{type="send",code="OK"})") >= 12);
  CHECK(MetricValue(page, R"(tocsin_relay_requests_total{type="subscribe",code="OK"})") >= 2);
  CHECK(MetricValue(page, R"(tocsin_relay_requests_total{type="ack",code="OK"})") >= 1);
  CHECK(page.find("WRONG_CONNECTION_KIND") == std::string::npos);

  // B starts again: everything it took was acked, so only the new message arrives.
  b_log.reset();
  b->Close();
  b = Take(Client::Open(folder.path() / "b", TestPassphrase(), FastOptions()));
  b_log = std::make_unique<EventLog>(*b);
  Take(a->SendText(pair.b_at_a, "after reopen"));
  REQUIRE(b_log->WaitForText("after reopen"));
  CHECK(Stats(*b).received == 1);
  CHECK(b_log->Texts() == std::vector<std::string>{"after reopen"});
}

TEST_CASE("a new device's first event, once done, is not given again", "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto a = CreateClient(folder, "a", *relay);
  auto b = CreateClient(folder, "b", *relay);
  EventLog a_log(*a);
  auto b_log = std::make_unique<EventLog>(*b);  // marks each event done, as an application
  Introduce(*a, a_log, *b, *b_log);
  const std::vector<Event> first = b_log->All();
  REQUIRE(first.size() >= 2);  // the contact request, then the message
  for (const Event& e : first) {
    // 0 is an event that is not stored (a relay's state), which Done ignores.
    if (e.kind != EventKind::kRelayState) CHECK(e.id != 0);
  }
  CHECK(WaitUntil([&] { return Take(b->PendingEvents()).empty(); }));
  b_log.reset();
  b->Close();
  b = Take(Client::Open(folder.path() / "b", TestPassphrase(), FastOptions()));
  CHECK(Take(b->PendingEvents()).empty());
}

TEST_CASE("two clients over two relays: each message goes to both, arrives once",
          "[client][relay]") {
  auto r1 = StartRelay();
  auto r2 = StartRelay();
  TempFolder folder;
  const std::vector<RelaySpec> relays{SpecOf(*r1), SpecOf(*r2)};
  auto a = Take(Client::Create(folder.path() / "a", TestPassphrase(), relays, FastOptions()));
  auto b = Take(Client::Create(folder.path() / "b", TestPassphrase(), relays, FastOptions()));
  REQUIRE(a->Relays().size() == 2);
  REQUIRE(b->Relays().size() == 2);
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  ExchangeBothWays(*a, a_log, *b, b_log, pair, 5);
  // The second copy of each message came through the other relay and was dropped.
  REQUIRE(WaitUntil([&] { return Stats(*b).duplicates >= 5; }));
  CHECK(b_log.Count(EventKind::kContactRequest) == 1);
  // ... and acked there all the same: both relays' queues drain.
  for (const RelayProcess* relay : {r1.get(), r2.get()}) {
    std::string page;
    REQUIRE(WaitUntil([&] {
      page = RelayMetrics(*relay);
      return MetricValue(page, "tocsin_relay_envelopes_stored_total") ==
             MetricValue(page, "tocsin_relay_envelopes_acked_total");
    }));
    CHECK(MetricValue(page, "tocsin_relay_envelopes_stored_total") >= 12);
  }
}

TEST_CASE("with one of two relays killed and its data gone, delivery goes on through the other",
          "[client][relay]") {
  auto r1 = StartRelay();
  auto r2 = StartRelay();
  TempFolder folder;
  const std::vector<RelaySpec> relays{SpecOf(*r1), SpecOf(*r2)};
  auto a = Take(Client::Create(folder.path() / "a", TestPassphrase(), relays, FastOptions()));
  auto b = Take(Client::Create(folder.path() / "b", TestPassphrase(), relays, FastOptions()));
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);

  r1->Kill9();
  std::filesystem::remove_all(r1->data_dir());  // gone for good
  // A short TTL: past it, each side knows whether the other's device confirmed each
  // message (a receipt), or is told it did not (kUndelivered).
  SendOptions short_lived;
  short_lived.ttl = 8s;
  ExchangeBothWays(*a, a_log, *b, b_log, pair, 5, short_lived);
  REQUIRE(WaitUntil([&] { return AwaitingReceipts(*a) == 0 && AwaitingReceipts(*b) == 0; }));
  // B has a copy of the next one through the live relay: no recipient waits, while the
  // copy for the dead relay is still retried until the TTL.
  const MessageId extra = Take(a->SendText(pair.b_at_a, "one more", short_lived));
  REQUIRE(b_log.WaitForText("one more"));
  DeliveryState state;
  REQUIRE(WaitUntil([&] {
    state = Take(a->Delivery(extra));
    return state.recipients_waiting == 0;
  }));
  CHECK(state.copies_waiting == 1);
  std::this_thread::sleep_until(std::chrono::steady_clock::now() + short_lived.ttl +
                                5 * FastOptions().maintenance_interval);
  CHECK(a_log.Count(EventKind::kUndelivered) == 0);
  CHECK(b_log.Count(EventKind::kUndelivered) == 0);
}

// Two clients on the same two relays, each behind a HookedTransport ("a" and "b"), with
// their event logs and B's card: the setting of the token-registration tests below.
struct HookedPair {
  std::unique_ptr<RelayProcess> r1 = StartRelay();
  std::unique_ptr<RelayProcess> r2 = StartRelay();
  TempFolder folder;
  HookedTransports hooks;
  std::unique_ptr<Client> a = Make("a");
  std::unique_ptr<Client> b = Make("b");
  EventLog a_log{*a};
  EventLog b_log{*b};
  std::string card = Take(b->MyCard("B"));

  std::unique_ptr<Client> Make(const std::string& name) {
    hooks.Next(name);
    return Take(Client::Create(folder.path() / name, TestPassphrase(), {SpecOf(*r1), SpecOf(*r2)},
                               FastOptions()));
  }
};

TEST_CASE("an answer sent while a token is still on its way to one relay leaves both relays",
          "[client][relay]") {
  HookedPair p;
  // B's relay of its second mailbox is slow to take the token B gives A; the first
  // mailbox's is in when B answers.
  HookedTransport& b_links = p.hooks["b"];
  const RelayAddress slow = SecondMailboxRelay(*p.b);
  b_links.HoldSetTokens([slow](const RelayAddress& relay) { return relay == slow; });
  const ContactId b_at_a = Take(p.a->AddContact(p.card, ""));
  const ContactId a_at_b = ContactRequestFrom(*p.a, b_at_a, p.b_log);
  REQUIRE(WaitUntil([&] { return b_links.held_set_tokens() == 1; }));
  // The first mailbox's registration may still be on its way when the second is held.
  REQUIRE(WaitUntil([&] { return RegisteredTokens(*p.b, a_at_b) == 1; }));
  Take(p.b->SendText(a_at_b, "hello from B"));
  REQUIRE(p.a_log.WaitForText("hello from B"));
  // A still writes to both of B's mailboxes, with the card's tokens.
  CHECK(AddressesOf(*p.a, b_at_a) == KnownAddresses{2, true});

  // Once both tokens are in, B's addresses follow: both mailboxes, with B's tokens.
  b_links.ReleaseSetTokens();
  REQUIRE(WaitUntil([&] { return AddressesOf(*p.a, b_at_a) == KnownAddresses{2, false}; }));
  const auto duplicates_before = Stats(*p.b).duplicates;
  Take(p.a->SendText(b_at_a, "on both"));
  REQUIRE(p.b_log.WaitForText("on both"));
  // Its second copy, through the other relay, is dropped as a duplicate.
  REQUIRE(WaitUntil([&] { return Stats(*p.b).duplicates > duplicates_before; }));
}

TEST_CASE("a mailbox whose relay could not take a token is announced once it can",
          "[client][relay]") {
  HookedPair p;
  // The relay of B's second mailbox cannot be reached when B registers A's token.
  HookedTransport& b_links = p.hooks["b"];
  const RelayAddress down = SecondMailboxRelay(*p.b);
  b_links.FailSetTokens([down](const RelayAddress& relay) { return relay == down; });
  const ContactId b_at_a = Take(p.a->AddContact(p.card, ""));
  const ContactId a_at_b = ContactRequestFrom(*p.a, b_at_a, p.b_log);
  // B gives A what it has: its first mailbox.
  REQUIRE(WaitUntil([&] { return AddressesOf(*p.a, b_at_a) == KnownAddresses{1, false}; }));
  CHECK(RegisteredTokens(*p.b, a_at_b) == 1);

  // The relay is back: B's link to it comes up again, the token goes in, and A learns
  // of the second mailbox.
  b_links.FailSetTokens(nullptr);
  RelayProcess& restarted = down == p.r1->address() ? *p.r1 : *p.r2;
  restarted.Kill9();
  REQUIRE(restarted.Start().ok());
  REQUIRE(WaitUntil([&] { return RegisteredTokens(*p.b, a_at_b) == 2; }));
  REQUIRE(WaitUntil([&] { return AddressesOf(*p.a, b_at_a) == KnownAddresses{2, false}; }));
}

TEST_CASE("a recipient that was offline gets its messages when it comes back", "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto a = CreateClient(folder, "a", *relay);
  auto b = CreateClient(folder, "b", *relay);
  EventLog a_log(*a);
  auto b_log = std::make_unique<EventLog>(*b);
  const Pair pair = Introduce(*a, a_log, *b, *b_log);
  REQUIRE(WaitOutboxEmpty(*b));
  b_log.reset();
  b->Close();
  for (const auto& text : Numbered("while away ", 3)) Take(a->SendText(pair.b_at_a, text));
  REQUIRE(WaitOutboxEmpty(*a));  // stored by the relay: delivered to the network
  b = Take(Client::Open(folder.path() / "b", TestPassphrase(), FastOptions()));
  b_log = std::make_unique<EventLog>(*b);
  REQUIRE(b_log->WaitForText("while away 2"));
  REQUIRE(WaitUntil([&] { return b_log->Texts().size() == 3; }));
  CHECK(Sorted(b_log->Texts()) == Numbered("while away ", 3));
}

TEST_CASE("a message no relay stored before its TTL is reported undelivered", "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto a = CreateClient(folder, "a", *relay);
  auto b = CreateClient(folder, "b", *relay);
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  REQUIRE(WaitOutboxEmpty(*a));  // the receipts of the introduction are out
  REQUIRE(WaitOutboxEmpty(*b));
  relay->Kill9();
  SendOptions options;
  options.ttl = 2s;
  const MessageId id = Take(a->SendText(pair.b_at_a, "too late", options));
  // While it waits, the application can tell: one recipient, one copy (B has one relay).
  const DeliveryState waiting = Take(a->Delivery(id));
  CHECK(waiting.recipients_waiting == 1);
  CHECK(waiting.copies_waiting == 1);
  CHECK(a->Delivery("not hex").status().code() == Code::kInvalidArgument);
  REQUIRE(a_log.WaitFor(
      [&](const Event& e) { return e.kind == EventKind::kUndelivered && e.message_id == id; }));
  auto event = a_log.Find([](const Event& e) { return e.kind == EventKind::kUndelivered; });
  CHECK(event->contact == pair.b_at_a);
  CHECK_FALSE(event->stored_on_relay);
  CHECK(OutboxSize(*a) == 0);
  const DeliveryState gone = Take(a->Delivery(id));
  CHECK(gone.recipients_waiting == 0);
  CHECK(gone.copies_waiting == 0);
  // Reported once: the receipt it also waited for is not reported again.
  std::this_thread::sleep_for(5 * FastOptions().maintenance_interval);
  CHECK(a_log.Count(EventKind::kUndelivered) == 1);
  CHECK(AwaitingReceipts(*a) == 0);
}

TEST_CASE("a message a relay stored but the recipient never confirmed is reported at its TTL",
          "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto a = CreateClient(folder, "a", *relay);
  auto b = CreateClient(folder, "b", *relay);
  EventLog a_log(*a);
  auto b_log = std::make_unique<EventLog>(*b);
  const Pair pair = Introduce(*a, a_log, *b, *b_log);
  // B online: its receipt comes (well within a TTL that leaves room for a loaded
  // machine), and nothing is reported when the TTL passes.
  SendOptions roomy;
  roomy.ttl = 8s;
  const auto sent_at = std::chrono::steady_clock::now();
  const MessageId confirmed = Take(a->SendText(pair.b_at_a, "on time", roomy));
  REQUIRE(b_log->WaitForText("on time"));
  REQUIRE(WaitUntil([&] { return AwaitingReceipts(*a) == 0; }));
  std::this_thread::sleep_until(sent_at + roomy.ttl + 5 * FastOptions().maintenance_interval);
  CHECK(a_log.Count(EventKind::kUndelivered) == 0);

  SendOptions options;
  options.ttl = 3s;

  // B offline past the TTL: the relay stored the message, but A is told it was not
  // delivered to B's device.
  REQUIRE(WaitOutboxEmpty(*b));
  b_log.reset();
  b->Close();
  const MessageId lost = Take(a->SendText(pair.b_at_a, "while away", options));
  REQUIRE(WaitOutboxEmpty(*a));  // a relay stored it
  REQUIRE(a_log.WaitFor(
      [&](const Event& e) { return e.kind == EventKind::kUndelivered && e.message_id == lost; }));
  auto event = a_log.Find([&](const Event& e) { return e.message_id == lost; });
  CHECK(event->contact == pair.b_at_a);
  CHECK(event->stored_on_relay);
  CHECK(a_log.Count(EventKind::kUndelivered) == 1);
  CHECK_FALSE(a_log.Find([&](const Event& e) { return e.message_id == confirmed; }));
}

TEST_CASE("a TTL longer than the TTL cap is sent as the cap", "[client][relay][ttl]") {
  auto relay = StartRelay();  // its own cap is 72 h
  TempFolder folder;
  HookedTransports hooks;
  ClientOptions a_options = FastOptions();
  a_options.ttl_cap = std::chrono::hours(1);  // the default TTL stays 72 h
  hooks.Next("a");
  auto a = Take(Client::Create(folder.path() / "a", TestPassphrase(), {SpecOf(*relay)}, a_options));
  hooks.Next("b");
  auto b = CreateClient(folder, "b", *relay);
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  const GroupId group = Take(a->CreateGroup("responders", {pair.b_at_a}));
  Check(b->JoinGroup(group, "responders", {pair.a_at_b}));

  SendOptions ten_hours;
  ten_hours.ttl = std::chrono::hours(10);
  Take(a->SendText(pair.b_at_a, "ten hours asked", ten_hours));
  Take(a->SendText(pair.b_at_a, "the default asked"));
  Take(a->SendGroupText(group, "ten hours asked of the group", ten_hours));
  REQUIRE(b_log.WaitForText("ten hours asked"));
  REQUIRE(b_log.WaitForText("the default asked"));
  REQUIRE(b_log.WaitForText("ten hours asked of the group"));
  REQUIRE(WaitOutboxEmpty(*a));

  // Every envelope and blob A handed a relay (the introduction's too) lives at most the
  // cap, so the ids B keeps to drop copies (the cap plus a day) outlive them all.
  const auto ttls = hooks["a"].ttls();
  REQUIRE(ttls.size() >= 5);
  for (std::uint32_t ttl : ttls) CHECK(ttl <= 3600);
  CHECK(std::count_if(ttls.begin(), ttls.end(), [](std::uint32_t t) { return t > 3500; }) >= 3);
}

TEST_CASE("a burst over the relay's rate arrives whole, in order but for the window in flight",
          "[client][relay][order]") {
  // A slow mailbox: most of the burst is answered RATE_LIMITED and retried, and every
  // message B takes makes B answer with a receipt, so A's ratchet turns each time.
  auto relay = StartRelay(
      {{"rate_limits.token_envelopes_per_second", "20"}, {"rate_limits.token_burst", "20"}});
  TempFolder folder;
  auto a = CreateClient(folder, "a", *relay);
  auto b = CreateClient(folder, "b", *relay);
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  const std::vector<std::string> burst = Numbered("burst ", 150);
  for (const std::string& text : burst) Take(a->SendText(pair.b_at_a, text));
  REQUIRE(b_log.WaitForText("burst 149", 120s));
  REQUIRE(WaitOutboxEmpty(*a));
  std::vector<std::string> texts = b_log.Texts();
  texts.erase(texts.begin());             // "hello from A"
  CHECK(Sorted(texts) == Sorted(burst));  // all of it, once
  // In order but for what was already on the wire when an older message was refused:
  // at most a window of them (the outbox keeps 8 in flight per mailbox) overtakes it.
  std::size_t worst = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto sent_at =
        static_cast<std::size_t>(std::find(burst.begin(), burst.end(), texts[i]) - burst.begin());
    worst = std::max(worst, sent_at > i ? sent_at - i : i - sent_at);
  }
  CHECK(worst <= 16);
  CHECK(Stats(*b).resend_requests == 0);
  CHECK(MetricValue(RelayMetrics(*relay),
                    R"(tocsin_relay_requests_total{type="send",code="RATE_LIMITED"})") > 0);
}

TEST_CASE("a message its session can no longer decrypt is asked for and sent again",
          "[client][relay][order]") {
  auto relay = StartRelay();
  TempFolder folder;
  HookedTransports hooks;
  auto a = CreateClient(folder, "a", *relay);
  hooks.Next("b");
  auto b = CreateClient(folder, "b", *relay);
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);

  // The first message is held on B's side while eight round trips turn both ratchets:
  // by the time it comes, B's session has dropped the chain it was sent on. (A's receipt
  // for B's hello comes first.)
  REQUIRE(WaitUntil([&] { return AwaitingReceipts(*b) == 0; }));
  bool first = true;
  hooks["b"].Hold([&first](const net::IncomingDelivery&) { return std::exchange(first, false); });
  Take(a->SendText(pair.b_at_a, "overtaken"));
  REQUIRE(WaitUntil([&] { return hooks["b"].held() == 1; }));
  hooks["b"].Hold(nullptr);
  for (int i = 0; i < 8; ++i) {
    const std::string ping = "ping " + std::to_string(i);
    Take(a->SendText(pair.b_at_a, ping));
    REQUIRE(b_log.WaitForText(ping));
    const std::string pong = "pong " + std::to_string(i);
    Take(b->SendText(pair.a_at_b, pong));
    REQUIRE(a_log.WaitForText(pong));
  }
  hooks["b"].Release();
  REQUIRE(b_log.WaitForText("overtaken"));
  CHECK(Stats(*b).resend_requests == 1);
  CHECK(Stats(*a).resends == 1);
  const auto texts = b_log.Texts();
  CHECK(std::count(texts.begin(), texts.end(), "overtaken") == 1);
  // It is confirmed like any other: no undelivered report comes for it.
  REQUIRE(WaitUntil([&] { return AwaitingReceipts(*a) == 0; }));
}

TEST_CASE("one card starts sessions with several people", "[client][relay][card]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto ana = CreateClient(folder, "ana", *relay);
  EventLog ana_log(*ana);
  const std::string card = Take(ana->MyCard("Ana"));
  std::vector<std::unique_ptr<Client>> others;
  for (int i = 0; i < 3; ++i) {
    std::string name = "p";
    name += std::to_string(i);
    others.push_back(CreateClient(folder, name, *relay));
    const ContactId at = Take(others.back()->AddContact(card));
    std::string text = "hello from ";
    text += name;
    Take(others.back()->SendText(at, text));
    REQUIRE(ana_log.WaitForText(text));
  }
  CHECK(ana_log.Count(EventKind::kContactRequest) == 3);
}

}  // namespace
}  // namespace tocsin::testing
