// The decryption callback and the store contract of signal_store.h: what a store sees in
// which order, and that a failure or a crash before the commit loses nothing.
#include "crypto/signal_store.h"

#include <signal/protocol.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/signal_memory_store.h"
#include "signal_test_util.h"

namespace {

using tocsin::Code;
using tocsin::Result;
using tocsin::Status;
using tocsin::crypto::Address;
using tocsin::crypto::Record;
using tocsin::crypto::SignalCiphertext;
using tocsin::testing::Bytes;
using tocsin::testing::Check;
using tocsin::testing::Receive;
using tocsin::testing::Send;
using tocsin::testing::Take;
using tocsin::testing::TestDevice;
using tocsin::testing::ToText;

using Log = std::vector<std::string>;

void Observe(TestDevice& device, Log& log) {
  device.store->set_write_observer([&log](std::string_view what) { log.emplace_back(what); });
}

std::optional<Record> SessionOf(TestDevice& device, const Address& peer) {
  return Take(device.store->LoadSession(peer));
}

TEST_CASE("the plaintext callback runs after SaveIdentity and before the state is stored",
          "[signal][store]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  alice.Meet(bob);
  const auto message = Send(alice, bob, "first contact");
  Log log;
  Observe(bob, log);
  auto plaintext = Receive(bob, alice, message, [&](std::span<const std::uint8_t> content) {
    log.push_back("plaintext:" + ToText(content));
    // Nothing of the new session is stored yet.
    CHECK_FALSE(SessionOf(bob, alice.address).has_value());
    return Status::Ok();
  });
  REQUIRE(plaintext.ok());
  CHECK(log == Log{"SaveIdentity", "plaintext:first contact", "StoreSession", "RemovePreKey"});
}

TEST_CASE("an established session stores its state only after the callback", "[signal][store]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  alice.Meet(bob);
  REQUIRE(Receive(bob, alice, Send(alice, bob, "hi")).ok());
  REQUIRE(Receive(alice, bob, Send(bob, alice, "hi")).ok());
  const auto message = Send(alice, bob, "established");
  const auto before = SessionOf(bob, alice.address);
  Log log;
  Observe(bob, log);
  auto plaintext = Receive(bob, alice, message, [&](std::span<const std::uint8_t> content) {
    log.push_back("plaintext:" + ToText(content));
    CHECK(SessionOf(bob, alice.address) == before);
    return Status::Ok();
  });
  REQUIRE(plaintext.ok());
  CHECK(log == Log{"plaintext:established", "StoreSession"});
  CHECK(SessionOf(bob, alice.address) != before);
}

TEST_CASE("a failing callback fails the decryption and stores no session", "[signal][store]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  alice.Meet(bob);
  const auto message = Send(alice, bob, "keep me");
  Log log;
  Observe(bob, log);
  auto failed = Receive(bob, alice, message,
                        [](std::span<const std::uint8_t>) { return Status::IoError("disk full"); });
  CHECK(failed.status() == Status::IoError("disk full"));
  // libsignal saved the identity before the callback; the failure undid it. No session,
  // and the one-time pre-key is still there.
  CHECK(log == Log{"SaveIdentity", "ClearIdentity"});
  CHECK(Take(bob.store->IsTrustedIdentity(alice.address, bob.identity())));
  CHECK_FALSE(SessionOf(bob, alice.address).has_value());
  CHECK(Take(bob.store->ContainsPreKey(bob.pre_keys()[0].id)));
  CHECK(ToText(Take(Receive(bob, alice, message))) == "keep me");
}

// `message` (a PreKeySignalMessage) with the last byte of its inner SignalMessage's MAC
// changed: it passes every check up to SaveIdentity and then fails to decrypt.
SignalCiphertext WithBadInnerMac(TestDevice& device, const SignalCiphertext& message) {
  using tocsin::crypto::SignalRef;
  SignalRef<pre_key_signal_message> outer;
  REQUIRE(pre_key_signal_message_deserialize(outer.out(), message.bytes.data(),
                                             message.bytes.size(), device.context->get()) == 0);
  const signal_buffer* inner =
      ciphertext_message_get_serialized(reinterpret_cast<ciphertext_message*>(
          pre_key_signal_message_get_signal_message(outer.get())));
  const std::uint8_t* inner_begin = signal_buffer_const_data(inner);
  const auto at = std::search(message.bytes.begin(), message.bytes.end(), inner_begin,
                              inner_begin + signal_buffer_len(inner));
  REQUIRE(at != message.bytes.end());
  SignalCiphertext tampered = message;
  tampered
      .bytes[static_cast<std::size_t>(at - message.bytes.begin()) + signal_buffer_len(inner) - 1] ^=
      0x01;
  return tampered;
}

TEST_CASE("a first pre-key message that fails to decrypt leaves no identity behind",
          "[signal][store]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  alice.Meet(bob);
  const auto forged = WithBadInnerMac(bob, Send(alice, bob, "forged"));
  Log log;
  Observe(bob, log);
  CHECK(Receive(bob, alice, forged).status().code() == tocsin::Code::kCryptoFailure);
  CHECK(log == Log{"SaveIdentity", "ClearIdentity"});
  // Nothing is stored for Alice: any key would be trusted as a first contact.
  CHECK(Take(bob.store->IsTrustedIdentity(alice.address, bob.identity())));
}

TEST_CASE("a forged pre-key message does not make the receiver forget a trusted identity",
          "[signal][store]") {
  TestDevice alice("alice", 1), bob("bob", 2, /*pre_keys=*/2);
  alice.Meet(bob);
  REQUIRE(Receive(bob, alice, Send(alice, bob, "genuine")).ok());
  alice.Meet(bob);  // a fresh session from Bob's next bundle
  const auto forged = WithBadInnerMac(bob, Send(alice, bob, "forged"));
  Log log;
  Observe(bob, log);
  CHECK(Receive(bob, alice, forged).status().code() == tocsin::Code::kCryptoFailure);
  CHECK(log == Log{"SaveIdentity"});  // unchanged identity: nothing to undo
  CHECK_FALSE(Take(bob.store->IsTrustedIdentity(alice.address, bob.identity())));
  CHECK(Take(bob.store->IsTrustedIdentity(alice.address, alice.identity())));
}

TEST_CASE("a failing callback on an established session leaves the stored state unchanged",
          "[signal][store]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  alice.Meet(bob);
  REQUIRE(Receive(bob, alice, Send(alice, bob, "hi")).ok());
  const auto message = Send(alice, bob, "again");
  const auto before = SessionOf(bob, alice.address);
  auto failed = Receive(bob, alice, message, [](std::span<const std::uint8_t>) -> Status {
    throw std::runtime_error("bug in the callback");
  });
  CHECK(failed.status().code() == Code::kInternal);
  CHECK(SessionOf(bob, alice.address) == before);
  CHECK(ToText(Take(Receive(bob, alice, message))) == "again");
}

TEST_CASE("a crash before the batch commits leaves the state as before the message",
          "[signal][store]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  alice.Meet(bob);
  const auto message = Send(alice, bob, "durable");
  std::optional<std::string> staged_plaintext;
  auto stage = [&](std::span<const std::uint8_t> content) {
    staged_plaintext = ToText(content);
    return Status::Ok();
  };

  bob.store->BeginBatch();
  REQUIRE(Receive(bob, alice, message, stage).ok());
  bob.store->DiscardBatch();  // the process dies before the commit
  CHECK_FALSE(SessionOf(bob, alice.address).has_value());
  CHECK(Take(bob.store->ContainsPreKey(bob.pre_keys()[0].id)));
  // The identity saved early in the decryption went with the batch.
  CHECK(Take(bob.store->SaveIdentity(alice.address, alice.identity())));
  Check(bob.store->ClearIdentity(alice.address));

  // After the restart, the relay delivers the same ciphertext again.
  staged_plaintext.reset();
  bob.store->BeginBatch();
  REQUIRE(Receive(bob, alice, message, stage).ok());
  bob.store->CommitBatch();
  CHECK(staged_plaintext == "durable");
  CHECK(SessionOf(bob, alice.address).has_value());
  CHECK_FALSE(Take(bob.store->ContainsPreKey(bob.pre_keys()[0].id)));
}

// Encrypts `content` as it is, without our padding, with libsignal directly.
SignalCiphertext EncryptUnpadded(TestDevice& from, const TestDevice& to, const Bytes& content) {
  using tocsin::crypto::SignalOwned;
  using tocsin::crypto::SignalRef;
  const signal_protocol_address address =
      tocsin::crypto::signal_internal::ToSignalAddress(to.address);
  session_cipher* raw = nullptr;
  REQUIRE(session_cipher_create(&raw, from.signal->get(), &address, from.signal->global()) == 0);
  SignalOwned<session_cipher> cipher(raw);
  SignalRef<ciphertext_message> message;
  REQUIRE(session_cipher_encrypt(cipher.get(), content.data(), content.size(), message.out()) == 0);
  const signal_buffer* bytes = ciphertext_message_get_serialized(message.get());
  return {tocsin::crypto::MessageType::kSignal,
          Bytes(signal_buffer_const_data(bytes),
                signal_buffer_const_data(bytes) + signal_buffer_len(bytes))};
}

TEST_CASE("an authentic message with bad padding is rejected before any state is stored",
          "[signal][store]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  alice.Meet(bob);
  REQUIRE(Receive(bob, alice, Send(alice, bob, "hi")).ok());
  REQUIRE(Receive(alice, bob, Send(bob, alice, "hi")).ok());
  const auto unpadded = EncryptUnpadded(alice, bob, Bytes{'n', 'o', ' ', 'p', 'a', 'd'});
  const auto before = SessionOf(bob, alice.address);
  bool called = false;
  auto result = Receive(bob, alice, unpadded, [&](std::span<const std::uint8_t>) {
    called = true;
    return Status::Ok();
  });
  CHECK(result.status().code() == Code::kCryptoFailure);
  CHECK_FALSE(called);
  CHECK(SessionOf(bob, alice.address) == before);
  CHECK(ToText(Take(Receive(bob, alice, Send(alice, bob, "padded")))) == "padded");
}

// A session store that fails its writes on demand, over an in-memory store.
class FailingSessionStore final : public tocsin::crypto::SessionStore {
 public:
  explicit FailingSessionStore(SessionStore& inner) : inner_(inner) {}
  bool fail_writes = false;

  Result<std::optional<Record>> LoadSession(const Address& a) override {
    return inner_.LoadSession(a);
  }
  Status StoreSession(const Address& a, std::span<const std::uint8_t> r) override {
    if (fail_writes) return Status::IoError("session write failed");
    return inner_.StoreSession(a, r);
  }
  Result<bool> ContainsSession(const Address& a) override { return inner_.ContainsSession(a); }
  Result<std::vector<std::int32_t>> GetSubDeviceSessions(std::string_view n) override {
    return inner_.GetSubDeviceSessions(n);
  }
  Result<bool> DeleteSession(const Address& a) override { return inner_.DeleteSession(a); }
  Result<int> DeleteAllSessions(std::string_view n) override { return inner_.DeleteAllSessions(n); }

 private:
  SessionStore& inner_;
};

TEST_CASE("a store failure is returned unchanged and the message decrypts later",
          "[signal][store]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  FailingSessionStore failing(*bob.store);
  auto stores = bob.store->stores();
  stores.sessions = &failing;
  auto bob_signal = Take(tocsin::crypto::SignalStoreContext::Create(bob.context, stores));
  alice.Meet(bob);
  const auto message = Send(alice, bob, "after the disk is fixed");
  auto cipher = Take(tocsin::crypto::PairwiseCipher::Create(*bob_signal, alice.address));

  failing.fail_writes = true;
  auto failed = cipher.Decrypt(message.type, message.bytes);
  CHECK(failed.status().code() == Code::kIoError);
  CHECK(failed.status().message().find("session write failed") != std::string::npos);

  failing.fail_writes = false;
  CHECK(ToText(Take(cipher.Decrypt(message.type, message.bytes))) == "after the disk is fixed");
}

TEST_CASE("the in-memory store applies a batch only when committed", "[signal][store]") {
  TestDevice device("device", 5);
  const Address peer{"peer", 1};
  const Bytes first{1, 2, 3}, second{4, 5};
  Check(device.store->StoreSession(peer, first));
  device.store->BeginBatch();
  Check(device.store->StoreSession(peer, second));
  CHECK(SessionOf(device, peer) == second);  // reads see staged writes
  device.store->DiscardBatch();
  CHECK(SessionOf(device, peer) == first);
  device.store->BeginBatch();
  CHECK(Take(device.store->DeleteSession(peer)));
  CHECK_FALSE(Take(device.store->ContainsSession(peer)));
  device.store->CommitBatch();
  CHECK_FALSE(SessionOf(device, peer).has_value());
}

TEST_CASE("the in-memory store lists sub-device sessions and deletes by name", "[signal][store]") {
  TestDevice device("device", 5);
  const Bytes record{9};
  for (int id : {1, 2, 3}) Check(device.store->StoreSession({"peer", id}, record));
  Check(device.store->StoreSession({"other", 2}, record));
  CHECK(Take(device.store->GetSubDeviceSessions("peer")) == std::vector<std::int32_t>{2, 3});
  CHECK(Take(device.store->DeleteAllSessions("peer")) == 3);
  CHECK(Take(device.store->ContainsSession({"other", 2})));
}

}  // namespace
