// What a seized data folder yields: no plaintext, no key, no token, no mailbox id; and
// purged content is gone.
#include <signal/curve.h>
#include <signal/session_pre_key.h>

#include <set>

#include "client_test_util.h"
#include "core/device_keys.h"
#include "core/hex.h"
#include "crypto/signal_keys.h"
#include "groups/group_book.h"
#include "store/device_store.h"
#include "store/store_core.h"
#include "store_test_util.h"

namespace tocsin::testing {
namespace {

std::string Raw(std::span<const std::uint8_t> bytes) { return core::ToString(bytes); }

// The private key inside a stored libsignal pre-key record (one-time, or signed).
std::string PrivateKeyOf(const crypto::SignalContext& signal, const crypto::Record& record,
                         bool is_signed) {
  auto lock = signal.Lock();
  ec_key_pair* pair = nullptr;
  crypto::SignalRef<session_pre_key> one_time;
  crypto::SignalRef<session_signed_pre_key> signed_key;
  if (is_signed) {
    REQUIRE(session_signed_pre_key_deserialize(signed_key.out(), record.data(), record.size(),
                                               signal.get()) == 0);
    pair = session_signed_pre_key_get_key_pair(signed_key.get());
  } else {
    REQUIRE(session_pre_key_deserialize(one_time.out(), record.data(), record.size(),
                                        signal.get()) == 0);
    pair = session_pre_key_get_key_pair(one_time.get());
  }
  auto parsed =
      crypto::FromSignalKeyPair(ec_key_pair_get_public(pair), ec_key_pair_get_private(pair));
  REQUIRE(parsed.ok());
  return Raw(parsed->private_key());
}

// Pieces of an opaque state record (a session, a sender key) to look for: 32-byte
// windows that are not mostly structure (at least 20 different byte values).
std::vector<std::string> Windows(const crypto::Record& record) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at + 32 <= record.size(); at += 16) {
    std::string window(record.begin() + static_cast<std::ptrdiff_t>(at),
                       record.begin() + static_cast<std::ptrdiff_t>(at + 32));
    if (std::set<char>(window.begin(), window.end()).size() >= 20) out.push_back(window);
  }
  return out;
}

// The secrets a client holds in memory, to look for in its files.
struct Secrets {
  std::vector<std::pair<std::string, std::string>> items;  // what, bytes
};

Secrets SecretsOf(Client& client) {
  return OnWorker<Secrets>(client, [&client] {
    Secrets out;
    auto& context = client.core().context();
    auto& signal_store = *context.signal_store;
    auto signed_prekey = signal_store.LoadSignedPreKey(context.keys->signed_prekey().id());
    REQUIRE(signed_prekey.ok());
    REQUIRE(signed_prekey->has_value());
    out.items.emplace_back("signed pre-key private key",
                           PrivateKeyOf(*context.signal, **signed_prekey, true));
    for (const auto& mailbox : context.mailboxes->all()) {
      // The last one made is still unused.
      const auto range = *crypto::PreKeyIdRangeForSlot(mailbox.record.index());
      std::uint32_t last = range.first;
      while (range.Next(last) != mailbox.record.next_prekey_id()) last = range.Next(last);
      auto one_time = signal_store.LoadPreKey(last);
      REQUIRE(one_time.ok());
      REQUIRE(one_time->has_value());
      out.items.emplace_back("one-time pre-key private key",
                             PrivateKeyOf(*context.signal, **one_time, false));
    }
    for (const auto* contact : context.contacts->All()) {
      auto session = signal_store.LoadSession(core::ContactAddress(contact->contact_id()));
      REQUIRE(session.ok());
      REQUIRE(session->has_value());
      for (auto& window : Windows(**session)) out.items.emplace_back("session state", window);
    }
    for (const auto* group : context.groups->All()) {
      std::vector<crypto::SenderKeyName> names{groups::OwnSenderKeyName(*group)};
      for (const auto& sender : group->accepted_senders()) {
        names.push_back(groups::ContactSenderKeyName(group->group_id(), sender));
      }
      for (const auto& name : names) {
        auto sender_key = signal_store.LoadSenderKey(name);
        REQUIRE(sender_key.ok());
        if (!sender_key->has_value()) continue;
        for (auto& window : Windows(**sender_key)) out.items.emplace_back("sender key", window);
      }
    }
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
  auto a = CreateClient(folder, "a", *relay);
  auto b = CreateClient(folder, "b", *relay);
  EventLog a_log(*a);
  EventLog b_log(*b, false);  // B keeps its events: they stay in its store
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  const std::string secret_text = "agents at 5th and Main, meet at the church";
  Take(a->SendText(pair.b_at_a, secret_text));
  REQUIRE(b_log.WaitForText(secret_text));
  // A group, for sender-key state on both sides.
  const GroupId group = Take(a->CreateGroup("zone 4", {pair.b_at_a}));
  REQUIRE(b_log.WaitFor([](const Event& e) { return e.kind == EventKind::kGroupInvite; }));
  Check(b->JoinGroup(group, "zone 4", {pair.a_at_b}));
  Take(a->SendGroupText(group, "checkpoint at Pine St"));
  REQUIRE(b_log.WaitForText("checkpoint at Pine St"));
  const Secrets a_secrets = SecretsOf(*a);
  const Secrets b_secrets = SecretsOf(*b);
  std::set<std::string> kinds;
  for (const auto& [what, bytes] : a_secrets.items) kinds.insert(what);
  for (const auto& [what, bytes] : b_secrets.items) kinds.insert(what);
  CHECK(kinds.size() == 11);  // every kind above has at least one item
  a->Close();
  b->Close();
  for (const auto& [dir, secrets] :
       {std::pair{folder.path() / "a", &a_secrets}, std::pair{folder.path() / "b", &b_secrets}}) {
    // The search works: it finds what is in the files in clear (the Argon2id parameters
    // and salt of the passphrase) and a needle planted in a file.
    std::string kdf;
    {
      store::testing::RawDb raw(dir);
      REQUIRE(raw.ok());
      kdf = raw.Rows(store::kMetaFamily).at(std::string(store::kMetaKdf));
    }
    REQUIRE(kdf.size() >= 16);
    CHECK(FolderContains(dir, kdf));
    const std::string needle = "needle " + core::ToHex(std::string(16, '\x5a'));
    std::ofstream(dir / "planted", std::ios::binary) << std::string(5000, '\0') << needle << "tail";
    CHECK(FolderContains(dir, needle));
    std::filesystem::remove(dir / "planted");

    for (const auto& text :
         {secret_text, std::string("hello from A"), std::string("hello from B"),
          std::string("checkpoint at Pine St"), std::string("test passphrase")}) {
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
  auto a = CreateClient(folder, "a", *relay);
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
