// Every refusal the relay owes a client (proto/SPEC.md sections 3-11), against the real
// binary: typed errors, and whether the connection stays open.
#include <google/protobuf/unknown_field_set.h>

#include <thread>

#include "server_test_util.h"
#include "tocsin/frame_codec.h"

namespace tocsin::testing {
namespace {

std::string Header(std::uint32_t length) {
  return {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
          static_cast<char>(length >> 8), static_cast<char>(length)};
}

// The next frame must be a Response with `id` and error `code`.
void ExpectError(TestClient& client, std::uint64_t id, wire::ErrorCode code) {
  auto frame = client.ReadFrame();
  INFO(frame.status().ToString());
  REQUIRE(frame.ok());
  REQUIRE(frame->has_response());
  CHECK(frame->response().id() == id);
  CHECK(frame->response().error().code() == code);
}

TEST_CASE(
    "framing errors: oversized / malformed / a response from the client close the "
    "connection with id 0",
    "[relay][server][errors]") {
  auto relay = StartRelay();
  SECTION("declared length over the maximum") {
    auto c = Connect(*relay, wire::SEND);
    REQUIRE(c->WriteRaw(Header(262145)).ok());
    ExpectError(*c, 0, wire::TOO_LARGE);
    CHECK(c->WaitClosed());
  }
  SECTION("malformed protobuf") {
    auto c = Connect(*relay, wire::SEND);
    REQUIRE(c->WriteRaw(Header(3) + "\xff\xff\xff").ok());
    ExpectError(*c, 0, wire::BAD_FRAME);
    CHECK(c->WaitClosed());
  }
  SECTION("an empty frame") {
    auto c = Connect(*relay, wire::SEND);
    REQUIRE(c->WriteRaw(Header(0)).ok());
    ExpectError(*c, 0, wire::BAD_FRAME);
    CHECK(c->WaitClosed());
  }
  SECTION("a Response sent by the client") {
    auto c = Connect(*relay, wire::SEND);
    wire::Frame frame;
    frame.mutable_response()->set_id(5);
    REQUIRE(c->WriteRaw(*EncodeFrame(frame)).ok());
    ExpectError(*c, 0, wire::BAD_FRAME);
    CHECK(c->WaitClosed());
  }
  auto after = Connect(*relay, wire::SEND);
  CHECK(after->Ping().ok());
}

TEST_CASE("an unknown request type is answered BAD_FRAME and the connection stays",
          "[relay][server][errors]") {
  auto relay = StartRelay();
  auto c = Connect(*relay, wire::OWNER);
  wire::Request request;
  request.set_id(41);
  request.GetReflection()->MutableUnknownFields(&request)->AddLengthDelimited(99, "newer");
  auto response = c->Call(request);
  REQUIRE(response.ok());
  CHECK(response->id() == 41);
  CHECK(response->error().code() == wire::BAD_FRAME);
  CHECK(c->Ping().ok());
}

TEST_CASE("truncated frames are dropped without harm", "[relay][server][errors]") {
  auto relay = StartRelay(
      {{"limits.send_idle_timeout_seconds", "1"}, {"limits.handshake_timeout_seconds", "1"}});
  {
    auto c = Connect(*relay, wire::SEND);
    REQUIRE(c->WriteRaw(Header(100) + std::string(10, 'x')).ok());
  }  // the client goes away mid-frame
  auto waiting = Connect(*relay, wire::SEND);
  REQUIRE(waiting->WriteRaw(Header(100) + std::string(10, 'x')).ok());
  CHECK(waiting->WaitClosed());  // the idle deadline ends a frame that never completes
  auto after = Connect(*relay, wire::SEND);
  CHECK(after->Ping().ok());
}

TEST_CASE("garbage before and after TLS closes the connection", "[relay][server][errors]") {
  auto relay = StartRelay();
  CHECK(RelayClosesAfterRawBytes(relay->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                                 milliseconds(30000)));
  auto c = Connect(*relay, wire::SEND);
  REQUIRE(c->WriteRawTcp(std::string(64, '\x17')).ok());
  CHECK(c->WaitClosed());
  auto after = Connect(*relay, wire::SEND);
  CHECK(after->Ping().ok());
}

TEST_CASE("hello rules: first / version 1 / a kind / only once", "[relay][server][errors]") {
  auto relay = StartRelay();
  SECTION("another request first") {
    auto c = TestClient::Connect(relay->address());
    REQUIRE(c.ok());
    wire::Request ping;
    ping.set_id(3);
    ping.mutable_ping();
    REQUIRE((*c)->SendRequest(ping).ok());
    ExpectError(**c, 3, wire::BAD_FRAME);
    CHECK((*c)->WaitClosed());
  }
  SECTION("version 2") {
    auto c = TestClient::Connect(relay->address());
    REQUIRE(c.ok());
    CHECK(CodeOf((*c)->Hello(wire::OWNER, 2)) == Code::kUnsupportedVersion);
    CHECK((*c)->WaitClosed());
  }
  SECTION("no kind") {
    auto c = TestClient::Connect(relay->address());
    REQUIRE(c.ok());
    CHECK(CodeOf((*c)->Hello(wire::CONNECTION_KIND_UNSPECIFIED)) == Code::kBadFrame);
    CHECK((*c)->WaitClosed());
  }
  SECTION("a second hello") {
    auto c = Connect(*relay, wire::SEND);
    CHECK(CodeOf(c->Hello(wire::SEND)) == Code::kBadFrame);
    CHECK(c->Ping().ok());
  }
}

TEST_CASE("connection kinds are enforced", "[relay][server][errors]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  CHECK(CodeOf(owner.client->Send(owner.mailbox, owner.token, "x")) == Code::kWrongConnectionKind);
  CHECK(CodeOf(owner.client->PutBlob("x")) == Code::kWrongConnectionKind);
  CHECK(CodeOf(owner.client->GetPrekeyBundle(owner.mailbox, owner.token)) ==
        Code::kWrongConnectionKind);
  auto sender = Connect(*relay, wire::SEND);
  CHECK(CodeOf(sender->Authenticate(owner.mailbox, owner.key)) == Code::kWrongConnectionKind);
  CHECK(CodeOf(sender->Subscribe(owner.mailbox)) == Code::kWrongConnectionKind);
  CHECK(CodeOf(sender->Ack(owner.mailbox, {1})) == Code::kWrongConnectionKind);
  CHECK(CodeOf(sender->CreateMailbox(relay->CreateInvite(), AuthKeyPair::Generate())) ==
        Code::kWrongConnectionKind);
  CHECK(sender->Ping().ok());
  CHECK(owner.client->Ping().ok());
}

TEST_CASE("an Ack with more seqs than max_window is TOO_LARGE and deletes nothing",
          "[relay][server][errors]") {
  auto relay = StartRelay({{"limits.max_window", "4"}, {"limits.default_window", "4"}});
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  for (int i = 0; i < 5; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, "m").ok());
  REQUIRE(owner.client->Subscribe(owner.mailbox, 4).ok());
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 4; ++i) {
    auto d = owner.client->NextDelivery();
    REQUIRE(d.ok());
    seqs.push_back(d->seq());
  }
  std::vector<std::uint64_t> five = seqs;
  five.push_back(seqs.back() + 1);
  CHECK(CodeOf(owner.client->Ack(owner.mailbox, five)) == Code::kTooLarge);
  // The size limit comes before ownership (proto/SPEC.md 5, "Which error wins").
  auto intruder = Connect(*relay, wire::OWNER);
  CHECK(CodeOf(intruder->Ack(owner.mailbox, five)) == Code::kTooLarge);
  auto queued = [&] { return relay->RunCommand({"stats"}).output; };
  CHECK(queued().find("queued envelopes: 5\n") != std::string::npos);
  auto acked = owner.client->Ack(owner.mailbox, seqs);
  REQUIRE(acked.ok());
  CHECK(*acked == 4);
  CHECK(queued().find("queued envelopes: 1\n") != std::string::npos);
}

TEST_CASE("someone else's mailbox cannot be read / acked or managed", "[relay][server][errors]") {
  auto relay = StartRelay();
  Owner victim = NewOwner(*relay);
  auto intruder = Connect(*relay, wire::OWNER);
  CHECK(CodeOf(intruder->Subscribe(victim.mailbox)) == Code::kUnauthorized);
  CHECK(CodeOf(intruder->Ack(victim.mailbox, {1})) == Code::kUnauthorized);
  CHECK(CodeOf(intruder->DeleteMailbox(victim.mailbox)) == Code::kUnauthorized);
  CHECK(CodeOf(intruder->SetToken(victim.mailbox, wire::CONTACT, RandomToken())) ==
        Code::kUnauthorized);
  CHECK(CodeOf(intruder->Authenticate(victim.mailbox, AuthKeyPair::Generate())) ==
        Code::kUnauthorized);
  CHECK(CodeOf(intruder->Authenticate(RandomBytes(16), victim.key)) == Code::kUnauthorized);
}

TEST_CASE("an auth signature works only on the connection whose nonce it signs",
          "[relay][server][errors]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto a = Connect(*relay, wire::OWNER);
  auto b = Connect(*relay, wire::OWNER);
  wire::Request request;
  request.mutable_authenticate()->set_mailbox_id(owner.mailbox);
  request.mutable_authenticate()->set_signature(
      owner.key.Sign(AuthMessage(a->server_nonce(), owner.mailbox)));
  auto on_b = b->Call(request);
  REQUIRE(on_b.ok());
  CHECK(on_b->error().code() == wire::UNAUTHORIZED);
  request.set_id(0);
  auto on_a = a->Call(request);
  REQUIRE(on_a.ok());
  CHECK(on_a->has_authenticated());
}

TEST_CASE("invites: missing / unknown / used up / expired", "[relay][server][errors]") {
  auto relay = StartRelay();
  auto c = Connect(*relay, wire::OWNER);
  const AuthKeyPair key = AuthKeyPair::Generate();
  CHECK(CodeOf(c->CreateMailbox("", key)) == Code::kUnauthorized);
  CHECK(CodeOf(c->CreateMailbox(RandomBytes(16), key)) == Code::kUnauthorized);
  const std::string once = relay->CreateInvite(1);
  REQUIRE(c->CreateMailbox(once, key).ok());
  CHECK(CodeOf(c->CreateMailbox(once, key)) == Code::kUnauthorized);
  const std::string brief = relay->CreateInvite(5, "1s");
  REQUIRE(brief.size() == 16);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // the invite's lifetime
  CHECK(CodeOf(c->CreateMailbox(brief, key)) == Code::kExpired);
  wire::Request bad_signature;
  bad_signature.mutable_create_mailbox()->set_invite(relay->CreateInvite());
  bad_signature.mutable_create_mailbox()->set_auth_public_key(key.public_key);
  bad_signature.mutable_create_mailbox()->set_signature(std::string(64, 's'));
  auto response = c->Call(bad_signature);
  REQUIRE(response.ok());
  CHECK(response->error().code() == wire::UNAUTHORIZED);
}

TEST_CASE("tokens: wrong / unknown mailbox / expired / revoked after grace",
          "[relay][server][errors]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay, wire::CONTACT);
  auto sender = Connect(*relay, wire::SEND);
  CHECK(CodeOf(sender->Send(owner.mailbox, RandomToken(), "x")) == Code::kUnauthorized);
  CHECK(CodeOf(sender->Send(RandomBytes(16), owner.token, "x")) == Code::kNotFound);
  CHECK(CodeOf(sender->Send(owner.mailbox, "short", "x")) == Code::kBadFrame);
  const std::string brief = RandomToken();
  REQUIRE(owner.client->SetToken(owner.mailbox, wire::ALERT, brief, 1).ok());
  const std::string graced = RandomToken();
  REQUIRE(owner.client->SetToken(owner.mailbox, wire::CONTACT, graced).ok());
  REQUIRE(owner.client->RotateToken(owner.mailbox, graced, wire::CONTACT, RandomToken(), 1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // both lifetimes
  CHECK(CodeOf(sender->Send(owner.mailbox, brief, "late")) == Code::kExpired);
  CHECK(CodeOf(sender->Send(owner.mailbox, graced, "late")) == Code::kExpired);
  CHECK(sender->Send(owner.mailbox, owner.token, "still fine").ok());
}

TEST_CASE("class quotas: intro sends and pre-key fetches / queue messages and bytes",
          "[relay][server][errors]") {
  auto relay = StartRelay({{"tokens.intro.max_queued_messages", "100"},
                           {"tokens.intro.max_sends", "5"},
                           {"tokens.intro.max_prekey_fetches", "1"},
                           {"tokens.contact.max_queued_messages", "3"},
                           {"tokens.alert.max_queued_bytes", "1000"}});
  auto sender = Connect(*relay, wire::SEND);
  SECTION("intro: five sends, one pre-key fetch") {
    Owner owner = NewOwner(*relay, wire::INTRO);
    for (int i = 0; i < 5; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, "hi").ok());
    CHECK(CodeOf(sender->Send(owner.mailbox, owner.token, "sixth")) == Code::kQuotaExceeded);
    wire::PutPrekeys put;
    put.set_mailbox_id(owner.mailbox);
    put.mutable_signed_prekey()->set_public_key(PrekeyPublic('k'));
    put.mutable_signed_prekey()->set_signature(std::string(64, 's'));
    REQUIRE(owner.client->PutPrekeys(put).ok());
    const std::string intro2 = RandomToken();
    REQUIRE(owner.client->SetToken(owner.mailbox, wire::INTRO, intro2).ok());
    CHECK(sender->GetPrekeyBundle(owner.mailbox, intro2).ok());
    CHECK(CodeOf(sender->GetPrekeyBundle(owner.mailbox, intro2)) == Code::kQuotaExceeded);
  }
  SECTION("contact: queue of three messages, freed by an ack") {
    Owner owner = NewOwner(*relay, wire::CONTACT);
    for (int i = 0; i < 3; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, "m").ok());
    CHECK(CodeOf(sender->Send(owner.mailbox, owner.token, "m")) == Code::kQuotaExceeded);
    REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
    auto d = owner.client->NextDelivery();
    REQUIRE(d.ok());
    REQUIRE(owner.client->Ack(owner.mailbox, {d->seq()}).ok());
    CHECK(sender->Send(owner.mailbox, owner.token, "m").ok());
  }
  SECTION("alert: queue of 1000 bytes") {
    Owner owner = NewOwner(*relay, wire::ALERT);
    REQUIRE(sender->Send(owner.mailbox, owner.token, std::string(600, 'a')).ok());
    CHECK(CodeOf(sender->Send(owner.mailbox, owner.token, std::string(600, 'a'))) ==
          Code::kQuotaExceeded);
  }
}

TEST_CASE("size limits: TTL cap / envelope / blob / views per frame", "[relay][server][errors]") {
  auto relay =
      StartRelay({{"limits.max_ttl_seconds", "3600"}, {"limits.max_views_per_frame", "3"}});
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  CHECK(CodeOf(sender->Send(owner.mailbox, owner.token, "x", 3601)) == Code::kTooLarge);
  CHECK(sender->Send(owner.mailbox, owner.token, "x", 3600).ok());
  CHECK(CodeOf(sender->Send(owner.mailbox, owner.token, std::string(65793, 'e'))) ==
        Code::kTooLarge);
  CHECK(sender->Send(owner.mailbox, owner.token, std::string(65792, 'e')).ok());
  CHECK(CodeOf(sender->PutBlob("b", 3601)) == Code::kTooLarge);
  CHECK(CodeOf(sender->PutBlob(std::string(65793, 'b'))) == Code::kTooLarge);
  auto handle = sender->PutBlob("b");
  REQUIRE(handle.ok());
  const wire::View v = MakeView(owner.mailbox, owner.token);
  CHECK(CodeOf(sender->SendViews(*handle, {v, v, v, v})) == Code::kTooLarge);
}

TEST_CASE("send views: unknown handle / duplicate / unknown or wrong recipients",
          "[relay][server][errors]") {
  auto relay = StartRelay();
  Owner a = NewOwner(*relay, wire::ALERT);
  Owner b = NewOwner(*relay, wire::ALERT);
  auto sender = Connect(*relay, wire::SEND);
  CHECK(CodeOf(sender->SendViews(RandomBytes(16), {MakeView(a.mailbox, a.token)})) ==
        Code::kNotFound);
  auto handle = sender->PutBlob("blob");
  REQUIRE(handle.ok());
  wire::View short_view = MakeView(b.mailbox, b.token);
  short_view.set_view("short");
  auto result =
      sender->SendViews(*handle, {MakeView(a.mailbox, a.token), MakeView(a.mailbox, a.token, 'z'),
                                  MakeView(RandomBytes(16), a.token),
                                  MakeView(b.mailbox, RandomToken()), short_view});
  REQUIRE(result.ok());
  REQUIRE(result->results_size() == 5);
  CHECK(result->results(0).code() == wire::OK);
  CHECK(result->results(1).code() == wire::BAD_FRAME);
  CHECK(result->results(2).code() == wire::NOT_FOUND);
  CHECK(result->results(3).code() == wire::UNAUTHORIZED);
  CHECK(result->results(4).code() == wire::BAD_FRAME);
  CHECK(result->stored() == 1);
}

TEST_CASE("mailboxes per connection are capped", "[relay][server][errors]") {
  auto relay = StartRelay({{"limits.max_mailboxes_per_connection", "2"}});
  auto c = Connect(*relay, wire::OWNER);
  const std::string invite = relay->CreateInvite(10);
  REQUIRE(c->CreateMailbox(invite, AuthKeyPair::Generate()).ok());
  REQUIRE(c->CreateMailbox(invite, AuthKeyPair::Generate()).ok());
  CHECK(CodeOf(c->CreateMailbox(invite, AuthKeyPair::Generate())) == Code::kQuotaExceeded);
}

TEST_CASE("rate limits per connection and per destination token", "[relay][server][errors]") {
  auto relay = StartRelay({{"rate_limits.connection_requests_per_second", "1"},
                           {"rate_limits.connection_burst", "20"},
                           {"rate_limits.token_envelopes_per_second", "1"},
                           {"rate_limits.token_burst", "3"}});
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  for (int i = 0; i < 3; ++i) REQUIRE(sender->Send(owner.mailbox, owner.token, "m").ok());
  wire::Request send;
  send.mutable_send()->set_mailbox_id(owner.mailbox);
  send.mutable_send()->set_token(owner.token);
  send.mutable_send()->set_envelope("m");
  auto limited = sender->Call(send);
  REQUIRE(limited.ok());
  CHECK(limited->error().code() == wire::RATE_LIMITED);
  CHECK(limited->error().retry_after_ms() > 0);
  // A sender without a valid token does not use up the mailbox's budget (server_rates_test
  // has the per-token and per-mailbox buckets apart).
  Owner other = NewOwner(*relay);
  for (int i = 0; i < 5; ++i) {
    CHECK(CodeOf(sender->Send(other.mailbox, RandomToken(), "m")) == Code::kUnauthorized);
  }
  CHECK(sender->Send(other.mailbox, other.token, "m").ok());
  int answered_limited = 0;
  for (int i = 0; i < 20; ++i) {
    wire::Request ping;
    ping.mutable_ping();
    auto r = sender->Call(ping);
    REQUIRE(r.ok());
    if (r->error().code() == wire::RATE_LIMITED) ++answered_limited;
  }
  CHECK(answered_limited > 0);
  CHECK_FALSE(sender->WaitClosed(milliseconds(100)));  // limited, not dropped
}

}  // namespace
}  // namespace tocsin::testing
