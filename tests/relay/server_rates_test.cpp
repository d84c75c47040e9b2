// The envelope rate limits against the real binary (relay.toml [rate_limits],
// proto/SPEC.md section 11): each (mailbox, delivery token) pair has its own bucket, so
// one token flooding a mailbox does not hold up its other senders, and the mailbox has a
// total over all its tokens. Small values keep each test short.
#include <functional>
#include <map>
#include <thread>

#include "server_test_util.h"
#include "tocsin/frame_codec.h"

namespace tocsin::testing {
namespace {

// Send's error, or OK; with the whole Error kept for retry_after_ms.
wire::Error SendError(TestClient& sender, const std::string& mailbox, const std::string& token) {
  wire::Request send;
  send.mutable_send()->set_mailbox_id(mailbox);
  send.mutable_send()->set_token(token);
  send.mutable_send()->set_envelope("m");
  auto answer = sender.Call(send);
  INFO(answer.status().ToString());
  REQUIRE(answer.ok());
  return answer->error();
}

std::uint32_t Queued(const RelayProcess& relay, const Owner& owner) {
  auto check = Connect(relay, wire::OWNER);
  auto auth = check->Authenticate(owner.mailbox, owner.key);
  INFO(auth.status().ToString());
  REQUIRE(auth.ok());
  return auth->queued();
}

TEST_CASE("one token flooding a mailbox is RATE_LIMITED while another token's sends are stored",
          "[relay][server][rates]") {
  auto relay = StartRelay(
      {{"rate_limits.token_envelopes_per_second", "1"}, {"rate_limits.token_burst", "3"}});
  Owner owner = NewOwner(*relay);
  const std::string second_token = RandomToken();
  REQUIRE(owner.client->SetToken(owner.mailbox, wire::CONTACT, second_token).ok());
  auto flooder = Connect(*relay, wire::SEND);
  auto member = Connect(*relay, wire::SEND);

  for (int i = 0; i < 3; ++i) REQUIRE(flooder->Send(owner.mailbox, owner.token, "m").ok());
  const wire::Error limited = SendError(*flooder, owner.mailbox, owner.token);
  CHECK(limited.code() == wire::RATE_LIMITED);
  CHECK(limited.retry_after_ms() > 0);
  CHECK(limited.retry_after_ms() <= 1000);
  // The other token's sender does not share the flooder's bucket: by Send and by view.
  for (int i = 0; i < 2; ++i) CHECK(member->Send(owner.mailbox, second_token, "m").ok());
  auto handle = member->PutBlob("blob");
  REQUIRE(handle.ok());
  auto flooded_view = member->SendViews(*handle, {MakeView(owner.mailbox, owner.token)});
  REQUIRE(flooded_view.ok());
  CHECK(flooded_view->results(0).code() == wire::RATE_LIMITED);
  auto member_view = member->SendViews(*handle, {MakeView(owner.mailbox, second_token)});
  REQUIRE(member_view.ok());
  CHECK(member_view->results(0).code() == wire::OK);
  // Pre-key fetches are limited alike: the flooding token is refused before the store is
  // asked, a token with room reaches it (an unknown one: UNAUTHORIZED).
  CHECK(CodeOf(flooder->GetPrekeyBundle(owner.mailbox, owner.token)) == Code::kRateLimited);
  CHECK(CodeOf(member->GetPrekeyBundle(owner.mailbox, RandomToken())) == Code::kUnauthorized);
  CHECK(Queued(*relay, owner) == 3 + 2 + 1);

  // The flooder's bucket refills at its rate: after retry_after_ms it may send again.
  std::this_thread::sleep_for(milliseconds(limited.retry_after_ms() + 100));
  CHECK(flooder->Send(owner.mailbox, owner.token, "m").ok());
}

TEST_CASE("the mailbox's total limits many tokens together, and refused sends use none of it",
          "[relay][server][rates]") {
  auto relay = StartRelay({{"rate_limits.mailbox_total_envelopes_per_second", "1"},
                           {"rate_limits.mailbox_total_burst", "4"}});
  Owner owner = NewOwner(*relay);
  std::vector<std::string> tokens = {owner.token};
  for (int i = 0; i < 4; ++i) {
    tokens.push_back(RandomToken());
    REQUIRE(owner.client->SetToken(owner.mailbox, wire::CONTACT, tokens.back()).ok());
  }
  Owner other = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  // Sends the store refuses (no valid token) are not charged to the mailbox.
  for (int i = 0; i < 10; ++i) {
    CHECK(CodeOf(sender->Send(owner.mailbox, RandomToken(), "m")) == Code::kUnauthorized);
  }
  for (int i = 0; i < 4; ++i) REQUIRE(sender->Send(owner.mailbox, tokens[i], "m").ok());
  // A fifth token, never used, and a used one: both wait for the mailbox's total.
  const wire::Error fifth = SendError(*sender, owner.mailbox, tokens[4]);
  CHECK(fifth.code() == wire::RATE_LIMITED);
  CHECK(fifth.retry_after_ms() > 0);
  CHECK(fifth.retry_after_ms() <= 1000);
  CHECK(SendError(*sender, owner.mailbox, tokens[0]).code() == wire::RATE_LIMITED);
  // Another mailbox has its own total, in the same SendViews as a refused view.
  auto handle = sender->PutBlob("blob");
  REQUIRE(handle.ok());
  auto views = sender->SendViews(
      *handle, {MakeView(owner.mailbox, tokens[4]), MakeView(other.mailbox, other.token)});
  REQUIRE(views.ok());
  REQUIRE(views->results_size() == 2);
  CHECK(views->results(0).code() == wire::RATE_LIMITED);
  CHECK(views->results(1).code() == wire::OK);
  CHECK(Queued(*relay, owner) == 4);
  CHECK(Queued(*relay, other) == 1);
}

TEST_CASE("requests in flight together cannot overtake the rate: pipelined sends and fetches",
          "[relay][server][rates]") {
  // Every frame is in the relay before the first is stored: a check made by the network
  // thread alone would let them all through. The store's writer admits each.
  auto relay = StartRelay({{"rate_limits.token_envelopes_per_second", "1"},
                           {"rate_limits.token_burst", "3"},
                           {"rate_limits.mailbox_total_envelopes_per_second", "1"},
                           {"rate_limits.mailbox_total_burst", "5"}});
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  auto pipeline = [&](const std::function<void(wire::Request*)>& body, std::uint64_t first_id) {
    std::string frames;
    for (std::uint64_t i = 0; i < 20; ++i) {
      wire::Frame frame;
      frame.mutable_request()->set_id(first_id + i);
      body(frame.mutable_request());
      REQUIRE(AppendFrame(frame, &frames).ok());
    }
    REQUIRE(sender->WriteRaw(frames).ok());
    std::map<wire::ErrorCode, int> codes;
    for (std::uint64_t i = 0; i < 20; ++i) {
      auto answer = sender->WaitResponse(first_id + i);
      REQUIRE(answer.ok());
      const wire::ErrorCode code = answer->has_error() ? answer->error().code() : wire::OK;
      ++codes[code];
      if (code == wire::RATE_LIMITED) CHECK(answer->error().retry_after_ms() > 0);
    }
    return codes;
  };
  auto sends = pipeline(
      [&](wire::Request* r) {
        r->mutable_send()->set_mailbox_id(owner.mailbox);
        r->mutable_send()->set_token(owner.token);
        r->mutable_send()->set_envelope("m");
      },
      1000);
  CHECK(sends[wire::OK] == 3);  // the token's burst, and no more
  CHECK(sends[wire::RATE_LIMITED] == 17);
  CHECK(Queued(*relay, owner) == 3);
  // Pre-key fetches count as envelopes: a second token has its own burst (3), and the
  // mailbox's total (5) has 2 left.
  wire::PutPrekeys put;
  put.set_mailbox_id(owner.mailbox);
  put.mutable_signed_prekey()->set_public_key(PrekeyPublic('k'));
  put.mutable_signed_prekey()->set_signature(std::string(64, 's'));
  REQUIRE(owner.client->PutPrekeys(put).ok());
  const std::string second = RandomToken();
  REQUIRE(owner.client->SetToken(owner.mailbox, wire::CONTACT, second).ok());
  auto fetches = pipeline(
      [&](wire::Request* r) {
        r->mutable_get_prekey_bundle()->set_mailbox_id(owner.mailbox);
        r->mutable_get_prekey_bundle()->set_token(second);
      },
      2000);
  CHECK(fetches[wire::OK] == 2);
  CHECK(fetches[wire::RATE_LIMITED] == 18);
}

}  // namespace
}  // namespace tocsin::testing
