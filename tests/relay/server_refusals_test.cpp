// The error paths of each request (proto/SPEC.md section 5) against the real relay:
// pre-keys, tokens, SendViews' per-view codes, mailbox quotas, malformed fields and
// connection kinds. Every refusal is typed, changes nothing and leaves the connection
// open; where several errors apply, the one SPEC.md's order names wins.
#include <thread>

#include "server_test_util.h"

namespace tocsin::testing {
namespace {

// The answer's error code; OK for an answer without an error.
wire::ErrorCode CodeOfCall(TestClient& client, wire::Request request) {
  auto response = client.Call(std::move(request));
  INFO(response.status().ToString());
  REQUIRE(response.ok());
  return response->has_error() ? response->error().code() : wire::OK;
}

wire::PutPrekeys Prekeys(const std::string& mailbox, std::initializer_list<std::uint32_t> ids) {
  wire::PutPrekeys put;
  put.set_mailbox_id(mailbox);
  put.set_registration_id(7);
  put.set_device_id(1);
  for (const std::uint32_t id : ids) {
    auto* k = put.add_one_time();
    k->set_id(id);
    k->set_public_key(PrekeyPublic(static_cast<char>(id)));
  }
  return put;
}

wire::Request PutPrekeysRequest(const wire::PutPrekeys& put) {
  wire::Request r;
  *r.mutable_put_prekeys() = put;
  return r;
}

wire::Request SetTokensRequest(const std::string& mailbox,
                               const std::vector<wire::TokenEntry>& tokens) {
  wire::Request r;
  r.mutable_set_tokens()->set_mailbox_id(mailbox);
  for (const wire::TokenEntry& t : tokens) *r.mutable_set_tokens()->add_tokens() = t;
  return r;
}

wire::TokenEntry Entry(wire::TokenClass token_class, const std::string& hash) {
  wire::TokenEntry t;
  t.set_token_class(token_class);
  t.set_token_hash(hash);
  return t;
}

TEST_CASE(
    "PutPrekeys refuses too many keys / wrong sizes / a key not 0x05 / over the stored maximum",
    "[relay][server][refusals]") {
  auto relay =
      StartRelay({{"limits.max_prekeys_per_request", "3"}, {"limits.max_one_time_prekeys", "5"}});
  Owner owner = NewOwner(*relay);
  auto& c = *owner.client;
  CHECK(CodeOfCall(c, PutPrekeysRequest(Prekeys(owner.mailbox, {1, 2, 3, 4}))) == wire::TOO_LARGE);
  {
    INFO("signed pre-key of 32 bytes, 33 bytes starting 0x04, signature of 63");
    for (const auto& [key, signature] : std::vector<std::pair<std::string, std::string>>{
             {std::string(32, '\x05'), std::string(64, 's')},
             {std::string(1, '\x04') + std::string(32, 'k'), std::string(64, 's')},
             {PrekeyPublic('k'), std::string(63, 's')}}) {
      wire::PutPrekeys put = Prekeys(owner.mailbox, {});
      put.mutable_signed_prekey()->set_public_key(key);
      put.mutable_signed_prekey()->set_signature(signature);
      CHECK(CodeOfCall(c, PutPrekeysRequest(put)) == wire::BAD_FRAME);
    }
  }
  {
    INFO("one-time pre-key of 34 bytes, and of 33 not starting 0x05");
    wire::PutPrekeys long_key = Prekeys(owner.mailbox, {1});
    long_key.mutable_one_time(0)->set_public_key(PrekeyPublic('k') + "x");
    CHECK(CodeOfCall(c, PutPrekeysRequest(long_key)) == wire::BAD_FRAME);
    wire::PutPrekeys untyped = Prekeys(owner.mailbox, {1, 2});
    untyped.mutable_one_time(1)->set_public_key(std::string(33, 's'));
    CHECK(CodeOfCall(c, PutPrekeysRequest(untyped)) == wire::BAD_FRAME);
  }
  auto left = c.PutPrekeys(Prekeys(owner.mailbox, {1, 2, 3}));
  REQUIRE(left.ok());
  CHECK(*left == 3);
  // 3 stored + 3 more > 5: refused whole, nothing stored.
  CHECK(CodeOf(c.PutPrekeys(Prekeys(owner.mailbox, {4, 5, 6}))) == Code::kQuotaExceeded);
  auto fresh = Connect(*relay, wire::OWNER);
  auto auth = fresh->Authenticate(owner.mailbox, owner.key);
  REQUIRE(auth.ok());
  CHECK(auth->one_time_prekeys_left() == 3);
  // Field sizes are checked before ownership: a stranger's bad key is BAD_FRAME, a
  // stranger's good upload UNAUTHORIZED.
  wire::PutPrekeys bad = Prekeys(owner.mailbox, {9});
  bad.mutable_one_time(0)->set_public_key("short");
  auto stranger = Connect(*relay, wire::OWNER);
  CHECK(CodeOfCall(*stranger, PutPrekeysRequest(bad)) == wire::BAD_FRAME);
  CHECK(CodeOf(stranger->PutPrekeys(Prekeys(owner.mailbox, {9}))) == Code::kUnauthorized);
  // None of the refused uploads set a signed pre-key: there is still no bundle.
  auto sender = Connect(*relay, wire::SEND);
  CHECK(CodeOf(sender->GetPrekeyBundle(owner.mailbox, owner.token)) == Code::kNotFound);
  CHECK(c.Ping().ok());
}

TEST_CASE("GetPrekeyBundle refuses: no signed pre-key / unknown mailbox / wrong token / bad size",
          "[relay][server][refusals]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  CHECK(CodeOf(sender->GetPrekeyBundle(owner.mailbox, owner.token)) == Code::kNotFound);
  wire::PutPrekeys put = Prekeys(owner.mailbox, {1});
  put.mutable_signed_prekey()->set_public_key(PrekeyPublic('s'));
  put.mutable_signed_prekey()->set_signature(std::string(64, 'g'));
  REQUIRE(owner.client->PutPrekeys(put).ok());
  CHECK(CodeOf(sender->GetPrekeyBundle(owner.mailbox, RandomToken())) == Code::kUnauthorized);
  CHECK(CodeOf(sender->GetPrekeyBundle(RandomBytes(16), owner.token)) == Code::kNotFound);
  CHECK(CodeOf(sender->GetPrekeyBundle(owner.mailbox, "short")) == Code::kBadFrame);
  CHECK(CodeOf(sender->GetPrekeyBundle(owner.mailbox.substr(1), owner.token)) == Code::kBadFrame);
  // The refusals took nothing: the one-time pre-key is still there.
  auto bundle = sender->GetPrekeyBundle(owner.mailbox, owner.token);
  REQUIRE(bundle.ok());
  CHECK(bundle->has_one_time_prekey());
}

TEST_CASE(
    "tokens expire by their own TTL and by their class default (INTRO) for sends and pre-keys",
    "[relay][server][refusals]") {
  auto relay = StartRelay({{"tokens.intro.ttl_seconds", "1"}});
  Owner owner = NewOwner(*relay, wire::CONTACT);
  wire::PutPrekeys put = Prekeys(owner.mailbox, {1, 2});
  put.mutable_signed_prekey()->set_public_key(PrekeyPublic('s'));
  put.mutable_signed_prekey()->set_signature(std::string(64, 'g'));
  REQUIRE(owner.client->PutPrekeys(put).ok());
  const std::string intro = RandomToken();  // ttl 0: the class default, 1 s here
  REQUIRE(owner.client->SetToken(owner.mailbox, wire::INTRO, intro, 0).ok());
  const std::string brief = RandomToken();  // its own TTL
  REQUIRE(owner.client->SetToken(owner.mailbox, wire::ALERT, brief, 1).ok());
  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Send(owner.mailbox, intro, "in time").ok());
  std::this_thread::sleep_for(milliseconds(2100));
  CHECK(CodeOf(sender->Send(owner.mailbox, intro, "late")) == Code::kExpired);
  CHECK(CodeOf(sender->GetPrekeyBundle(owner.mailbox, intro)) == Code::kExpired);
  CHECK(CodeOf(sender->GetPrekeyBundle(owner.mailbox, brief)) == Code::kExpired);
  // CONTACT's default TTL is 0 (never): the owner's token still works for both.
  CHECK(sender->Send(owner.mailbox, owner.token, "contact").ok());
  auto bundle = sender->GetPrekeyBundle(owner.mailbox, owner.token);
  REQUIRE(bundle.ok());
  CHECK(bundle->one_time_prekey().id() == 1);  // the expired fetches took none
}

TEST_CASE(
    "SetTokens and RotateToken refuse: too many / bad class / bad hash size / unknown old token",
    "[relay][server][refusals]") {
  auto relay = StartRelay({{"limits.max_tokens_per_mailbox", "3"}});
  Owner owner = NewOwner(*relay);  // holds one token
  auto& c = *owner.client;
  std::vector<wire::TokenEntry> four;
  for (int i = 0; i < 4; ++i) four.push_back(Entry(wire::CONTACT, TokenHash(RandomToken())));
  CHECK(CodeOfCall(c, SetTokensRequest(owner.mailbox, four)) == wire::QUOTA_EXCEEDED);
  REQUIRE(c.SetToken(owner.mailbox, wire::CONTACT, RandomToken()).ok());
  auto count = c.SetToken(owner.mailbox, wire::CONTACT, RandomToken());
  REQUIRE(count.ok());
  CHECK(*count == 3);
  const std::string fourth = RandomToken();
  CHECK(CodeOf(c.SetToken(owner.mailbox, wire::CONTACT, fourth)) == Code::kQuotaExceeded);
  auto sender = Connect(*relay, wire::SEND);
  CHECK(CodeOf(sender->Send(owner.mailbox, fourth, "x")) == Code::kUnauthorized);  // not added

  const std::string hash = TokenHash(RandomToken());
  CHECK(CodeOfCall(c, SetTokensRequest(owner.mailbox, {Entry(wire::TOKEN_CLASS_UNSPECIFIED,
                                                             hash)})) == wire::BAD_FRAME);
  CHECK(CodeOfCall(c, SetTokensRequest(owner.mailbox, {Entry(static_cast<wire::TokenClass>(7),
                                                             hash)})) == wire::BAD_FRAME);
  CHECK(CodeOfCall(c, SetTokensRequest(owner.mailbox, {Entry(wire::ALERT, hash.substr(1))})) ==
        wire::BAD_FRAME);
  // Field sizes before ownership.
  auto stranger = Connect(*relay, wire::OWNER);
  CHECK(CodeOfCall(*stranger, SetTokensRequest(owner.mailbox, {Entry(wire::ALERT, "short")})) ==
        wire::BAD_FRAME);
  CHECK(CodeOfCall(*stranger, SetTokensRequest(owner.mailbox, {Entry(wire::ALERT, hash)})) ==
        wire::UNAUTHORIZED);

  CHECK(CodeOf(c.RotateToken(owner.mailbox, RandomToken(), wire::CONTACT, RandomToken(), 0)) ==
        Code::kNotFound);
  wire::Request rotate;
  rotate.mutable_rotate_token()->set_mailbox_id(owner.mailbox);
  rotate.mutable_rotate_token()->set_old_token_hash(TokenHash(owner.token));
  *rotate.mutable_rotate_token()->mutable_new_token() = Entry(wire::TOKEN_CLASS_UNSPECIFIED, hash);
  CHECK(CodeOfCall(c, rotate) == wire::BAD_FRAME);
  rotate.set_id(0);
  *rotate.mutable_rotate_token()->mutable_new_token() = Entry(wire::CONTACT, hash);
  rotate.mutable_rotate_token()->set_old_token_hash(hash.substr(2));
  CHECK(CodeOfCall(c, rotate) == wire::BAD_FRAME);
  // The refused rotations changed nothing: the old token still works.
  CHECK(sender->Send(owner.mailbox, owner.token, "still valid").ok());
}

TEST_CASE("SendViews: over max_views_per_blob / per-view EXPIRED, QUOTA_EXCEEDED and RATE_LIMITED",
          "[relay][server][refusals]") {
  auto relay = StartRelay({{"limits.max_views_per_blob", "4"},
                           {"limits.max_views_per_frame", "4"},
                           {"tokens.intro.max_queued_messages", "1"},
                           {"rate_limits.token_envelopes_per_second", "1"},
                           {"rate_limits.token_burst", "2"}});
  Owner expired = NewOwner(*relay, wire::ALERT, 1);  // a token living 1 s
  Owner full = NewOwner(*relay, wire::INTRO);        // a queue of one message
  Owner busy = NewOwner(*relay, wire::ALERT);        // a rate bucket of two
  Owner fine = NewOwner(*relay, wire::ALERT);
  Owner late1 = NewOwner(*relay, wire::ALERT);
  Owner late2 = NewOwner(*relay, wire::ALERT);
  std::this_thread::sleep_for(milliseconds(2100));  // the first token's lifetime
  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Send(full.mailbox, full.token, "fills the intro queue").ok());
  REQUIRE(sender->Send(busy.mailbox, busy.token, "one").ok());
  REQUIRE(sender->Send(busy.mailbox, busy.token, "two").ok());
  auto handle = sender->PutBlob("blob");
  REQUIRE(handle.ok());
  auto result = sender->SendViews(
      *handle, {MakeView(expired.mailbox, expired.token), MakeView(full.mailbox, full.token),
                MakeView(busy.mailbox, busy.token), MakeView(fine.mailbox, fine.token)});
  REQUIRE(result.ok());
  REQUIRE(result->results_size() == 4);
  CHECK(result->results(0).code() == wire::EXPIRED);
  CHECK(result->results(1).code() == wire::QUOTA_EXCEEDED);
  CHECK(result->results(2).code() == wire::RATE_LIMITED);
  CHECK(result->results(3).code() == wire::OK);
  CHECK(result->stored() == 1);

  // The blob has one view; four new ones would make five: refused whole.
  CHECK(CodeOf(sender->SendViews(
            *handle, {MakeView(late1.mailbox, late1.token), MakeView(late2.mailbox, late2.token),
                      MakeView(expired.mailbox, expired.token),
                      MakeView(full.mailbox, full.token)})) == Code::kTooLarge);
  auto check = Connect(*relay, wire::OWNER);
  auto auth = check->Authenticate(late1.mailbox, late1.key);
  REQUIRE(auth.ok());
  CHECK(auth->queued() == 0);
  auto two = sender->SendViews(
      *handle, {MakeView(late1.mailbox, late1.token), MakeView(late2.mailbox, late2.token)});
  REQUIRE(two.ok());
  CHECK(two->stored() == 2);
  CHECK(CodeOf(sender->SendViews(*handle, {MakeView(full.mailbox, full.token),
                                           MakeView(expired.mailbox, expired.token)})) ==
        Code::kTooLarge);
  // A retried view is not a new one: still accepted at the limit.
  auto retry = sender->SendViews(*handle, {MakeView(fine.mailbox, fine.token)});
  REQUIRE(retry.ok());
  CHECK(retry->results(0).code() == wire::OK);
  // Exactly the OK views were queued.
  for (const Owner* o : {&expired, &full, &busy, &fine, &late1, &late2}) {
    auto again = Connect(*relay, wire::OWNER);
    auto a = again->Authenticate(o->mailbox, o->key);
    REQUIRE(a.ok());
    const std::uint64_t expected = o == &full ? 1 : o == &busy ? 2 : o == &expired ? 0 : 1;
    CHECK(a->queued() == expected);
  }
}

TEST_CASE("Authenticate and CreateMailbox over max_mailboxes_per_connection / quotas come last",
          "[relay][server][refusals]") {
  auto relay = StartRelay({{"limits.max_mailboxes_per_connection", "2"}});
  auto full = Connect(*relay, wire::OWNER);
  const AuthKeyPair key1 = AuthKeyPair::Generate();
  const AuthKeyPair key2 = AuthKeyPair::Generate();
  auto m1 = full->CreateMailbox(relay->CreateInvite(), key1);
  auto m2 = full->CreateMailbox(relay->CreateInvite(), key2);
  REQUIRE(m1.ok());
  REQUIRE(m2.ok());
  Owner other = NewOwner(*relay);
  CHECK(CodeOf(full->Authenticate(other.mailbox, other.key)) == Code::kQuotaExceeded);
  // A bad signature or an unknown mailbox is UNAUTHORIZED even with the quota full.
  CHECK(CodeOf(full->Authenticate(other.mailbox, key1)) == Code::kUnauthorized);
  CHECK(CodeOf(full->Authenticate(RandomBytes(16), key1)) == Code::kUnauthorized);
  CHECK(full->Authenticate(*m1, key1).ok());  // already owned: does not count twice
  // CreateMailbox: the quota refuses before the invite is looked at, so no use is spent.
  const std::string once = relay->CreateInvite(1);
  CHECK(CodeOf(full->CreateMailbox(once, AuthKeyPair::Generate())) == Code::kQuotaExceeded);
  // An invite of the wrong size is an invite check too: the quota comes first.
  CHECK(CodeOf(full->CreateMailbox(once.substr(1), AuthKeyPair::Generate())) ==
        Code::kQuotaExceeded);
  wire::Request forged;
  forged.mutable_create_mailbox()->set_invite(once);
  forged.mutable_create_mailbox()->set_auth_public_key(key1.public_key);
  forged.mutable_create_mailbox()->set_signature(std::string(64, 's'));
  CHECK(CodeOfCall(*full, forged) == wire::UNAUTHORIZED);
  auto elsewhere = Connect(*relay, wire::OWNER);
  CHECK(elsewhere->CreateMailbox(once, AuthKeyPair::Generate()).ok());
  // Deleting a mailbox frees its slot.
  REQUIRE(full->DeleteMailbox(*m1).ok());
  CHECK(full->Authenticate(other.mailbox, other.key).ok());
}

TEST_CASE("a mailbox_id that is not 16 bytes is BAD_FRAME on every request / empty bodies too",
          "[relay][server][refusals]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto& c = *owner.client;
  for (const std::string& id : {owner.mailbox.substr(1), owner.mailbox + "x", std::string()}) {
    INFO("mailbox_id of " << id.size() << " bytes");
    wire::Request r;
    r.mutable_authenticate()->set_mailbox_id(id);
    r.mutable_authenticate()->set_signature(owner.key.Sign(AuthMessage(c.server_nonce(), id)));
    CHECK(CodeOfCall(c, r) == wire::BAD_FRAME);
    CHECK(CodeOf(c.Subscribe(id)) == Code::kBadFrame);
    CHECK(CodeOf(c.Ack(id, {1})) == Code::kBadFrame);
    CHECK(CodeOf(c.SetToken(id, wire::CONTACT, RandomToken())) == Code::kBadFrame);
    CHECK(CodeOf(c.RotateToken(id, owner.token, wire::CONTACT, RandomToken(), 0)) ==
          Code::kBadFrame);
    CHECK(CodeOf(c.PutPrekeys(Prekeys(id, {1}))) == Code::kBadFrame);
    CHECK(CodeOf(c.DeleteMailbox(id)) == Code::kBadFrame);
  }
  auto sender = Connect(*relay, wire::SEND);
  CHECK(CodeOf(sender->Send(owner.mailbox.substr(1), owner.token, "x")) == Code::kBadFrame);
  CHECK(CodeOf(sender->Send(owner.mailbox, owner.token, "")) == Code::kBadFrame);
  CHECK(CodeOf(sender->PutBlob("")) == Code::kBadFrame);
  CHECK(CodeOf(sender->SendViews("short", {MakeView(owner.mailbox, owner.token)})) ==
        Code::kBadFrame);
  auto handle = sender->PutBlob("b");
  REQUIRE(handle.ok());
  auto views = sender->SendViews(*handle, {MakeView(owner.mailbox + "x", owner.token),
                                           MakeView(owner.mailbox, owner.token.substr(1))});
  REQUIRE(views.ok());
  CHECK(views->results(0).code() == wire::BAD_FRAME);
  CHECK(views->results(1).code() == wire::BAD_FRAME);
  // Nothing reached the mailbox, and both connections are still open.
  CHECK(c.Ping().ok());
  CHECK(sender->Ping().ok());
  auto fresh = Connect(*relay, wire::OWNER);
  auto auth = fresh->Authenticate(owner.mailbox, owner.key);
  REQUIRE(auth.ok());
  CHECK(auth->queued() == 0);
}

TEST_CASE("connection kinds: SendViews on an owner connection / owner requests on a send one",
          "[relay][server][refusals]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  auto handle = sender->PutBlob("blob");
  REQUIRE(handle.ok());
  CHECK(CodeOf(owner.client->SendViews(*handle, {MakeView(owner.mailbox, owner.token)})) ==
        Code::kWrongConnectionKind);
  CHECK(CodeOf(sender->PutPrekeys(Prekeys(owner.mailbox, {1}))) == Code::kWrongConnectionKind);
  CHECK(CodeOf(sender->SetToken(owner.mailbox, wire::CONTACT, RandomToken())) ==
        Code::kWrongConnectionKind);
  CHECK(CodeOf(sender->RotateToken(owner.mailbox, owner.token, wire::CONTACT, RandomToken(), 0)) ==
        Code::kWrongConnectionKind);
  CHECK(CodeOf(sender->DeleteMailbox(owner.mailbox)) == Code::kWrongConnectionKind);
  // None of them did anything: the mailbox and its token are as they were.
  CHECK(sender->Send(owner.mailbox, owner.token, "still there").ok());
  auto fresh = Connect(*relay, wire::OWNER);
  auto auth = fresh->Authenticate(owner.mailbox, owner.key);
  REQUIRE(auth.ok());
  CHECK(auth->queued() == 1);
  CHECK(auth->one_time_prekeys_left() == 0);
}

}  // namespace
}  // namespace tocsin::testing
