// Pairwise sessions over real libsignal: set-up from a pre-key bundle, both directions,
// out-of-order delivery, replays, ratchet turns and the failures a receiver must tell
// apart.
#include "crypto/signal_session.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "signal_test_util.h"
#include "tocsin/envelope.pb.h"

namespace {

using tocsin::Code;
using tocsin::crypto::MessageType;
using tocsin::crypto::SignalCiphertext;
using tocsin::testing::Check;
using tocsin::testing::Numbered;
using tocsin::testing::Receive;
using tocsin::testing::Send;
using tocsin::testing::Take;
using tocsin::testing::TestDevice;
using tocsin::testing::ToBytes;
using tocsin::testing::ToText;

std::string Open(TestDevice& to, const TestDevice& from, const SignalCiphertext& message) {
  return ToText(Take(Receive(to, from, message)));
}

// Alice starts from Bob's bundle; Bob answers once, so the session is established.
struct Pair {
  Pair() {
    alice.Meet(bob);
    REQUIRE(Open(bob, alice, Send(alice, bob, "hello bob")) == "hello bob");
    REQUIRE(Open(alice, bob, Send(bob, alice, "hello alice")) == "hello alice");
  }
  TestDevice alice{"alice", 1};
  TestDevice bob{"bob", 2};
};

TEST_CASE("message types match envelope.proto ContentType", "[signal][session]") {
  using tocsin::envelope::ContentType;
  CHECK(static_cast<int>(MessageType::kSignal) == ContentType::SIGNAL_MESSAGE);
  CHECK(static_cast<int>(MessageType::kPreKeySignal) == ContentType::PREKEY_SIGNAL_MESSAGE);
  CHECK(static_cast<int>(MessageType::kSenderKey) == ContentType::SENDER_KEY_MESSAGE);
  CHECK(static_cast<int>(MessageType::kSenderKeyDistribution) ==
        ContentType::SENDER_KEY_DISTRIBUTION);
}

TEST_CASE("a session from a pre-key bundle carries messages both ways", "[signal][session]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  alice.Meet(bob);
  const auto first = Send(alice, bob, "first");
  const auto second = Send(alice, bob, "second");
  // Until Bob answers, every message carries the pre-key material.
  CHECK(first.type == MessageType::kPreKeySignal);
  CHECK(second.type == MessageType::kPreKeySignal);
  CHECK(Open(bob, alice, first) == "first");
  CHECK(Open(bob, alice, second) == "second");
  // Bob used (and deleted) the one-time pre-key; he now trusts Alice's identity.
  CHECK_FALSE(Take(bob.store->ContainsPreKey(bob.pre_keys()[0].id)));
  CHECK(Take(bob.store->ContainsPreKey(bob.pre_keys()[1].id)));
  CHECK_FALSE(Take(bob.store->IsTrustedIdentity(alice.address, bob.identity())));

  const auto reply = Send(bob, alice, "reply");
  CHECK(reply.type == MessageType::kSignal);
  CHECK(Open(alice, bob, reply) == "reply");
  const auto third = Send(alice, bob, "third");
  CHECK(third.type == MessageType::kSignal);
  CHECK(Open(bob, alice, third) == "third");
}

TEST_CASE("a bundle without a one-time pre-key still starts a session", "[signal][session]") {
  TestDevice alice("alice", 1), bob("bob", 2, /*pre_keys=*/0);
  Check(ProcessPreKeyBundle(*alice.signal, bob.address, bob.Bundle(/*with_one_time=*/false)));
  CHECK(Open(bob, alice, Send(alice, bob, "no one-time key")) == "no one-time key");
  CHECK(Open(alice, bob, Send(bob, alice, "fine")) == "fine");
}

TEST_CASE("messages decrypt in any order within and across ratchet steps", "[signal][session]") {
  Pair p;
  std::vector<SignalCiphertext> sent;
  for (int i = 0; i < 5; ++i) sent.push_back(Send(p.alice, p.bob, Numbered("m", {i})));
  for (int i : {4, 1, 3, 0, 2})
    CHECK(Open(p.bob, p.alice, sent[static_cast<std::size_t>(i)]) == Numbered("m", {i}));

  // a1 is held back while Bob answers and Alice moves to a new chain (a2).
  const auto a1 = Send(p.alice, p.bob, "a1");
  CHECK(Open(p.alice, p.bob, Send(p.bob, p.alice, "b1")) == "b1");
  const auto a2 = Send(p.alice, p.bob, "a2");
  CHECK(Open(p.bob, p.alice, a2) == "a2");
  CHECK(Open(p.bob, p.alice, a1) == "a1");
}

TEST_CASE("a replayed message is rejected as a duplicate", "[signal][session]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  alice.Meet(bob);
  const auto pre_key_message = Send(alice, bob, "once");
  CHECK(Open(bob, alice, pre_key_message) == "once");
  CHECK(Receive(bob, alice, pre_key_message).status().code() == Code::kDuplicate);

  const auto reply = Send(bob, alice, "reply");
  CHECK(Open(alice, bob, reply) == "reply");
  CHECK(Receive(alice, bob, reply).status().code() == Code::kDuplicate);
  const auto later = Send(alice, bob, "later");
  CHECK(Open(bob, alice, later) == "later");
  CHECK(Receive(bob, alice, later).status().code() == Code::kDuplicate);
  // The replays changed nothing: the session goes on.
  CHECK(Open(alice, bob, Send(bob, alice, "still here")) == "still here");
}

TEST_CASE("sessions survive many ratchet turns", "[signal][session]") {
  Pair p;
  for (int turn = 0; turn < 20; ++turn) {
    TestDevice& from = turn % 2 == 0 ? p.alice : p.bob;
    TestDevice& to = turn % 2 == 0 ? p.bob : p.alice;
    std::vector<SignalCiphertext> burst;
    for (int i = 0; i <= turn % 3; ++i) {
      burst.push_back(Send(from, to, Numbered("turn ", {turn, i})));
    }
    for (int i = 0; i <= turn % 3; ++i) {
      CHECK(Open(to, from, burst[static_cast<std::size_t>(i)]) == Numbered("turn ", {turn, i}));
    }
  }
}

TEST_CASE("a tampered message fails and leaves the session usable", "[signal][session]") {
  Pair p;
  const auto message = Send(p.alice, p.bob, "intact");
  for (std::size_t i = 0; i < message.bytes.size(); i += 7) {
    auto tampered = message;
    tampered.bytes[i] ^= 0x01;
    CHECK(Receive(p.bob, p.alice, tampered).status().code() == Code::kCryptoFailure);
  }
  CHECK(Open(p.bob, p.alice, message) == "intact");
}

TEST_CASE("decrypting needs the right type and an existing session", "[signal][session]") {
  Pair p;
  const auto message = Send(p.alice, p.bob, "typed");
  auto bob_cipher = p.bob.CipherFor(p.alice);
  CHECK(bob_cipher.Decrypt(MessageType::kSenderKey, message.bytes).status().code() ==
        Code::kInvalidArgument);
  CHECK(bob_cipher.Decrypt(MessageType::kPreKeySignal, message.bytes).status().code() ==
        Code::kCryptoFailure);

  TestDevice carol("carol", 3);
  auto carol_cipher = carol.CipherFor(p.alice);
  CHECK(carol_cipher.Decrypt(message.type, message.bytes).status().code() == Code::kCryptoFailure);
  CHECK(carol_cipher.Encrypt(ToBytes("hi")).status().code() == Code::kNotFound);
}

TEST_CASE("a bundle whose signed pre-key signature is wrong is refused", "[signal][session]") {
  TestDevice alice("alice", 1), bob("bob", 2);
  auto bundle = bob.Bundle();
  bundle.signed_pre_key_signature[10] ^= 0x40;
  CHECK(ProcessPreKeyBundle(*alice.signal, bob.address, bundle).code() == Code::kCryptoFailure);
  CHECK_FALSE(Take(alice.store->ContainsSession(bob.address)));
}

TEST_CASE("a changed identity key is detected", "[signal][session][identity]") {
  Pair p;
  // Bob reinstalls: same address, new identity and pre-keys.
  TestDevice new_bob("bob", 22);
  CHECK(ProcessPreKeyBundle(*p.alice.signal, new_bob.address, new_bob.Bundle()).code() ==
        Code::kUntrustedIdentity);
  new_bob.Meet(p.alice);
  const auto from_new_bob = Send(new_bob, p.alice, "it is me, new phone");
  CHECK(Receive(p.alice, new_bob, from_new_bob).status().code() == Code::kUntrustedIdentity);
  // Alice still trusts only the old key, and her session with the old Bob still works.
  CHECK(Take(p.alice.store->IsTrustedIdentity(p.bob.address, p.bob.identity())));
  CHECK(Open(p.bob, p.alice, Send(p.alice, p.bob, "old session")) == "old session");

  // Once Alice has verified the new key, the new Bob's message is accepted.
  CHECK(Take(p.alice.store->SaveIdentity(new_bob.address, new_bob.identity())));
  CHECK(Open(p.alice, new_bob, from_new_bob) == "it is me, new phone");
}

}  // namespace

namespace {

// Messages from `a` and `b` in turns (two of a's, one of b's) that arrive intact. Uses no
// Catch2 macro: they are not thread-safe.
int Converse(TestDevice& a, TestDevice& b, int messages) {
  auto a_cipher = tocsin::crypto::PairwiseCipher::Create(*a.signal, b.address);
  auto b_cipher = tocsin::crypto::PairwiseCipher::Create(*b.signal, a.address);
  if (!a_cipher.ok() || !b_cipher.ok()) return 0;
  int delivered = 0;
  for (int i = 0; i < messages; ++i) {
    auto& from = i % 3 == 2 ? *b_cipher : *a_cipher;
    auto& to = i % 3 == 2 ? *a_cipher : *b_cipher;
    const std::string text = Numbered("msg ", {i});
    auto message = from.Encrypt(ToBytes(text));
    if (!message.ok()) continue;
    auto plaintext = to.Decrypt(message->type, message->bytes);
    if (plaintext.ok() && ToText(*plaintext) == text) ++delivered;
  }
  return delivered;
}

TEST_CASE("devices sharing one context work from two threads at once", "[signal][session]") {
  // The default Rng (libsodium) is thread-safe; the context's lock serialises libsignal.
  auto context = Take(tocsin::crypto::SignalContext::Create());
  TestDevice alice("alice", context), bob("bob", context);
  TestDevice carol("carol", context), dave("dave", context);
  alice.Meet(bob);
  carol.Meet(dave);
  int second = 0;
  std::thread other([&] { second = Converse(carol, dave, 60); });
  const int first = Converse(alice, bob, 60);
  other.join();
  CHECK(first == 60);
  CHECK(second == 60);
}

}  // namespace
