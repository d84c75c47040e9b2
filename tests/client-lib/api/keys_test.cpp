// Key upkeep of a running client: the envelope key and the signed pre-key rotate on
// schedule, old ones keep opening messages for the retention (TTL cap + 7 days) and are
// then wiped from the files; one-time pre-keys are topped up while a link stays up.
#include <atomic>
#include <future>
#include <thread>

#include "client_test_util.h"
#include "core/hex.h"
#include "core/mailboxes.h"
#include "core/records.h"
#include "store_test_util.h"

namespace tocsin::testing {
namespace {

using std::chrono::hours;

// Protocol time that the test moves forward.
class ManualClock final : public Clock {
 public:
  ManualClock()
      : now_(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count())) {}
  std::uint64_t NowMs() override { return now_.load(); }
  void Advance(std::chrono::milliseconds by) { now_ += static_cast<std::uint64_t>(by.count()); }

 private:
  std::atomic<std::uint64_t> now_;
};

struct KeyState {
  std::uint32_t envelope_key_id = 0;
  std::size_t envelope_pairs = 0;  // current and retired ones still kept
  std::uint32_t signed_prekey_id = 0;
  std::uint32_t published_signed_prekey_id = 0;  // as the relay has it
};

KeyState KeysOf(Client& client) {
  return OnWorker<KeyState>(client, [&client] {
    auto& context = client.core().context();
    KeyState state;
    state.envelope_key_id = context.keys->envelope_key().key_id();
    state.envelope_pairs = context.keys->EnvelopeKeyPairs().size();
    state.signed_prekey_id = context.keys->signed_prekey().id();
    state.published_signed_prekey_id =
        context.mailboxes->all().front().record.published_signed_prekey_id();
    return state;
  });
}

bool HasSignedPrekey(Client& client, std::uint32_t id) {
  return OnWorker<bool>(client, [&client, id] {
    auto record = client.core().context().signal_store->LoadSignedPreKey(id);
    REQUIRE(record.ok());
    return record->has_value();
  });
}

bool HasEnvelopePrivateKey(Client& client, std::uint32_t id) {
  return OnWorker<bool>(client, [&client, id] {
    auto row = client.core().context().store->Get(
        store::Column::kIdentity, core::Name("core/envelope_key/" + std::to_string(id)));
    REQUIRE(row.ok());
    return row->has_value();
  });
}

// Every row of the identity and signed pre-key families, read from the files beside
// the open store (stored key -> sealed value).
std::map<std::string, std::string> KeyRows(const std::filesystem::path& dir,
                                           const std::filesystem::path& scratch) {
  store::testing::RawDb raw(dir, scratch);
  REQUIRE(raw.ok());
  std::map<std::string, std::string> rows;
  for (auto column : {store::Column::kIdentity, store::Column::kSignedPreKeys}) {
    for (auto& [key, value] : raw.Rows(store::FamilyOf(column))) {
      rows[std::to_string(store::FamilyOf(column)) + key] = value;
    }
  }
  return rows;
}

TEST_CASE("envelope keys and signed pre-keys rotate, open late messages, then leave the disk",
          "[client][relay][keys]") {
  auto relay = StartRelay();
  TempFolder folder;
  HookedTransports hooks;
  const auto b_dir = folder.path() / "b";
  auto clock = std::make_shared<ManualClock>();
  ClientOptions b_options = FastOptions();
  b_options.clock = clock;
  b_options.envelope_key_rotation = hours(8 * 24);
  b_options.signed_prekey_rotation = hours(8 * 24);
  b_options.ttl_cap = hours(1);  // retired keys are kept 1 h + 7 days
  hooks.Next("b");
  auto b = Take(Client::Create(b_dir, TestPassphrase(), {SpecOf(*relay)}, b_options));
  EventLog b_log(*b);
  auto d = CreateClient(folder, "d", *relay);
  EventLog d_log(*d);
  const KeyState first = KeysOf(*b);
  REQUIRE(first.envelope_pairs == 1);

  // D takes B's card (envelope key 1) and a bundle (signed pre-key 1), and writes; B
  // holds the message back until it has rotated both keys.
  hooks["b"].Hold([](const net::IncomingDelivery&) { return true; });
  const ContactId b_at_d = Take(d->AddContact(Take(b->MyCard("B"))));
  Take(d->SendText(b_at_d, "sealed to the old keys"));
  REQUIRE(WaitOutboxEmpty(*d));
  REQUIRE(WaitUntil([&] { return hooks["b"].held() >= 1; }));
  REQUIRE(WaitOutboxEmpty(*b));

  clock->Advance(hours(8 * 24) + 1s);
  REQUIRE(WaitUntil([&] {
    const KeyState now = KeysOf(*b);
    return now.envelope_key_id != first.envelope_key_id &&
           now.signed_prekey_id != first.signed_prekey_id &&
           now.published_signed_prekey_id == now.signed_prekey_id;
  }));
  const KeyState second = KeysOf(*b);
  CHECK(second.envelope_pairs == 2);
  CHECK(HasSignedPrekey(*b, first.signed_prekey_id));

  // The late message opens with the retired envelope key and starts its session on the
  // retired signed pre-key.
  hooks["b"].Release();
  REQUIRE(b_log.WaitForText("sealed to the old keys"));
  REQUIRE(WaitOutboxEmpty(*b));
  REQUIRE(WaitUntil([&] { return AwaitingReceipts(*d) == 0; }));

  // Just before the end of the retention both old keys are still there...
  clock->Advance(hours(7 * 24));
  std::this_thread::sleep_for(4 * FastOptions().maintenance_interval);
  CHECK(KeysOf(*b).envelope_pairs == 2);
  CHECK(HasSignedPrekey(*b, first.signed_prekey_id));
  CHECK(HasEnvelopePrivateKey(*b, first.envelope_key_id));
  const auto rows_before = KeyRows(b_dir, folder.path() / "scratch1");
  for (const auto& [key, value] : rows_before) REQUIRE(FolderContains(b_dir, value));

  // ... and just after it they are wiped, and their sealed bytes are gone from the files.
  clock->Advance(hours(1) + 1s);
  REQUIRE(WaitUntil([&] { return KeysOf(*b).envelope_pairs == 1; }));
  CHECK(KeysOf(*b).envelope_key_id == second.envelope_key_id);
  CHECK_FALSE(HasSignedPrekey(*b, first.signed_prekey_id));
  CHECK_FALSE(HasEnvelopePrivateKey(*b, first.envelope_key_id));
  const auto rows_after = KeyRows(b_dir, folder.path() / "scratch2");
  std::size_t wiped = 0;
  for (const auto& [key, value] : rows_before) {
    if (rows_after.count(key) != 0) continue;
    ++wiped;
    CHECK_FALSE(FolderContains(b_dir, value));
  }
  CHECK(wiped == 2);  // the envelope private key row and the signed pre-key row

  // Reopened, the store has neither; the current keys work for a new contact.
  b->Close();
  b = Take(Client::Open(b_dir, TestPassphrase(), b_options));
  EventLog reopened(*b);
  CHECK_FALSE(HasSignedPrekey(*b, first.signed_prekey_id));
  CHECK_FALSE(HasEnvelopePrivateKey(*b, first.envelope_key_id));
  auto e = CreateClient(folder, "e", *relay);
  const ContactId b_at_e = Take(e->AddContact(Take(b->MyCard("B"))));
  Take(e->SendText(b_at_e, "on the new keys"));
  REQUIRE(reopened.WaitForText("on the new keys"));
}

// The envelope key `client` holds for its contact `id`.
envelope::SignedEnvelopeKey ContactEnvelopeKey(Client& client, const ContactId& id) {
  return OnWorker<envelope::SignedEnvelopeKey>(client, [&client, id] {
    const auto* contact = client.core().context().contacts->Find(*core::FromHex(id));
    REQUIRE(contact != nullptr);
    return contact->envelope_key();
  });
}

TEST_CASE("a contact's replaced envelope key and a removed contact leave the DH cache",
          "[client][relay][keys]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto clock = std::make_shared<ManualClock>();
  ClientOptions b_options = FastOptions();
  b_options.clock = clock;
  b_options.envelope_key_rotation = hours(8 * 24);
  auto a = CreateClient(folder, "a", *relay);
  auto b = Take(Client::Create(folder.path() / "b", TestPassphrase(), {SpecOf(*relay)}, b_options));
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  REQUIRE(WaitOutboxEmpty(*a));
  REQUIRE(WaitOutboxEmpty(*b));
  // A sealed to B's envelope key (DH(A, R): cached) and opened B's messages (DH(A's R,
  // B): opening never adds to the cache, proto/SPEC.md 10, "Caching").
  const envelope::SignedEnvelopeKey old_key = ContactEnvelopeKey(*a, pair.b_at_a);
  const std::string b_identity = *core::FromHex(b->IdentityKey());
  REQUIRE(DhCacheHolds(*a, old_key.public_key()));
  CHECK_FALSE(DhCacheHolds(*a, b_identity));
  const std::size_t before = DhCacheSize(*a);

  // B rotates its envelope key and announces it; A takes it and writes to it.
  clock->Advance(hours(8 * 24) + 1s);
  REQUIRE(
      WaitUntil([&] { return ContactEnvelopeKey(*a, pair.b_at_a).key_id() != old_key.key_id(); }));
  const envelope::SignedEnvelopeKey new_key = ContactEnvelopeKey(*a, pair.b_at_a);
  CHECK(new_key.public_key() != old_key.public_key());
  Take(a->SendText(pair.b_at_a, "to the new key"));
  REQUIRE(b_log.WaitForText("to the new key"));
  CHECK_FALSE(DhCacheHolds(*a, old_key.public_key()));
  CHECK(DhCacheHolds(*a, new_key.public_key()));
  CHECK(DhCacheSize(*a) == before);

  // Removed, B leaves nothing in A's cache.
  Check(a->RemoveContact(pair.b_at_a));
  CHECK_FALSE(DhCacheHolds(*a, new_key.public_key()));
  CHECK_FALSE(DhCacheHolds(*a, b_identity));
  CHECK(DhCacheSize(*a) == before - 1);
}

// One bundle from `mailbox` with `token`, through the client's own relay links.
Result<wire::PrekeyBundle> FetchBundle(Client& client, const RelayAddress& relay,
                                       const net::MailboxId& mailbox, const net::Token& token) {
  auto promise = std::make_shared<std::promise<Result<wire::PrekeyBundle>>>();
  auto future = promise->get_future();
  client.core().context().transport->GetPrekeyBundle(
      relay, mailbox, token,
      [promise](Result<wire::PrekeyBundle> bundle) { promise->set_value(std::move(bundle)); });
  return future.get();
}

TEST_CASE("one-time pre-keys are topped up while the relay link stays up",
          "[client][relay][keys]") {
  // Intro tokens may take any number of bundles here, so the test can drain them.
  auto relay = StartRelay({{"tokens.intro.max_prekey_fetches", "0"}});
  TempFolder folder;
  ClientOptions options = FastOptions();
  options.prekey_check_interval = 300ms;
  auto b = Take(Client::Create(folder.path() / "b", TestPassphrase(), {SpecOf(*relay)}, options));
  EventLog b_log(*b);
  (void)Take(b->MyCard("B"));
  struct Own {
    RelayAddress relay;
    net::MailboxId mailbox;
    net::Token intro;
    std::uint32_t next_prekey_id = 0;
  };
  auto own = [&b] {
    return OnWorker<Own>(*b, [&b] {
      const auto& mailbox = b->core().context().mailboxes->all().front();
      return Own{mailbox.relay, mailbox.id(), core::ToToken(mailbox.record.intro_token()),
                 mailbox.record.next_prekey_id()};
    });
  };
  const Own before = own();
  REQUIRE(WaitUntil([&] { return b->Relays().front().state == LinkState::kConnected; }));
  const std::size_t link_events = b_log.Count(EventKind::kRelayState);

  // 85 of the 100 published one-time pre-keys are taken: fewer than 20 are left.
  for (int i = 0; i < 85; ++i) {
    auto bundle = FetchBundle(*b, before.relay, before.mailbox, before.intro);
    REQUIRE(bundle.ok());
    CHECK(bundle->has_one_time_prekey());
  }
  // B counts them on its next check and adds more, without a reconnect.
  REQUIRE(WaitUntil([&] { return own().next_prekey_id != before.next_prekey_id; }));
  CHECK(b_log.Count(EventKind::kRelayState) == link_events);
  CHECK(b->Relays().front().state == LinkState::kConnected);
  // At least 96 are there again (without the top-up, 15 were left).
  for (int i = 0; i < 80; ++i) {
    auto bundle = FetchBundle(*b, before.relay, before.mailbox, before.intro);
    REQUIRE(bundle.ok());
    INFO("bundle " << i);
    CHECK(bundle->has_one_time_prekey());
  }
}

}  // namespace
}  // namespace tocsin::testing
