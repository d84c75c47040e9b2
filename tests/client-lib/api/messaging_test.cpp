// Two clients talking through real relays.
#include <algorithm>

#include "client_test_util.h"

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
                      int n) {
  for (const auto& text : Numbered("a to b ", n)) Take(a.SendText(pair.b_at_a, text));
  for (const auto& text : Numbered("b to a ", n)) Take(b.SendText(pair.a_at_b, text));
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

TEST_CASE("two clients over one relay exchange messages both ways, and acks delete",
          "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto a =
      Take(Client::Create(folder.path() / "a", TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  auto b =
      Take(Client::Create(folder.path() / "b", TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
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
  ExchangeBothWays(*a, a_log, *b, b_log, pair, 5);
  CHECK(b_log.Count(EventKind::kUndelivered) == 0);
}

TEST_CASE("a recipient that was offline gets its messages when it comes back", "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto a =
      Take(Client::Create(folder.path() / "a", TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  auto b =
      Take(Client::Create(folder.path() / "b", TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
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
  auto a =
      Take(Client::Create(folder.path() / "a", TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  auto b =
      Take(Client::Create(folder.path() / "b", TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  relay->Kill9();
  SendOptions options;
  options.ttl = 2s;
  const MessageId id = Take(a->SendText(pair.b_at_a, "too late", options));
  REQUIRE(a_log.WaitFor(
      [&](const Event& e) { return e.kind == EventKind::kUndelivered && e.message_id == id; }));
  auto event = a_log.Find([](const Event& e) { return e.kind == EventKind::kUndelivered; });
  CHECK(event->contact == pair.b_at_a);
  CHECK(OutboxSize(*a) == 0);
}

}  // namespace
}  // namespace tocsin::testing
