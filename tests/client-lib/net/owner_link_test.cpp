// Owner links against the real relay: mailboxes created with invites, authenticated and
// subscribed; deliveries of what send connections stored; acks; the window; two relays;
// a relay killed and restarted under a subscribed link.
#include <algorithm>
#include <atomic>

#include "net/relay_pool.h"
#include "net_test_util.h"

namespace tocsin::net::testing {
namespace {

std::size_t Count(const std::vector<std::uint64_t>& seqs, std::uint64_t seq) {
  return static_cast<std::size_t>(std::count(seqs.begin(), seqs.end(), seq));
}

TEST_CASE("an owner link creates a mailbox with an invite and receives what senders stored",
          "[net][owner]") {
  auto relay = StartRelay();
  PoolHarness h;
  TestMailbox m;
  m.relay = relay->address();
  m.key = AuthKeyPair::Generate();
  // The invite as an operator hands it out: the text `invite create` prints.
  tocsin::testing::CommandResult invite = relay->RunCommand({"invite", "create"});
  REQUIRE(invite.exit_code == 0);
  const std::string invite_text = invite.output.substr(0, invite.output.find('\n'));
  Result<MailboxId> id = h.CreateMailbox(m.relay, invite_text, m.key);
  INFO(id.status().ToString());
  REQUIRE(id.ok());
  m.id = *id;
  m.token = RandomToken();
  REQUIRE(h.SetToken(m.relay, m.id, m.token).ok());
  REQUIRE(h.AddMailbox(m.relay, m.id, m.key).ok());
  CHECK(h.pool().State(m.relay) == LinkState::kConnected);
  REQUIRE(h.pool().Limits(m.relay).has_value());
  CHECK(h.pool().Limits(m.relay)->max_views_per_frame() == 2000);

  REQUIRE(h.Send(m.relay, m.id, m.token, "first sealed envelope").ok());
  REQUIRE(h.Send(m.relay, m.id, m.token, "second sealed envelope").ok());
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 2; }));
  const std::vector<IncomingDelivery> got = h.Deliveries();
  CHECK(got[0].envelope == "first sealed envelope");
  CHECK(got[1].envelope == "second sealed envelope");
  CHECK(got[0].seq < got[1].seq);
  CHECK(got[0].mailbox == m.id);
  CHECK(got[0].relay == m.relay);
  CHECK(got[0].expires_at_ms > 0);
  CHECK(got[0].blob == nullptr);

  REQUIRE(relay->WaitForStat("queued envelopes: 2"));
  // Acks made together go out as one Ack request.
  h.WhilePaused([&] {
    for (const IncomingDelivery& d : got) h.pool().Ack(m.relay, m.id, d.seq);
  });
  CHECK(relay->WaitForStat("queued envelopes: 0"));
  CHECK(WaitForMetric(*relay, "tocsin_relay_requests_total{type=\"ack\",code=\"OK\"}", 1));
}

TEST_CASE("a bad invite is refused and a malformed one never leaves the client", "[net][owner]") {
  auto relay = StartRelay();
  PoolHarness h;
  const AuthKeyPair key = AuthKeyPair::Generate();
  Result<MailboxId> unknown = h.CreateMailbox(relay->address(), std::string(16, 'x'), key);
  CHECK(unknown.status().code() == Code::kUnauthorized);
  Result<MailboxId> malformed = h.CreateMailbox(relay->address(), "not an invite", key);
  CHECK(malformed.status().code() == Code::kInvalidArgument);
}

TEST_CASE("mailboxes on two relays each get their own deliveries", "[net][owner]") {
  auto relay_a = StartRelay();
  auto relay_b = StartRelay();
  PoolHarness h;
  TestMailbox a = NewMailbox(h, *relay_a);
  TestMailbox b = NewMailbox(h, *relay_b);
  REQUIRE(h.Send(a.relay, a.id, a.token, "for a").ok());
  REQUIRE(h.Send(b.relay, b.id, b.token, "for b").ok());
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 2; }));
  for (const IncomingDelivery& d : h.Deliveries()) {
    if (d.mailbox == a.id) {
      CHECK(d.relay == a.relay);
      CHECK(d.envelope == "for a");
    } else {
      CHECK(d.mailbox == b.id);
      CHECK(d.relay == b.relay);
      CHECK(d.envelope == "for b");
    }
  }
  CHECK(h.pool().State(a.relay) == LinkState::kConnected);
  CHECK(h.pool().State(b.relay) == LinkState::kConnected);
  // A token of one relay's mailbox means nothing to the other relay.
  CHECK(h.Send(b.relay, a.id, a.token, "misrouted").code() == Code::kNotFound);
}

TEST_CASE("the window holds back deliveries beyond it until acks free slots", "[net][owner]") {
  auto relay = StartRelay();
  RelayPoolOptions options = FastOptions();
  options.window = 2;
  PoolHarness h(options);
  TestMailbox m = NewMailbox(h, *relay, /*subscribe=*/false);
  for (int i = 1; i <= 5; ++i) {
    REQUIRE(h.Send(m.relay, m.id, m.token, "envelope " + std::to_string(i)).ok());
  }
  REQUIRE(h.AddMailbox(m.relay, m.id, m.key).ok());
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 2; }));
  // The relay has pushed exactly the window and nothing more.
  REQUIRE(WaitForMetric(*relay, "tocsin_relay_envelopes_delivered_total", 2));
  CHECK_FALSE(h.WaitFor([&] { return h.deliveries.size() > 2; }, milliseconds(500)));
  CHECK(MetricValue(Metrics(*relay), "tocsin_relay_envelopes_delivered_total") == 2);

  h.pool().Ack(m.relay, m.id, h.Seqs(m.id)[0]);
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 3; }));
  CHECK_FALSE(h.WaitFor([&] { return h.deliveries.size() > 3; }, milliseconds(500)));
  const std::vector<std::uint64_t> seqs = h.Seqs(m.id);
  h.pool().Ack(m.relay, m.id, seqs[1]);
  h.pool().Ack(m.relay, m.id, seqs[2]);
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 5; }));
  const std::vector<IncomingDelivery> got = h.Deliveries();
  for (int i = 0; i < 5; ++i) CHECK(got[i].envelope == "envelope " + std::to_string(i + 1));
}

TEST_CASE("after a kill -9 and a restart the link comes back and unacked entries come again",
          "[net][owner]") {
  auto relay = StartRelay();
  PoolHarness h;
  TestMailbox m = NewMailbox(h, *relay);
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(h.Send(m.relay, m.id, m.token, "envelope " + std::to_string(i)).ok());
  }
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 3; }));
  const std::vector<std::uint64_t> first = h.Seqs(m.id);
  h.pool().Ack(m.relay, m.id, first[0]);
  REQUIRE(relay->WaitForStat("queued envelopes: 2"));
  const std::size_t auths_before = h.Locked([&] { return h.authenticated.size(); });

  relay->Kill9();
  REQUIRE(h.WaitFor(
      [&] { return !h.states.empty() && h.states.back().state != LinkState::kConnected; }));
  CHECK(h.pool().State(m.relay) != LinkState::kConnected);
  REQUIRE(relay->Start().ok());

  // Authenticated and subscribed again by itself; seqs 2 and 3 (not 1) come again.
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 5; }));
  const std::vector<std::uint64_t> seqs = h.Seqs(m.id);
  CHECK(Count(seqs, first[0]) == 1);
  CHECK(Count(seqs, first[1]) == 2);
  CHECK(Count(seqs, first[2]) == 2);
  CHECK(h.WaitFor([&] { return h.authenticated.size() > auths_before; }));
  REQUIRE(h.WaitFor([&] { return h.states.back().state == LinkState::kConnected; }));
  CHECK(h.SawState(LinkState::kFailing, Code::kUnavailable));
  // The link works as before: new sends arrive, acks delete.
  REQUIRE(h.Send(m.relay, m.id, m.token, "after the restart").ok());
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 6; }));
  for (std::uint64_t seq : h.Seqs(m.id)) h.pool().Ack(m.relay, m.id, seq);
  CHECK(relay->WaitForStat("queued envelopes: 0"));
}

TEST_CASE("a mailbox added while the relay is down is subscribed once it is up", "[net][owner]") {
  auto relay = StartRelay();
  PoolHarness h;
  TestMailbox m = NewMailbox(h, *relay, /*subscribe=*/false);
  REQUIRE(h.Send(m.relay, m.id, m.token, "waiting").ok());
  relay->Kill9();
  auto done = std::make_shared<std::atomic<int>>(0);
  auto result = std::make_shared<Status>();
  h.pool().AddMailbox(m.relay, m.id, m.key, [&h, done, result](Status s) {
    h.Note([&] {
      *result = s;
      ++*done;
    });
  });
  // Connection failures are not hard failures: `done` waits for the Subscribed.
  REQUIRE(h.WaitFor([&] { return h.SawState(LinkState::kFailing, Code::kUnavailable); }));
  CHECK(*done == 0);
  REQUIRE(relay->Start().ok());
  REQUIRE(h.WaitFor([&] { return *done == 1 && h.deliveries.size() == 1; }));
  CHECK(result->ok());
  CHECK(h.Deliveries()[0].envelope == "waiting");
}

}  // namespace
}  // namespace tocsin::net::testing
