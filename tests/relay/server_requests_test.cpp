// Every request's success path, against the real relay binary.
#include "server_test_util.h"

namespace tocsin::testing {
namespace {

TEST_CASE("hello answers version / a fresh 32-byte nonce and the limits", "[relay][server]") {
  auto relay = StartRelay({{"limits.max_window", "512"}});
  auto a = TestClient::Connect(relay->address());
  auto b = TestClient::Connect(relay->address());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto ha = (*a)->Hello(wire::OWNER);
  auto hb = (*b)->Hello(wire::SEND);
  REQUIRE(ha.ok());
  REQUIRE(hb.ok());
  CHECK(ha->version() == 1);
  CHECK(ha->server_nonce().size() == 32);
  CHECK(ha->server_nonce() != hb->server_nonce());
  CHECK(ha->limits().max_window() == 512);
  CHECK(ha->limits().max_frame_bytes() == 262144);
  CHECK(ha->limits().max_views_per_frame() == 2000);
  CHECK(ha->server_time_ms() > 1'600'000'000'000ull);
  CHECK((*a)->Ping().ok());
  CHECK((*b)->Ping().ok());
}

TEST_CASE("a mailbox is created with an invite and authenticated on a new connection",
          "[relay][server]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  CHECK(owner.mailbox.size() == 16);
  auto again = Connect(*relay, wire::OWNER);
  auto auth = again->Authenticate(owner.mailbox, owner.key);
  INFO(auth.status().ToString());
  REQUIRE(auth.ok());
  CHECK(auth->mailbox_id() == owner.mailbox);
  CHECK(auth->queued() == 0);
}

TEST_CASE("send is stored / pushed to the subscriber and deleted by its ack", "[relay][server]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Send(owner.mailbox, owner.token, "sealed-envelope-1").ok());
  auto delivery = owner.client->NextDelivery();
  REQUIRE(delivery.ok());
  CHECK(delivery->mailbox_id() == owner.mailbox);
  CHECK(delivery->envelope() == "sealed-envelope-1");
  CHECK(delivery->seq() == 1);
  CHECK(delivery->expires_at_ms() > 0);
  auto acked = owner.client->Ack(owner.mailbox, {delivery->seq(), 99});
  REQUIRE(acked.ok());
  CHECK(*acked == 1);
  auto fresh = Connect(*relay, wire::OWNER);
  auto auth = fresh->Authenticate(owner.mailbox, owner.key);
  REQUIRE(auth.ok());
  CHECK(auth->queued() == 0);
}

TEST_CASE("a blob and its views reach every recipient", "[relay][server]") {
  auto relay = StartRelay();
  Owner a = NewOwner(*relay, wire::ALERT);
  Owner b = NewOwner(*relay, wire::ALERT);
  REQUIRE(a.client->Subscribe(a.mailbox).ok());
  REQUIRE(b.client->Subscribe(b.mailbox).ok());
  auto sender = Connect(*relay, wire::SEND);
  auto handle = sender->PutBlob(std::string(1000, 'B'));
  REQUIRE(handle.ok());
  CHECK(handle->size() == 16);
  auto result = sender->SendViews(
      *handle, {MakeView(a.mailbox, a.token, 'a'), MakeView(b.mailbox, b.token, 'b')});
  REQUIRE(result.ok());
  CHECK(result->stored() == 2);
  REQUIRE(result->results_size() == 2);
  CHECK(result->results(0).code() == wire::OK);
  auto da = a.client->NextDelivery();
  auto db = b.client->NextDelivery();
  REQUIRE(da.ok());
  REQUIRE(db.ok());
  CHECK(da->view().blob() == std::string(1000, 'B'));
  CHECK(da->view().view() == std::string(48, 'a'));
  CHECK(db->view().view() == std::string(48, 'b'));
  // A retried SendViews is idempotent: nothing new is queued.
  auto retry = sender->SendViews(*handle, {MakeView(a.mailbox, a.token, 'a')});
  REQUIRE(retry.ok());
  CHECK(retry->results(0).code() == wire::OK);
  CHECK(a.client->NoDeliveryWithin(milliseconds(300)));
}

TEST_CASE("tokens rotate: the new one works / the old one until its grace ends",
          "[relay][server]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  const std::string fresh = RandomToken();
  auto until =
      owner.client->RotateToken(owner.mailbox, owner.token, wire::CONTACT, fresh, std::nullopt);
  REQUIRE(until.ok());
  CHECK(*until > 0);
  CHECK(sender->Send(owner.mailbox, fresh, "with new").ok());
  CHECK(sender->Send(owner.mailbox, owner.token, "with old, in grace").ok());
  const std::string third = RandomToken();
  REQUIRE(owner.client->RotateToken(owner.mailbox, fresh, wire::CONTACT, third, 0).ok());
  CHECK(CodeOf(sender->Send(owner.mailbox, fresh, "revoked")) == Code::kExpired);
  CHECK(sender->Send(owner.mailbox, third, "third").ok());
}

TEST_CASE("pre-keys: the lowest one-time key is taken once then the signed key alone",
          "[relay][server]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  wire::PutPrekeys put;
  put.set_mailbox_id(owner.mailbox);
  put.set_registration_id(77);
  put.set_device_id(1);
  put.mutable_signed_prekey()->set_id(5);
  put.mutable_signed_prekey()->set_public_key(PrekeyPublic('s'));
  put.mutable_signed_prekey()->set_signature(std::string(64, 'g'));
  for (std::uint32_t id : {12u, 11u}) {
    auto* k = put.add_one_time();
    k->set_id(id);
    k->set_public_key(PrekeyPublic(static_cast<char>(id)));
  }
  auto left = owner.client->PutPrekeys(put);
  REQUIRE(left.ok());
  CHECK(*left == 2);
  auto sender = Connect(*relay, wire::SEND);
  auto first = sender->GetPrekeyBundle(owner.mailbox, owner.token);
  REQUIRE(first.ok());
  CHECK(first->registration_id() == 77);
  CHECK(first->signed_prekey().id() == 5);
  REQUIRE(first->has_one_time_prekey());
  CHECK(first->one_time_prekey().id() == 11);
  auto second = sender->GetPrekeyBundle(owner.mailbox, owner.token);
  REQUIRE(second.ok());
  CHECK(second->one_time_prekey().id() == 12);
  auto third = sender->GetPrekeyBundle(owner.mailbox, owner.token);
  REQUIRE(third.ok());
  CHECK_FALSE(third->has_one_time_prekey());
  auto auth = Connect(*relay, wire::OWNER)->Authenticate(owner.mailbox, owner.key);
  REQUIRE(auth.ok());
  CHECK(auth->one_time_prekeys_left() == 0);
}

TEST_CASE("a deleted mailbox is gone with its queue", "[relay][server]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Send(owner.mailbox, owner.token, "queued").ok());
  REQUIRE(owner.client->DeleteMailbox(owner.mailbox).ok());
  CHECK(CodeOf(sender->Send(owner.mailbox, owner.token, "late")) == Code::kNotFound);
  CHECK(CodeOf(owner.client->Subscribe(owner.mailbox)) == Code::kUnauthorized);
  auto other = Connect(*relay, wire::OWNER);
  CHECK(CodeOf(other->Authenticate(owner.mailbox, owner.key)) == Code::kUnauthorized);
}

}  // namespace
}  // namespace tocsin::testing

namespace tocsin::testing {
namespace {

TEST_CASE("only owner connections get a TLS ticket to resume with", "[relay][server]") {
  auto relay = StartRelay();
  auto owner = Connect(*relay, wire::OWNER);
  REQUIRE(owner->Ping().ok());  // the ticket travels with the answers after Hello
  auto resumed = TestClient::Connect(relay->address(), kDefaultTimeout, owner->Session());
  REQUIRE(resumed.ok());
  CHECK((*resumed)->Resumed());
  CHECK((*resumed)->Hello(wire::OWNER).ok());

  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Ping().ok());
  auto again = TestClient::Connect(relay->address(), kDefaultTimeout, sender->Session());
  REQUIRE(again.ok());
  CHECK_FALSE((*again)->Resumed());
}

}  // namespace
}  // namespace tocsin::testing
