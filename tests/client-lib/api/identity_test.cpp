// Identities: safety numbers, a replaced phone refused until verified, passphrases.
#include "client_test_util.h"
#include "core/contacts.h"
#include "core/hex.h"

namespace tocsin::testing {
namespace {

TEST_CASE("safety numbers match on both devices and verification is remembered",
          "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto a = CreateClient(folder, "a", *relay);
  auto b = CreateClient(folder, "b", *relay);
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  const std::string number = Take(a->SafetyNumber(pair.b_at_a));
  CHECK(number == Take(b->SafetyNumber(pair.a_at_b)));
  CHECK(number.size() == 71);
  CHECK_FALSE(Take(a->GetContact(pair.b_at_a)).verified);
  Check(a->MarkVerified(pair.b_at_a));
  a->Close();
  a = Take(Client::Open(folder.path() / "a", TestPassphrase(), FastOptions()));
  CHECK(Take(a->GetContact(pair.b_at_a)).verified);
  CHECK(Take(a->GetContact(pair.b_at_a)).identity_key == b->IdentityKey());
}

TEST_CASE("a contact's new identity is refused until it is verified", "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  const auto spec = SpecOf(*relay);
  auto a = Take(Client::Create(folder.path() / "a", TestPassphrase(), {spec}, FastOptions()));
  auto b = Take(Client::Create(folder.path() / "b", TestPassphrase(), {spec}, FastOptions()));
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);

  // Bob's phone is replaced: a new device, a new identity key, a new card.
  b->Close();
  auto b2 = Take(Client::Create(folder.path() / "b2", TestPassphrase(), {spec}, FastOptions()));
  EventLog b2_log(*b2);
  Check(a->OfferNewIdentity(pair.b_at_a, Take(b2->MyCard("Bob"))));
  CHECK(Take(a->GetContact(pair.b_at_a)).identity_changed);
  CHECK(a->SendText(pair.b_at_a, "refused").status().code() == Code::kUntrustedIdentity);

  // The new phone writes: the message is held, and A is told.
  const ContactId a_at_b2 = Take(b2->AddContact(Take(a->MyCard("A"))));
  Take(b2->SendText(a_at_b2, "it is me, new phone"));
  REQUIRE(a_log.WaitFor([&](const Event& e) {
    return e.kind == EventKind::kIdentityChangeRefused && e.contact == pair.b_at_a;
  }));
  CHECK_FALSE(
      a_log.Find([](const Event& e) { return e.text && *e.text == "it is me, new phone"; }));

  // A compares the new safety number and verifies it: the held message comes through.
  const std::string old_identity = *core::FromHex(Take(a->GetContact(pair.b_at_a)).identity_key);
  const std::string old_envelope_key = OnWorker<std::string>(*a, [&] {
    const auto* bob = a->core().context().contacts->Find(*core::FromHex(pair.b_at_a));
    REQUIRE(bob != nullptr);
    return bob->envelope_key().public_key();
  });
  CHECK_FALSE(DhCacheHolds(*a, old_identity));  // only opened from: never cached
  REQUIRE(DhCacheHolds(*a, old_envelope_key));  // sealed to
  CHECK(Take(a->SafetyNumber(pair.b_at_a)) == Take(b2->SafetyNumber(a_at_b2)));
  Check(a->MarkVerified(pair.b_at_a));
  // The old identity's cached DH outputs (and its envelope key's) are gone.
  CHECK_FALSE(DhCacheHolds(*a, old_identity));
  CHECK_FALSE(DhCacheHolds(*a, old_envelope_key));
  REQUIRE(a_log.WaitFor([&](const Event& e) {
    return e.text && *e.text == "it is me, new phone" && e.contact == pair.b_at_a;
  }));
  const ContactInfo bob = Take(a->GetContact(pair.b_at_a));
  CHECK_FALSE(bob.identity_changed);
  CHECK(bob.verified);
  CHECK(bob.identity_key == b2->IdentityKey());
  Take(a->SendText(pair.b_at_a, "welcome back"));
  REQUIRE(b2_log.WaitForText("welcome back"));
}

TEST_CASE("a wrong passphrase is refused and changing it re-keys", "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  const auto dir = folder.path() / "a";
  Take(Client::Create(dir, TestPassphrase(), {SpecOf(*relay)}, FastOptions()))->Close();
  auto wrong = Client::Open(dir, TestPassphrase("not the passphrase"), FastOptions());
  CHECK(wrong.status().code() == Code::kUnauthorized);
  auto none = Client::Open(folder.path() / "nothing", TestPassphrase(), FastOptions());
  CHECK(none.status().code() == Code::kNotFound);

  auto a = Take(Client::Open(dir, TestPassphrase(), FastOptions()));
  CHECK(a->ChangePassphrase(TestPassphrase("wrong"), TestPassphrase("new one")).code() ==
        Code::kUnauthorized);
  Check(a->ChangePassphrase(TestPassphrase(), TestPassphrase("new one")));
  a->Close();
  CHECK(Client::Open(dir, TestPassphrase(), FastOptions()).status().code() == Code::kUnauthorized);
  CHECK(Client::Open(dir, TestPassphrase("new one"), FastOptions()).ok());
}

TEST_CASE("a second client on an open folder, and a new device in a used folder, are refused",
          "[client][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  const auto dir = folder.path() / "a";
  auto a = Take(Client::Create(dir, TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  CHECK(Client::Open(dir, TestPassphrase(), FastOptions()).status().code() == Code::kUnavailable);
  CHECK(Client::Create(dir, TestPassphrase(), {SpecOf(*relay)}, FastOptions()).status().code() ==
        Code::kInvalidArgument);
  CHECK(Client::Create(folder.path() / "b", TestPassphrase(), {}, FastOptions()).status().code() ==
        Code::kInvalidArgument);
  CHECK(
      Client::Create(folder.path() / "c", TestPassphrase(), {{"https://relay", "x"}}, FastOptions())
          .status()
          .code() == Code::kInvalidArgument);
  // A refused invite leaves no half-made device behind.
  auto refused =
      Client::Create(folder.path() / "d", TestPassphrase(),
                     {{relay->address().ToString(), std::string(26, 'a')}}, FastOptions());
  CHECK(refused.status().code() == Code::kUnauthorized);
  CHECK_FALSE(std::filesystem::exists(folder.path() / "d"));
}

}  // namespace
}  // namespace tocsin::testing
