// Subscribe, delivery, window, ack and expiry (proto/SPEC.md section 8) against the
// real relay.

#include "server_test_util.h"

namespace tocsin::testing {
namespace {

std::string Envelope(int i) { return "envelope-" + std::to_string(i); }

// Reads `n` deliveries and returns them in arrival order.
std::vector<wire::Delivery> Receive(TestClient& client, int n) {
  std::vector<wire::Delivery> got;
  for (int i = 0; i < n; ++i) {
    auto d = client.NextDelivery();
    INFO("delivery " << i << ": " << d.status().ToString());
    REQUIRE(d.ok());
    got.push_back(*d);
  }
  return got;
}

TEST_CASE("a backlog of large envelopes reaches a reader that keeps up within the byte bound",
          "[relay][server][delivery]") {
  // Unacked deliveries are bounded by half of max_outbound_bytes (128 KiB here) as well
  // as by the window: 20 envelopes of 60,000 bytes under a window of 1,024 would be
  // 1.2 MB in the outbound buffer at once, over its bound, and the reader cut off.
  auto relay = StartRelay({{"limits.max_outbound_bytes", "262144"}});
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  const std::string big(60000, 'b');
  for (int i = 0; i < 20; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, big).ok());
  auto subscribed = owner.client->Subscribe(owner.mailbox, 1024);
  REQUIRE(subscribed.ok());
  CHECK(subscribed->window() == 1024);
  // Two fit the bound before any ack; the third waits for one.
  auto first = Receive(*owner.client, 2);
  CHECK_FALSE(owner.client->NextDelivery(std::chrono::milliseconds(300)).ok());
  std::uint64_t last = first.back().seq();
  REQUIRE(owner.client->Ack(owner.mailbox, {first[0].seq()}).ok());
  int got = 2;
  while (got < 20) {
    auto d = owner.client->NextDelivery();
    REQUIRE(d.ok());
    CHECK(d->seq() > last);
    CHECK(d->envelope() == big);
    last = d->seq();
    ++got;
    REQUIRE(owner.client->Ack(owner.mailbox, {d->seq()}).ok());
  }
  REQUIRE(owner.client->Ack(owner.mailbox, {first[1].seq()}).ok());
  CHECK(owner.client->Ping().ok());  // still connected
  CHECK(relay->WaitForStat("queued envelopes: 0"));
}

TEST_CASE("a live subscriber gets envelopes in order as they are stored",
          "[relay][server][delivery]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
  auto sender = Connect(*relay, wire::SEND);
  for (int i = 0; i < 20; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, Envelope(i)).ok());
  auto got = Receive(*owner.client, 20);
  for (int i = 0; i < 20; ++i) {
    CHECK(got[static_cast<std::size_t>(i)].envelope() == Envelope(i));
    if (i > 0)
      CHECK(got[static_cast<std::size_t>(i)].seq() > got[static_cast<std::size_t>(i - 1)].seq());
  }
}

TEST_CASE("queued envelopes come first after a reconnect then new ones",
          "[relay][server][delivery]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  for (int i = 0; i < 5; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, Envelope(i)).ok());
  owner.client.reset();
  auto again = Connect(*relay, wire::OWNER);
  auto auth = again->Authenticate(owner.mailbox, owner.key);
  REQUIRE(auth.ok());
  CHECK(auth->queued() == 5);
  REQUIRE(again->Subscribe(owner.mailbox).ok());
  REQUIRE(sender->Send(owner.mailbox, owner.token, Envelope(5)).ok());
  auto got = Receive(*again, 6);
  for (int i = 0; i < 6; ++i) CHECK(got[static_cast<std::size_t>(i)].envelope() == Envelope(i));
}

TEST_CASE("the window bounds unacked deliveries and acks release more",
          "[relay][server][delivery]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  for (int i = 0; i < 3; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, Envelope(i)).ok());
  auto subscribed = owner.client->Subscribe(owner.mailbox, 2);
  REQUIRE(subscribed.ok());
  CHECK(subscribed->window() == 2);
  for (int i = 3; i < 6; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, Envelope(i)).ok());
  auto first = Receive(*owner.client, 2);
  CHECK(owner.client->NoDeliveryWithin(milliseconds(300)));
  REQUIRE(owner.client->Ack(owner.mailbox, {first[0].seq()}).ok());
  auto third = Receive(*owner.client, 1);
  CHECK(third[0].envelope() == Envelope(2));
  CHECK(owner.client->NoDeliveryWithin(milliseconds(300)));
  REQUIRE(owner.client->Ack(owner.mailbox, {first[1].seq(), third[0].seq()}).ok());
  auto rest = Receive(*owner.client, 2);
  CHECK(rest[0].envelope() == Envelope(3));
  CHECK(rest[1].envelope() == Envelope(4));
}

TEST_CASE("window 0 means the default and a huge window is capped", "[relay][server][delivery]") {
  auto relay = StartRelay({{"limits.default_window", "7"}, {"limits.max_window", "9"}});
  Owner owner = NewOwner(*relay);
  auto d = owner.client->Subscribe(owner.mailbox, 0);
  REQUIRE(d.ok());
  CHECK(d->window() == 7);
  auto big = owner.client->Subscribe(owner.mailbox, 100000);
  REQUIRE(big.ok());
  CHECK(big->window() == 9);
}

TEST_CASE("an ack removes exactly the acked envelopes - the rest come again",
          "[relay][server][delivery]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  for (int i = 0; i < 4; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, Envelope(i)).ok());
  REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
  auto got = Receive(*owner.client, 4);
  auto deleted = owner.client->Ack(owner.mailbox, {got[1].seq(), got[3].seq()});
  REQUIRE(deleted.ok());
  CHECK(*deleted == 2);
  owner.client.reset();
  auto again = Connect(*relay, wire::OWNER);
  REQUIRE(again->Authenticate(owner.mailbox, owner.key).ok());
  REQUIRE(again->Subscribe(owner.mailbox).ok());
  auto left = Receive(*again, 2);
  CHECK(left[0].envelope() == Envelope(0));
  CHECK(left[0].seq() == got[0].seq());
  CHECK(left[1].envelope() == Envelope(2));
  CHECK(again->NoDeliveryWithin(milliseconds(300)));
}

wire::Request QuietAck(const std::string& mailbox, const std::vector<std::uint64_t>& seqs) {
  wire::Request r;
  r.mutable_ack()->set_mailbox_id(mailbox);
  for (const std::uint64_t seq : seqs) r.mutable_ack()->add_seqs(seq);
  r.mutable_ack()->set_quiet(true);
  return r;
}

TEST_CASE("a quiet ack deletes the acked envelopes and gets no answer",
          "[relay][server][delivery]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  for (int i = 0; i < 3; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, Envelope(i)).ok());
  REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
  auto got = Receive(*owner.client, 3);
  auto quiet = owner.client->SendRequest(QuietAck(owner.mailbox, {got[0].seq(), got[1].seq()}));
  REQUIRE(quiet.ok());
  // The relay counts a quiet ack once it is committed.
  REQUIRE(MetricWhenReached(*relay, "tocsin_relay_requests_total{type=\"ack\",code=\"OK\"}", 1,
                            std::chrono::seconds(30)) == 1);
  // Committed and counted: an Acked would have been written by now.
  REQUIRE(owner.client->Ping().ok());
  CHECK(CodeOf(owner.client->WaitResponse(*quiet, milliseconds(500))) == Code::kUnavailable);
  // A plain ack is still answered with its count: the quietly acked entry is gone.
  auto deleted = owner.client->Ack(owner.mailbox, {got[0].seq()});
  REQUIRE(deleted.ok());
  CHECK(*deleted == 0);
  owner.client.reset();
  auto again = Connect(*relay, wire::OWNER);
  auto auth = again->Authenticate(owner.mailbox, owner.key);
  REQUIRE(auth.ok());
  CHECK(auth->queued() == 1);
  REQUIRE(again->Subscribe(owner.mailbox).ok());
  auto left = Receive(*again, 1);
  CHECK(left[0].envelope() == Envelope(2));
  CHECK(again->NoDeliveryWithin(milliseconds(300)));
}

TEST_CASE("a quiet ack that fails is answered with its error and its id",
          "[relay][server][delivery]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  Owner other = NewOwner(*relay);
  auto expect_error = [&](const wire::Request& request, wire::ErrorCode code) {
    auto id = owner.client->SendRequest(request);
    REQUIRE(id.ok());
    auto answer = owner.client->WaitResponse(*id);
    REQUIRE(answer.ok());
    CHECK(answer->id() == *id);
    CHECK(answer->error().code() == code);
  };
  expect_error(QuietAck(other.mailbox, {1}), wire::UNAUTHORIZED);
  expect_error(QuietAck("short", {1}), wire::BAD_FRAME);
  // Deleted on another connection that owns it too: refused by the store itself.
  auto second = Connect(*relay, wire::OWNER);
  REQUIRE(second->Authenticate(owner.mailbox, owner.key).ok());
  REQUIRE(second->DeleteMailbox(owner.mailbox).ok());
  expect_error(QuietAck(owner.mailbox, {1}), wire::NOT_FOUND);
  CHECK(owner.client->Ping().ok());
}

TEST_CASE("a newer subscription takes the mailbox over", "[relay][server][delivery]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
  auto newer = Connect(*relay, wire::OWNER);
  REQUIRE(newer->Authenticate(owner.mailbox, owner.key).ok());
  REQUIRE(newer->Subscribe(owner.mailbox).ok());
  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Send(owner.mailbox, owner.token, "to the newer").ok());
  auto d = newer->NextDelivery();
  REQUIRE(d.ok());
  CHECK(d->envelope() == "to the newer");
  CHECK(owner.client->NoDeliveryWithin(milliseconds(300)));
  CHECK(owner.client->Ping().ok());  // the older connection stays, silently unsubscribed
}

TEST_CASE("expiry removes unacked envelopes and blobs", "[relay][server][delivery]") {
  auto relay = StartRelay({{"limits.sweep_interval_ms", "100"}});
  Owner owner = NewOwner(*relay, wire::ALERT);
  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Send(owner.mailbox, owner.token, "short-lived", 1).ok());
  auto handle = sender->PutBlob("short-lived blob", 1);
  REQUIRE(handle.ok());
  auto views = sender->SendViews(*handle, {MakeView(owner.mailbox, owner.token)});
  REQUIRE(views.ok());
  REQUIRE(views->stored() == 1);
  REQUIRE(sender->Send(owner.mailbox, owner.token, "long-lived", 3600).ok());
  // Wait for the sweeper: the stats show the blob gone, and both short-lived entries.
  REQUIRE(relay->WaitForStat("blobs: 0"));
  REQUIRE(relay->WaitForStat("queued envelopes: 1"));
  CHECK(CodeOf(sender->SendViews(*handle, {MakeView(owner.mailbox, owner.token)})) ==
        Code::kNotFound);
  REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
  auto d = owner.client->NextDelivery();
  REQUIRE(d.ok());
  CHECK(d->envelope() == "long-lived");
  CHECK(owner.client->NoDeliveryWithin(milliseconds(300)));
}

TEST_CASE("one owner connection holds several mailboxes", "[relay][server][delivery]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  const AuthKeyPair key2 = AuthKeyPair::Generate();
  auto second = owner.client->CreateMailbox(relay->CreateInvite(), key2);
  REQUIRE(second.ok());
  const std::string token2 = RandomToken();
  REQUIRE(owner.client->SetToken(*second, wire::CONTACT, token2).ok());
  REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
  REQUIRE(owner.client->Subscribe(*second).ok());
  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Send(*second, token2, "to two").ok());
  REQUIRE(sender->Send(owner.mailbox, owner.token, "to one").ok());
  auto got = Receive(*owner.client, 2);
  CHECK(got[0].mailbox_id() == *second);
  CHECK(got[1].mailbox_id() == owner.mailbox);
}

}  // namespace
}  // namespace tocsin::testing
