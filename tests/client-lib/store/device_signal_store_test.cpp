// libsignal's stores on the encrypted device store, over the real libsignal: sessions
// and sender keys that survive restarts, and one transaction holding the new state, the
// plaintext and the seen id (signal_store.h "One write batch").
#include "store/device_signal_store.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "../crypto/signal_test_util.h"
#include "crypto/signal_group.h"
#include "crypto/signal_session.h"
#include "store_test_util.h"

namespace {

using namespace tocsin::store;
using tocsin::Code;
using tocsin::Result;
using tocsin::Status;
using tocsin::crypto::Address;
using tocsin::crypto::GroupCipher;
using tocsin::crypto::PairwiseCipher;
using tocsin::crypto::SenderKeyName;
using tocsin::crypto::SignalCiphertext;
using tocsin::store::testing::CreateStore;
using tocsin::store::testing::FilesContain;
using tocsin::store::testing::OpenStore;
using tocsin::store::testing::TempDir;
using tocsin::testing::Bytes;
using tocsin::testing::Check;
using tocsin::testing::Take;
using tocsin::testing::TestDevice;
using tocsin::testing::ToBytes;
using tocsin::testing::ToText;

constexpr Day kToday = 19800;
const std::string kGroup = "tier:responders:north-zone";

// A device whose Signal state lives in a DeviceStore, which it can close and reopen.
class StoreDevice {
 public:
  StoreDevice(std::string name, std::uint8_t seed) : rng(seed), address{std::move(name), 1} {
    context = Take(tocsin::crypto::SignalContext::Create(rng));
    store = CreateStore(dir.store());
    REQUIRE(store);
    auto identity = Take(tocsin::crypto::GenerateIdentityKeyPair(*context));
    private_key.assign(identity.private_key().begin(), identity.private_key().end());
    Check(DeviceSignalStore::InitIdentity(*store, identity,
                                          Take(tocsin::crypto::GenerateRegistrationId(*context))));
    OpenSignal();
    Publish();
  }

  // As after a restart: everything in memory is dropped and read back from the files.
  void Restart() {
    signal.reset();
    signal_store.reset();
    store.reset();
    store = OpenStore(dir.store());
    REQUIRE(store);
    OpenSignal();
  }

  tocsin::crypto::PreKeyBundle Bundle() {
    tocsin::crypto::PreKeyBundle bundle;
    bundle.registration_id = signal_store->GetLocalRegistrationId();
    bundle.identity_key = signal_store->GetIdentityKeyPair().public_key();
    bundle.signed_pre_key_id = signed_pre_key.id;
    bundle.signed_pre_key = signed_pre_key.public_key;
    bundle.signed_pre_key_signature = signed_pre_key.signature;
    bundle.one_time = tocsin::crypto::PreKeyBundle::OneTime{pre_keys[0].id, pre_keys[0].public_key};
    return bundle;
  }

  Result<Bytes> Decrypt(const Address& from, const SignalCiphertext& message,
                        const tocsin::crypto::PlaintextCallback& on_plaintext = {}) {
    auto cipher = Take(PairwiseCipher::Create(*signal, from));
    return cipher.Decrypt(message.type, message.bytes, on_plaintext);
  }

  TempDir dir;
  tocsin::crypto::DeterministicRng rng;
  Address address;
  Bytes private_key;
  tocsin::crypto::SignedPreKey signed_pre_key;
  std::vector<tocsin::crypto::PreKey> pre_keys;
  std::shared_ptr<tocsin::crypto::SignalContext> context;
  std::unique_ptr<DeviceStore> store;
  std::unique_ptr<DeviceSignalStore> signal_store;
  std::unique_ptr<tocsin::crypto::SignalStoreContext> signal;  // destroyed first

 private:
  void OpenSignal() {
    signal_store = Take(DeviceSignalStore::Open(*store));
    signal = Take(tocsin::crypto::SignalStoreContext::Create(context, signal_store->stores()));
  }
  void Publish() {
    signed_pre_key = Take(tocsin::crypto::GenerateSignedPreKey(
        *context, signal_store->GetIdentityKeyPair(), 7, 1'700'000'000'000));
    Check(signal_store->StoreSignedPreKey(signed_pre_key.id, signed_pre_key.record));
    const auto range = Take(tocsin::crypto::PreKeyIdRangeForSlot(0));
    pre_keys = Take(tocsin::crypto::GeneratePreKeys(*context, range, range.first, 3));
    for (const auto& key : pre_keys) Check(signal_store->StorePreKey(key.id, key.record));
  }
};

SignalCiphertext SendTo(TestDevice& from, const Address& to, const std::string& text) {
  auto cipher = Take(PairwiseCipher::Create(*from.signal, to));
  return Take(cipher.Encrypt(ToBytes(text)));
}

// Bob (device store) receives `message` from Alice in one transaction that also stages
// the plaintext as an alert and the message id as seen; commits only when asked.
Result<Bytes> ReceiveInBatch(StoreDevice& bob, const Address& from, const SignalCiphertext& message,
                             const std::string& message_id, bool commit) {
  Transaction txn = bob.store->Begin();
  Result<Bytes> plaintext = Status::Internal("not run");
  {
    ScopedSignalBatch batch(*bob.signal_store, txn);
    plaintext = bob.Decrypt(from, message, [&](std::span<const std::uint8_t> content) {
      TOCSIN_RETURN_IF_ERROR(txn.AppendAlert(kToday, content).status());
      return txn.Put(Column::kSeenIds, AsByteView(from.name + "|" + message_id), {});
    });
  }
  if (plaintext.ok() && commit) Check(txn.Commit());
  return plaintext;
}

std::vector<std::string> Alerts(DeviceStore& store) {
  std::vector<std::string> texts;
  for (auto c = store.NewAlertCursor(kToday); c->Valid(); c->Next()) {
    texts.emplace_back(AsStringView(c->value()));
  }
  return texts;
}

bool Seen(DeviceStore& store, const std::string& id) {
  auto row = store.Get(Column::kSeenIds, AsByteView(id));
  REQUIRE(row.ok());
  return row->has_value();
}

}  // namespace

TEST_CASE("the Signal identity is kept in the device store", "[store][signal]") {
  StoreDevice bob("bob", 2);
  const auto public_key = bob.signal_store->GetIdentityKeyPair().public_key();
  const auto registration_id = bob.signal_store->GetLocalRegistrationId();
  bob.Restart();
  CHECK(bob.signal_store->GetIdentityKeyPair().public_key() == public_key);
  CHECK(bob.signal_store->GetLocalRegistrationId() == registration_id);
  CHECK(DeviceSignalStore::InitIdentity(*bob.store, bob.signal_store->GetIdentityKeyPair(), 1)
            .code() == Code::kInvalidArgument);

  TempDir empty;
  auto store = CreateStore(empty.store());
  REQUIRE(store);
  CHECK(DeviceSignalStore::Open(*store).status().code() == Code::kNotFound);
}

TEST_CASE("a session on the device store carries messages both ways across restarts",
          "[store][signal]") {
  TestDevice alice("alice", 1);
  StoreDevice bob("bob", 2);
  Check(tocsin::crypto::ProcessPreKeyBundle(*alice.signal, bob.address, bob.Bundle()));
  CHECK(ToText(Take(bob.Decrypt(alice.address, SendTo(alice, bob.address, "first")))) == "first");
  bob.Restart();
  CHECK_FALSE(Take(bob.signal_store->ContainsPreKey(bob.pre_keys[0].id)));
  CHECK(Take(bob.signal_store->ContainsPreKey(bob.pre_keys[1].id)));

  auto bob_cipher = Take(PairwiseCipher::Create(*bob.signal, alice.address));
  const auto reply = Take(bob_cipher.Encrypt(ToBytes("reply")));
  CHECK(reply.type == tocsin::crypto::MessageType::kSignal);
  auto alice_cipher = Take(PairwiseCipher::Create(*alice.signal, bob.address));
  CHECK(ToText(Take(alice_cipher.Decrypt(reply.type, reply.bytes))) == "reply");
  bob.Restart();
  CHECK(ToText(Take(bob.Decrypt(alice.address, SendTo(alice, bob.address, "third")))) == "third");
}

TEST_CASE("the new session, the plaintext and the seen id commit in one transaction",
          "[store][signal]") {
  TestDevice alice("alice", 1);
  StoreDevice bob("bob", 2);
  Check(tocsin::crypto::ProcessPreKeyBundle(*alice.signal, bob.address, bob.Bundle()));
  const auto message = SendTo(alice, bob.address, "agents at the north gate");

  // Decrypted, staged, and the process dies before the commit.
  REQUIRE(ReceiveInBatch(bob, alice.address, message, "m1", /*commit=*/false).ok());
  bob.Restart();
  CHECK_FALSE(Take(bob.signal_store->ContainsSession(alice.address)));
  CHECK(Take(bob.signal_store->ContainsPreKey(bob.pre_keys[0].id)));
  CHECK(Alerts(*bob.store).empty());
  CHECK_FALSE(Seen(*bob.store, "alice|m1"));
  // No identity was left trusted by the lost batch: any key is still first contact.
  CHECK(Take(bob.signal_store->IsTrustedIdentity(
      alice.address, bob.signal_store->GetIdentityKeyPair().public_key())));

  // The relay delivers the same ciphertext again; this time the commit lands.
  REQUIRE(ReceiveInBatch(bob, alice.address, message, "m1", /*commit=*/true).ok());
  bob.Restart();
  CHECK(Take(bob.signal_store->ContainsSession(alice.address)));
  CHECK_FALSE(Take(bob.signal_store->ContainsPreKey(bob.pre_keys[0].id)));
  CHECK(Alerts(*bob.store) == std::vector<std::string>{"agents at the north gate"});
  CHECK(Seen(*bob.store, "alice|m1"));
  // A third copy (the other relay's) is libsignal's duplicate: dropped, nothing staged.
  CHECK(ReceiveInBatch(bob, alice.address, message, "m1", true).status().code() ==
        Code::kDuplicate);
  CHECK(Alerts(*bob.store).size() == 1);
}

TEST_CASE("a sent message's session state and outbox entry commit together", "[store][signal]") {
  TestDevice alice("alice", 1);
  StoreDevice bob("bob", 2);
  Check(tocsin::crypto::ProcessPreKeyBundle(*alice.signal, bob.address, bob.Bundle()));
  REQUIRE(bob.Decrypt(alice.address, SendTo(alice, bob.address, "hello")).ok());

  Bytes sent;
  std::uint64_t seq = 0;
  {
    Transaction txn = bob.store->Begin();
    ScopedSignalBatch batch(*bob.signal_store, txn);
    auto cipher = Take(PairwiseCipher::Create(*bob.signal, alice.address));
    const auto ciphertext = Take(cipher.Encrypt(ToBytes("on my way")));
    sent = ciphertext.bytes;
    seq = Take(txn.Append(Column::kOutbox, ciphertext.bytes));
    Check(txn.Commit());
  }
  bob.Restart();
  // The retry after the restart sends exactly the bytes that were sealed once.
  auto outbox = bob.store->Get(Column::kOutbox, SequenceName(seq));
  REQUIRE(outbox.ok());
  REQUIRE(outbox->has_value());
  CHECK(Bytes((*outbox)->begin(), (*outbox)->end()) == sent);
  auto alice_cipher = Take(PairwiseCipher::Create(*alice.signal, bob.address));
  CHECK(ToText(Take(alice_cipher.Decrypt(tocsin::crypto::MessageType::kSignal, sent))) ==
        "on my way");
  // And the ratchet moved on: the next message is a new one, not a repeat.
  auto next =
      Take(Take(PairwiseCipher::Create(*bob.signal, alice.address)).Encrypt(ToBytes("arrived")));
  CHECK(ToText(Take(alice_cipher.Decrypt(next.type, next.bytes))) == "arrived");
}

TEST_CASE("sender keys on the device store survive restarts and commit with the plaintext",
          "[store][signal][group]") {
  TestDevice alice("alice", 1);
  StoreDevice bob("bob", 2);
  const SenderKeyName alice_chain{kGroup, alice.address};
  const Bytes distribution =
      Take(tocsin::crypto::CreateSenderKeyDistribution(*alice.signal, alice_chain));
  Check(tocsin::crypto::ProcessSenderKeyDistribution(*bob.signal, alice_chain, distribution));
  bob.Restart();

  auto alice_cipher = Take(GroupCipher::Create(*alice.signal, alice_chain));
  const auto first = Take(alice_cipher.Encrypt(ToBytes("dispatch: north gate")));
  auto receive = [&](const SignalCiphertext& message, bool commit) {
    Transaction txn = bob.store->Begin();
    Result<Bytes> plaintext = Status::Internal("not run");
    {
      ScopedSignalBatch batch(*bob.signal_store, txn);
      auto cipher = Take(GroupCipher::Create(*bob.signal, alice_chain));
      plaintext = cipher.Decrypt(message.bytes, [&](std::span<const std::uint8_t> content) {
        return txn.AppendAlert(kToday, content).status();
      });
    }
    if (plaintext.ok() && commit) Check(txn.Commit());
    return plaintext;
  };
  REQUIRE(receive(first, /*commit=*/false).ok());
  bob.Restart();
  CHECK(Alerts(*bob.store).empty());
  REQUIRE(receive(first, /*commit=*/true).ok());
  CHECK(receive(first, true).status().code() == Code::kDuplicate);
  bob.Restart();
  const auto second = Take(alice_cipher.Encrypt(ToBytes("all clear")));
  REQUIRE(receive(second, true).ok());
  CHECK(Alerts(*bob.store) == std::vector<std::string>{"dispatch: north gate", "all clear"});
}

TEST_CASE("the device Signal store lists and deletes sessions by name, batch included",
          "[store][signal]") {
  StoreDevice device("device", 5);
  const Bytes record{9, 9, 9};
  for (int id : {1, 2, 3}) Check(device.signal_store->StoreSession({"peer", id}, record));
  Check(device.signal_store->StoreSession({"other", 2}, record));
  CHECK(Take(device.signal_store->GetSubDeviceSessions("peer")) == std::vector<std::int32_t>{2, 3});

  Transaction txn = device.store->Begin();
  {
    ScopedSignalBatch batch(*device.signal_store, txn);
    Check(device.signal_store->StoreSession({"peer", 4}, record));
    CHECK(Take(device.signal_store->GetSubDeviceSessions("peer")) ==
          std::vector<std::int32_t>{2, 3, 4});
    CHECK(Take(device.signal_store->DeleteAllSessions("peer")) == 4);
    CHECK_FALSE(Take(device.signal_store->ContainsSession({"peer", 1})));
  }
  // Not committed: the committed state still has the three sessions.
  CHECK(Take(device.signal_store->ContainsSession({"peer", 1})));
  CHECK_FALSE(Take(device.signal_store->ContainsSession({"peer", 4})));
  CHECK(Take(device.signal_store->DeleteSession({"other", 2})));
  CHECK_FALSE(Take(device.signal_store->DeleteSession({"other", 2})));
}

TEST_CASE("the device store's files hold no Signal key or session in the clear",
          "[store][signal][secrecy]") {
  TestDevice alice("alice-contact-7d2f", 1);
  StoreDevice bob("bob", 2);
  Check(tocsin::crypto::ProcessPreKeyBundle(*alice.signal, bob.address, bob.Bundle()));
  REQUIRE(bob.Decrypt(alice.address, SendTo(alice, bob.address, "hello")).ok());
  const auto session = Take(bob.signal_store->LoadSession(alice.address));
  REQUIRE(session.has_value());
  const Bytes private_key = bob.private_key;
  const std::filesystem::path dir = bob.dir.store();
  bob.Restart();  // flushes the tables
  auto contains = [&](const Bytes& bytes) {
    return FilesContain(
        dir, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  };
  CHECK_FALSE(contains(private_key));
  CHECK_FALSE(contains(Bytes(session->begin(), session->begin() + 32)));
  CHECK_FALSE(contains(Bytes(session->end() - 32, session->end())));
  CHECK_FALSE(FilesContain(dir, "alice-contact-7d2f"));
  CHECK_FALSE(FilesContain(dir, "hello"));
}
