// The receive pipeline's checks of what a sender writes inside a sealed envelope
// (SPEC.md 10.5, 14.1, 14.2), against a sender that seals what it likes: its library's
// own ciphertext in a SealedContent changed field by field, sealed with its real
// identity key and sent through the real relay, as a modified client could. Each
// refused or ignored variant is followed by a control that differs only in that field.
#include <future>

#include "client_test_util.h"
#include "core/contacts.h"
#include "core/device_keys.h"
#include "core/hex.h"
#include "core/mailboxes.h"
#include "crypto/sealed_sender.h"
#include "crypto/signal_group.h"
#include "crypto/signal_session.h"
#include "crypto/signal_xeddsa.h"
#include "groups/group_book.h"
#include "tocsin/alert.pb.h"

namespace tocsin::testing {
namespace {

std::string Id16(const std::string& hex) { return *core::FromHex(hex, 16); }

std::string TextPayload(const std::string& text) {
  app::Payload payload;
  payload.mutable_text()->set_body(text);
  return payload.SerializeAsString();
}

// The record `client` holds for its contact `id`.
client::ContactRecord ContactOf(Client& client, const ContactId& id) {
  return OnWorker<client::ContactRecord>(client, [&client, id] {
    const auto* contact = client.core().context().contacts->Find(Id16(id));
    REQUIRE(contact != nullptr);
    return *contact;
  });
}

// What a sender's library puts around a ciphertext (pairwise.cpp, group_send.cpp).
envelope::SealedContent ContentAround(Client& sender, envelope::ContentType type,
                                      const std::string& ciphertext) {
  envelope::SealedContent content;
  content.set_sender_identity_key(core::ToString(sender.core().identity_key()));
  content.set_sender_device_id(1);
  content.set_type(type);
  content.set_message_id(sender.core().context().env.RandomString(16));
  content.set_counter(1);
  content.set_timestamp_ms(1);
  content.set_ciphertext(ciphertext);
  return content;
}

// `text` encrypted in the sender's session with its contact `to` (the session's new
// state committed, as a send would).
envelope::SealedContent PairwiseContent(Client& sender, const ContactId& to,
                                        const std::string& text) {
  const std::string ciphertext = OnWorker<std::string>(sender, [&sender, to, text] {
    auto& context = sender.core().context();
    core::Batch batch(*context.store);
    std::string bytes;
    {
      store::ScopedSignalBatch attach(*context.signal_store, batch.txn());
      auto cipher =
          crypto::PairwiseCipher::Create(*context.store_context, core::ContactAddress(Id16(to)));
      REQUIRE(cipher.ok());
      auto encrypted = cipher->Encrypt(core::Bytes(TextPayload(text)));
      REQUIRE(encrypted.ok());
      REQUIRE(encrypted->type == crypto::MessageType::kSignal);
      bytes = core::ToString(encrypted->bytes);
    }
    Check(batch.Commit());
    return bytes;
  });
  return ContentAround(sender, envelope::SIGNAL_MESSAGE, ciphertext);
}

// `text` under the sender's own sender key of `group` (which it has sent with before).
envelope::SealedContent GroupContent(Client& sender, const GroupId& group,
                                     const std::string& text) {
  const std::string ciphertext = OnWorker<std::string>(sender, [&sender, group, text] {
    auto& context = sender.core().context();
    const client::GroupRecord* record = context.groups->Find(Id16(group));
    REQUIRE(record != nullptr);
    core::Batch batch(*context.store);
    std::string bytes;
    {
      store::ScopedSignalBatch attach(*context.signal_store, batch.txn());
      auto cipher =
          crypto::GroupCipher::Create(*context.store_context, groups::OwnSenderKeyName(*record));
      REQUIRE(cipher.ok());
      auto encrypted = cipher->Encrypt(core::Bytes(TextPayload(text)));
      REQUIRE(encrypted.ok());
      bytes = core::ToString(encrypted->bytes);
    }
    Check(batch.Commit());
    return bytes;
  });
  envelope::SealedContent content = ContentAround(sender, envelope::SENDER_KEY_MESSAGE, ciphertext);
  content.set_group_id(Id16(group));
  return content;
}

// The sender's current envelope key.
envelope::SignedEnvelopeKey OwnEnvelopeKey(Client& sender) {
  return OnWorker<envelope::SignedEnvelopeKey>(
      sender, [&sender] { return sender.core().context().keys->envelope_key(); });
}

// A new envelope key (its private half thrown away) that `signer` signs as `key_id`.
envelope::SignedEnvelopeKey NewEnvelopeKey(Client& signer, std::uint32_t key_id) {
  return OnWorker<envelope::SignedEnvelopeKey>(signer, [&signer, key_id] {
    auto& context = signer.core().context();
    const auto pair = crypto::X25519KeyPair::Generate(crypto::DefaultRng());
    auto signature = crypto::SignEnvelopeKey(*context.signal, context.keys->identity(), key_id,
                                             1767225600000ull, pair.public_key());
    REQUIRE(signature.ok());
    envelope::SignedEnvelopeKey key;
    key.set_key_id(key_id);
    key.set_created_ms(1767225600000ull);
    key.set_public_key(core::ToString(pair.public_key()));
    key.set_signature(core::ToString(*signature));
    return key;
  });
}

struct Destination {
  RelayAddress relay;
  net::MailboxId mailbox{};
  net::Token token{};
};

std::vector<Destination> DestinationsOf(const client::ContactRecord& contact) {
  std::vector<Destination> out;
  for (const auto& address : contact.addresses()) {
    auto relay = ParseRelayAddress(address.relay());
    REQUIRE(relay.ok());
    out.push_back(
        {*relay, core::ToMailboxId(address.mailbox_id()), core::ToToken(address.token())});
  }
  return out;
}

crypto::PublicKey EnvelopeKeyOf(const client::ContactRecord& contact) {
  crypto::PublicKey key{};
  REQUIRE(contact.envelope_key().public_key().size() == key.size());
  std::copy_n(contact.envelope_key().public_key().begin(), key.size(), key.begin());
  return key;
}

// Seals `content` v1 (or v2) with the sender's identity key to its contact `to`'s
// envelope key and sends it to each of the contact's mailboxes; returns once stored.
void Seal(Client& sender, const ContactId& to, const envelope::SealedContent& content, bool v2) {
  const client::ContactRecord contact = ContactOf(sender, to);
  const std::string plain = content.SerializeAsString();
  const crypto::PublicKey recipient = EnvelopeKeyOf(contact);
  std::string envelope;
  std::string blob;
  std::string view;
  OnWorker<bool>(sender, [&] {
    const auto& identity = sender.core().context().keys->identity();
    if (!v2) {
      auto sealed = crypto::SealV1(identity, recipient, core::Bytes(plain), crypto::DefaultRng());
      REQUIRE(sealed.ok());
      envelope = core::ToString(*sealed);
      return true;
    }
    const std::vector<crypto::PublicKey> recipients{recipient};
    auto sealed = crypto::SealV2(identity, recipients, core::Bytes(plain), crypto::DefaultRng());
    REQUIRE(sealed.ok());
    blob = core::ToString(sealed->blob);
    view = core::ToString(sealed->views.at(0));
    return true;
  });
  auto& transport = *sender.core().context().transport;
  for (const auto& to_mailbox : DestinationsOf(contact)) {
    auto stored = std::make_shared<std::promise<bool>>();
    if (!v2) {
      transport.Send(to_mailbox.relay, to_mailbox.mailbox, to_mailbox.token, envelope, 3600,
                     [stored](Status status) { stored->set_value(status.ok()); });
    } else {
      transport.SendToMany(
          to_mailbox.relay, blob, 3600,
          {net::OutgoingView{to_mailbox.mailbox, to_mailbox.token, view}},
          [stored](Result<std::vector<Code>> codes) {
            stored->set_value(codes.ok() && codes->size() == 1 && codes->front() == Code::kOk);
          });
    }
    REQUIRE(stored->get_future().get());
  }
}

struct Rig {
  std::unique_ptr<RelayProcess> relay = StartRelay();
  TempFolder folder;
  std::unique_ptr<Client> a = Make("a");
  std::unique_ptr<Client> b = Make("b");
  EventLog a_log{*a};
  EventLog b_log{*b};
  Pair pair = Introduce(*a, a_log, *b, b_log);

  std::unique_ptr<Client> Make(const std::string& name) {
    return CreateClient(folder, name, *relay);
  }
};

TEST_CASE("a sealed content naming another sender than the sealed layer is refused",
          "[receiver][relay][tamper]") {
  Rig rig;
  auto c = rig.Make("c");
  EventLog c_log(*c);
  Connect(*c, c_log, *rig.b, rig.b_log, "c");
  const std::string c_identity = *core::FromHex(c->IdentityKey());

  // A seals a message of its session with B, naming C (a contact of B) or nobody.
  const envelope::SealedContent honest = PairwiseContent(*rig.a, rig.pair.b_at_a, "from A");
  const core::ReceiverStats before = Stats(*rig.b);
  const std::vector<std::string> texts_before = rig.b_log.Texts();
  for (const std::string& named : {c_identity, std::string(), c_identity.substr(0, 31)}) {
    envelope::SealedContent claimed = honest;
    claimed.set_sender_identity_key(named);
    Seal(*rig.a, rig.pair.b_at_a, claimed, false);
  }
  REQUIRE(WaitUntil([&] { return Stats(*rig.b).unauthenticated == before.unauthenticated + 3; }));
  CHECK(rig.b_log.Texts() == texts_before);

  // The same content naming A is taken: nothing of it was used up by the refusals.
  Seal(*rig.a, rig.pair.b_at_a, honest, false);
  REQUIRE(rig.b_log.WaitForText("from A"));
  CHECK(rig.b_log.Find([](const Event& e) { return e.text && *e.text == "from A"; })->contact ==
        rig.pair.a_at_b);
}

TEST_CASE("an announced envelope key with a bad signature or no higher key id is ignored",
          "[receiver][relay][tamper]") {
  Rig rig;
  auto c = rig.Make("c");
  const envelope::SignedEnvelopeKey current = OwnEnvelopeKey(*rig.a);
  REQUIRE(ContactOf(*rig.b, rig.pair.a_at_b).envelope_key().SerializeAsString() ==
          current.SerializeAsString());

  envelope::SignedEnvelopeKey other_id = NewEnvelopeKey(*rig.a, current.key_id() + 2);
  other_id.set_key_id(current.key_id() + 1);  // signed for another key id
  envelope::SignedEnvelopeKey other_key = NewEnvelopeKey(*rig.a, current.key_id() + 1);
  other_key.set_public_key(NewEnvelopeKey(*rig.a, current.key_id() + 1).public_key());
  const std::vector<std::pair<std::string, envelope::SignedEnvelopeKey>> ignored{
      {"signed for another key id", other_id},
      {"signed for another public key", other_key},
      {"signed by another identity", NewEnvelopeKey(*c, current.key_id() + 1)},
      {"no signature",
       [&] {
         auto key = NewEnvelopeKey(*rig.a, current.key_id() + 1);
         key.clear_signature();
         return key;
       }()},
      {"the same key id", NewEnvelopeKey(*rig.a, current.key_id())},
      {"a lower key id", NewEnvelopeKey(*rig.a, current.key_id() - 1)},
  };
  for (const auto& [what, key] : ignored) {
    INFO(what);
    envelope::SealedContent content = PairwiseContent(*rig.a, rig.pair.b_at_a, what);
    *content.mutable_sender_envelope_key() = key;
    Seal(*rig.a, rig.pair.b_at_a, content, false);
    // The message is taken; the key it announces is not.
    REQUIRE(rig.b_log.WaitForText(what));
    CHECK(ContactOf(*rig.b, rig.pair.a_at_b).envelope_key().SerializeAsString() ==
          current.SerializeAsString());
  }

  // A higher key id signed by A's identity is taken.
  const envelope::SignedEnvelopeKey next = NewEnvelopeKey(*rig.a, current.key_id() + 1);
  envelope::SealedContent content = PairwiseContent(*rig.a, rig.pair.b_at_a, "a newer key");
  *content.mutable_sender_envelope_key() = next;
  Seal(*rig.a, rig.pair.b_at_a, content, false);
  REQUIRE(rig.b_log.WaitForText("a newer key"));
  CHECK(ContactOf(*rig.b, rig.pair.a_at_b).envelope_key().SerializeAsString() ==
        next.SerializeAsString());
}

TEST_CASE("a group body of another type is refused and its addresses and envelope key ignored",
          "[receiver][relay][tamper]") {
  Rig rig;
  const GroupId group = Take(rig.a->CreateGroup("responders", {rig.pair.b_at_a}));
  Check(rig.b->JoinGroup(group, "responders", {rig.pair.a_at_b}));
  Take(rig.a->SendGroupText(group, "key works"));
  REQUIRE(rig.b_log.WaitForText("key works"));

  // Any type but SENDER_KEY_MESSAGE in a v2 body is refused at once.
  const envelope::SealedContent honest = GroupContent(*rig.a, group, "to the group");
  const core::ReceiverStats before = Stats(*rig.b);
  const std::vector<std::string> texts_before = rig.b_log.Texts();
  for (auto type : {envelope::SIGNAL_MESSAGE, envelope::PREKEY_SIGNAL_MESSAGE,
                    envelope::SENDER_KEY_DISTRIBUTION, static_cast<envelope::ContentType>(9)}) {
    envelope::SealedContent retyped = honest;
    retyped.set_type(type);
    Seal(*rig.a, rig.pair.b_at_a, retyped, true);
  }
  REQUIRE(WaitUntil([&] { return Stats(*rig.b).unauthenticated == before.unauthenticated + 4; }));
  CHECK(rig.b_log.Texts() == texts_before);

  // Reply addresses and an envelope key that B would take from A pairwise are ignored
  // in a group body; the message itself is taken.
  const client::ContactRecord held = ContactOf(*rig.b, rig.pair.a_at_b);
  envelope::MailboxAddress moved = held.addresses(0);
  moved.set_mailbox_id(std::string(16, '\x5a'));
  moved.set_token(std::string(16, '\x5b'));
  const envelope::SignedEnvelopeKey next = NewEnvelopeKey(*rig.a, held.envelope_key().key_id() + 1);
  envelope::SealedContent announcing = honest;
  *announcing.add_reply_addresses() = moved;
  *announcing.mutable_sender_envelope_key() = next;
  Seal(*rig.a, rig.pair.b_at_a, announcing, true);
  REQUIRE(rig.b_log.WaitForText("to the group"));
  const client::ContactRecord after = ContactOf(*rig.b, rig.pair.a_at_b);
  CHECK(after.envelope_key().SerializeAsString() == held.envelope_key().SerializeAsString());
  REQUIRE(after.addresses_size() == held.addresses_size());
  CHECK(after.addresses(0).SerializeAsString() == held.addresses(0).SerializeAsString());

  // The same fields in a pairwise message are taken.
  envelope::SealedContent pairwise = PairwiseContent(*rig.a, rig.pair.b_at_a, "pairwise");
  *pairwise.add_reply_addresses() = moved;
  *pairwise.mutable_sender_envelope_key() = next;
  Seal(*rig.a, rig.pair.b_at_a, pairwise, false);
  REQUIRE(rig.b_log.WaitForText("pairwise"));
  const client::ContactRecord taken = ContactOf(*rig.b, rig.pair.a_at_b);
  CHECK(taken.envelope_key().SerializeAsString() == next.SerializeAsString());
  REQUIRE(taken.addresses_size() == 1);
  CHECK(taken.addresses(0).SerializeAsString() == moved.SerializeAsString());
}

}  // namespace
}  // namespace tocsin::testing
