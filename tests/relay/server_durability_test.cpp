// Durability of the real relay: kill -9 or SIGTERM while clients send, restart, and
// check that every envelope answered Stored is delivered and none twice
// (docs/design.md, invariant 4).
#include <atomic>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "server_test_util.h"

namespace tocsin::testing {
namespace {

constexpr int kSenders = 4;
constexpr int kRounds = 10;

struct Mailboxes {
  AuthKeyPair key = AuthKeyPair::Generate();
  std::vector<std::string> ids;
  std::vector<std::string> tokens;
};

Mailboxes MakeMailboxes(const RelayProcess& relay) {
  Mailboxes m;
  auto owner = Connect(relay, wire::OWNER);
  const std::string invite = relay.CreateInvite(kSenders);
  for (int i = 0; i < kSenders; ++i) {
    auto id = owner->CreateMailbox(invite, m.key);
    REQUIRE(id.ok());
    m.ids.push_back(*id);
    m.tokens.push_back(RandomToken());
    REQUIRE(owner->SetToken(*id, wire::CONTACT, m.tokens.back()).ok());
  }
  return m;
}

// One sender thread: sends until its connection breaks; records what was Stored.
void SendUntilBroken(const RelayProcess& relay, const Mailboxes& m, int sender, int round,
                     std::set<std::string>* stored, std::atomic<int>* stored_count) {
  auto client = TestClient::Connect(relay.address());
  if (!client.ok() || !(*client)->Hello(wire::SEND).ok()) return;
  for (int n = 0;; ++n) {
    std::string envelope = "r";
    envelope.append(std::to_string(round)).append("-s").append(std::to_string(sender));
    envelope.append("-").append(std::to_string(n));
    const auto i = static_cast<std::size_t>(sender);
    if (!(*client)->Send(m.ids[i], m.tokens[i], envelope).ok()) return;
    stored->insert(envelope);
    stored_count->fetch_add(1);
  }
}

// Receives until every envelope of `expected` has come, acking all; checks that
// nothing is delivered twice, within this drain or across drains (`delivered`).
void Drain(const RelayProcess& relay, const Mailboxes& m, const std::set<std::string>& expected,
           std::set<std::string>* delivered) {
  auto owner = Connect(relay, wire::OWNER);
  for (const std::string& id : m.ids) {
    REQUIRE(owner->Authenticate(id, m.key).ok());
    REQUIRE(owner->Subscribe(id, 1024).ok());
  }
  std::size_t missing = 0;
  for (const std::string& e : expected) missing += delivered->count(e) == 0 ? 1 : 0;
  std::map<std::string, std::vector<std::uint64_t>> to_ack;
  while (missing > 0) {
    auto d = owner->NextDelivery();
    INFO(missing << " stored envelopes still missing");
    REQUIRE(d.ok());
    INFO("envelope " << d->envelope());
    REQUIRE(delivered->insert(d->envelope()).second);  // never twice
    if (expected.count(d->envelope()) != 0) --missing;
    to_ack[d->mailbox_id()].push_back(d->seq());
  }
  // Sent but unanswered when the relay died: may or may not be there; take what came.
  while (!owner->NoDeliveryWithin(milliseconds(200))) {
    auto d = owner->NextDelivery();
    REQUIRE(d.ok());
    REQUIRE(delivered->insert(d->envelope()).second);
    to_ack[d->mailbox_id()].push_back(d->seq());
  }
  for (const auto& [id, seqs] : to_ack) {
    auto acked = owner->Ack(id, seqs);
    REQUIRE(acked.ok());
    CHECK(*acked == seqs.size());
  }
}

TEST_CASE("kill -9 while clients send: everything answered Stored is delivered / none twice",
          "[relay][durability]") {
  auto relay = StartRelay();
  const Mailboxes m = MakeMailboxes(*relay);
  std::mt19937 rng(20261125);
  std::set<std::string> stored_all;
  std::set<std::string> delivered;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    std::vector<std::set<std::string>> stored(kSenders);
    std::atomic<int> count{0};
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.emplace_back(SendUntilBroken, std::cref(*relay), std::cref(m), s, round,
                           &stored[static_cast<std::size_t>(s)], &count);
    }
    const int kill_after = std::uniform_int_distribution<int>(10, 150)(rng);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (count.load() < kill_after && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    relay->Kill9();  // mid-stream: sends are in flight
    for (auto& t : senders) t.join();
    REQUIRE(count.load() >= kill_after);
    for (const auto& s : stored) stored_all.insert(s.begin(), s.end());
    const Status restarted = relay->Start();
    INFO(restarted.ToString());
    REQUIRE(restarted.ok());
    Drain(*relay, m, stored_all, &delivered);
  }
  for (const std::string& e : stored_all) CHECK(delivered.count(e) == 1);
}

// What one pipelining sender saw.
struct SenderLog {
  std::set<std::string> stored;
  std::vector<wire::Error> refused;  // answered with an error
};

// One sender keeping `depth` Sends in flight until its connection ends.
void PipelineUntilClosed(const RelayProcess& relay, const Mailboxes& m, int sender, int depth,
                         SenderLog* log, std::atomic<int>* stored_count) {
  auto client = TestClient::Connect(relay.address());
  if (!client.ok() || !(*client)->Hello(wire::SEND).ok()) return;
  const auto i = static_cast<std::size_t>(sender);
  std::deque<std::pair<std::uint64_t, std::string>> in_flight;
  for (int next = 0;;) {
    while (static_cast<int>(in_flight.size()) < depth) {
      std::string envelope = "t-s";
      envelope.append(std::to_string(sender)).append("-").append(std::to_string(next++));
      wire::Request r;
      r.mutable_send()->set_mailbox_id(m.ids[i]);
      r.mutable_send()->set_token(m.tokens[i]);
      r.mutable_send()->set_envelope(envelope);
      auto id = (*client)->SendRequest(r);
      if (!id.ok()) return;
      in_flight.emplace_back(*id, std::move(envelope));
    }
    auto answer = (*client)->WaitResponse(in_flight.front().first);
    if (!answer.ok()) return;  // the relay closed the connection
    if (answer->has_stored()) {
      log->stored.insert(in_flight.front().second);
      stored_count->fetch_add(1);
    } else {
      log->refused.push_back(answer->error());
    }
    in_flight.pop_front();
  }
}

TEST_CASE("SIGTERM while senders are mid-stream: exit 0 / every Stored envelope delivered",
          "[relay][durability]") {
  auto relay = StartRelay({{"rate_limits.token_envelopes_per_second", "100000"},
                           {"rate_limits.token_burst", "100000"},
                           {"rate_limits.mailbox_total_envelopes_per_second", "100000"},
                           {"rate_limits.mailbox_total_burst", "100000"},
                           {"rate_limits.connection_requests_per_second", "100000"},
                           {"rate_limits.connection_burst", "100000"},
                           {"tokens.contact.max_queued_messages", "0"},
                           {"tokens.contact.max_queued_bytes", "0"}});
  const Mailboxes m = MakeMailboxes(*relay);
  std::vector<SenderLog> logs(kSenders);
  std::atomic<int> count{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back(PipelineUntilClosed, std::cref(*relay), std::cref(m), s, 16,
                         &logs[static_cast<std::size_t>(s)], &count);
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (count.load() < 400 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(count.load() >= 400);
  CHECK(relay->Terminate() == 0);  // with 64 sends in flight
  for (auto& t : senders) t.join();
  CHECK(relay->Log().find("stopped cleanly") != std::string::npos);
  std::set<std::string> stored;
  for (const SenderLog& log : logs) {
    stored.insert(log.stored.begin(), log.stored.end());
    // A send that came in while the store was closing is refused, with a time to wait.
    for (const wire::Error& e : log.refused) {
      CHECK(e.code() == wire::UNAVAILABLE);
      CHECK(e.retry_after_ms() > 0);
    }
  }
  const Status restarted = relay->Start();
  INFO(restarted.ToString());
  REQUIRE(restarted.ok());
  std::set<std::string> delivered;
  Drain(*relay, m, stored, &delivered);
  for (const std::string& e : stored) CHECK(delivered.count(e) == 1);
}

}  // namespace
}  // namespace tocsin::testing
