// What a seized data folder yields: no plaintext, no key, no token, no mailbox id; and
// purged content is gone.
#include "client_test_util.h"
#include "core/hex.h"
#include "store/device_store.h"

namespace tocsin::testing {
namespace {

std::string Raw(std::span<const std::uint8_t> bytes) { return core::ToString(bytes); }

// The secrets a client holds in memory, to look for in its files.
struct Secrets {
  std::vector<std::pair<std::string, std::string>> items;  // what, bytes
};

Secrets SecretsOf(Client& client) {
  return OnWorker<Secrets>(client, [&client] {
    Secrets out;
    auto& context = client.core().context();
    out.items.emplace_back("identity private key", Raw(context.keys->identity().private_key()));
    for (const auto* pair : context.keys->EnvelopeKeyPairs()) {
      out.items.emplace_back("envelope private key", Raw(pair->private_key()));
    }
    for (const auto& mailbox : context.mailboxes->all()) {
      out.items.emplace_back("mailbox auth key", Raw(mailbox.auth->secret_key.span()));
      out.items.emplace_back("mailbox id", mailbox.record.mailbox_id());
      if (!mailbox.record.intro_token().empty()) {
        out.items.emplace_back("intro token", mailbox.record.intro_token());
      }
    }
    for (const auto* contact : context.contacts->All()) {
      for (const auto& given : contact->given_tokens()) {
        out.items.emplace_back("given token", given.token());
      }
      for (const auto& address : contact->addresses()) {
        out.items.emplace_back("contact's token", address.token());
      }
    }
    return out;
  });
}

TEST_CASE("a passphrase typed twice is compared by its content, not its length", "[api]") {
  auto same = [](std::string_view a, std::string_view b) {
    return Take(Passphrase::FromString(a)).SameAs(Take(Passphrase::FromString(b)));
  };
  CHECK(same("correct horse battery staple", "correct horse battery staple"));
  CHECK_FALSE(same("correct horse battery staple", "correct horse battery stable"));  // same size
  CHECK_FALSE(same("correct horse", "correct horse battery staple"));
  Passphrase moved = Take(Passphrase::FromString("x"));
  Passphrase taken = std::move(moved);
  CHECK_FALSE(moved.SameAs(taken));  // a moved-from passphrase holds nothing
}

TEST_CASE("the data folder holds no plaintext, key, token or mailbox id in the clear",
          "[client][relay][secrecy]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto a =
      Take(Client::Create(folder.path() / "a", TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  auto b =
      Take(Client::Create(folder.path() / "b", TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  EventLog a_log(*a);
  EventLog b_log(*b, false);  // B keeps its events: they stay in its store
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  const std::string secret_text = "agents at 5th and Main, meet at the church";
  Take(a->SendText(pair.b_at_a, secret_text));
  REQUIRE(b_log.WaitForText(secret_text));
  const Secrets a_secrets = SecretsOf(*a);
  const Secrets b_secrets = SecretsOf(*b);
  REQUIRE(a_secrets.items.size() >= 6);
  a->Close();
  b->Close();
  for (const auto& [dir, secrets] :
       {std::pair{folder.path() / "a", &a_secrets}, std::pair{folder.path() / "b", &b_secrets}}) {
    for (const auto& text :
         {secret_text, std::string("hello from A"), std::string("hello from B")}) {
      INFO(dir << ": " << text);
      CHECK_FALSE(FolderContains(dir, text));
    }
    for (const auto& [what, bytes] : secrets->items) {
      INFO(dir << ": " << what);
      REQUIRE(bytes.size() >= 16);
      CHECK_FALSE(FolderContains(dir, bytes));
      CHECK_FALSE(FolderContains(dir, core::ToHex(bytes)));
    }
  }
}

TEST_CASE("purged content cannot be read again, even with the passphrase",
          "[client][relay][secrecy]") {
  auto relay = StartRelay();
  TempFolder folder;
  const auto b_dir = folder.path() / "b";
  auto a =
      Take(Client::Create(folder.path() / "a", TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  auto b = Take(Client::Create(b_dir, TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  EventLog a_log(*a);
  auto b_log = std::make_unique<EventLog>(*b, false);
  const Pair pair = Introduce(*a, a_log, *b, *b_log);
  Take(a->SendText(pair.b_at_a, "purge me"));
  REQUIRE(b_log->WaitForText("purge me"));
  REQUIRE(Take(b->PendingEvents()).size() >= 2);

  Check(b->PurgeContentBefore(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          (std::chrono::system_clock::now() + std::chrono::hours(48)).time_since_epoch())
          .count())));
  CHECK(Take(b->PendingEvents()).empty());
  b_log.reset();
  b->Close();

  // The store itself, opened with the passphrase, has no day of content left.
  {
    store::StoreOptions options;
    options.kdf = store::kTestKdfOptions;
    auto passphrase = crypto::SecretBytes::CopyOf(core::Bytes("test passphrase"));
    auto store = Take(store::DeviceStore::Open(b_dir, passphrase, options));
    CHECK(Take(store->AlertDays()).empty());
  }
  b = Take(Client::Open(b_dir, TestPassphrase(), FastOptions()));
  EventLog reopened(*b);
  CHECK(Take(b->PendingEvents()).empty());
  // The session outlived the purge.
  Take(a->SendText(pair.b_at_a, "after the purge"));
  REQUIRE(reopened.WaitForText("after the purge"));
  CHECK(reopened.Texts() == std::vector<std::string>{"after the purge"});
}

}  // namespace
}  // namespace tocsin::testing
