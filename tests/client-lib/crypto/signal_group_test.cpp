// Group messages with sender keys over real libsignal, across three members.
#include "crypto/signal_group.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "signal_test_util.h"

namespace {

using tocsin::Code;
using tocsin::Status;
using tocsin::crypto::CreateSenderKeyDistribution;
using tocsin::crypto::GroupCipher;
using tocsin::crypto::MessageType;
using tocsin::crypto::ProcessSenderKeyDistribution;
using tocsin::crypto::SenderKeyName;
using tocsin::crypto::SignalCiphertext;
using tocsin::testing::Bytes;
using tocsin::testing::Check;
using tocsin::testing::Numbered;
using tocsin::testing::Take;
using tocsin::testing::TestDevice;
using tocsin::testing::ToBytes;
using tocsin::testing::ToText;

const std::string kGroup = std::string("\x01\x00\xfftier-responders", 18);  // raw bytes

SenderKeyName NameOf(const TestDevice& member) { return {kGroup, member.address}; }

SignalCiphertext GroupSend(TestDevice& from, const std::string& text) {
  auto cipher = Take(GroupCipher::Create(*from.signal, NameOf(from)));
  return Take(cipher.Encrypt(ToBytes(text)));
}

tocsin::Result<Bytes> GroupReceive(TestDevice& to, const TestDevice& from,
                                   const SignalCiphertext& message) {
  auto cipher = Take(GroupCipher::Create(*to.signal, NameOf(from)));
  return cipher.Decrypt(message.bytes);
}

// `from`'s distribution, as it would arrive at `to` over their pairwise session.
void Distribute(TestDevice& from, TestDevice& to) {
  const Bytes distribution = Take(CreateSenderKeyDistribution(*from.signal, NameOf(from)));
  Check(ProcessSenderKeyDistribution(*to.signal, NameOf(from), distribution));
}

struct Group {
  Group() {
    for (TestDevice* from : members) {
      for (TestDevice* to : members) {
        if (from != to) Distribute(*from, *to);
      }
    }
  }
  TestDevice alice{"alice", 1}, bob{"bob", 2}, carol{"carol", 3};
  std::vector<TestDevice*> members = {&alice, &bob, &carol};
};

TEST_CASE("each of three members receives each other's group messages", "[signal][group]") {
  Group g;
  for (int round = 0; round < 3; ++round) {
    for (TestDevice* from : g.members) {
      const std::string text = Numbered(from->address.name + ", round ", {round});
      const auto message = GroupSend(*from, text);
      CHECK(message.type == MessageType::kSenderKey);
      for (TestDevice* to : g.members) {
        if (to == from) continue;
        CHECK(ToText(Take(GroupReceive(*to, *from, message))) == text);
      }
    }
  }
}

TEST_CASE("a member without the distribution gets NOT_FOUND until it processes it",
          "[signal][group]") {
  Group g;
  TestDevice dave("dave", 4);
  const Bytes distribution = Take(CreateSenderKeyDistribution(*g.alice.signal, NameOf(g.alice)));
  const auto first = GroupSend(g.alice, "before dave knew");
  const auto second = GroupSend(g.alice, "second");
  CHECK(GroupReceive(dave, g.alice, first).status().code() == Code::kNotFound);
  // Parked; the distribution arrives later over the pairwise session.
  Check(ProcessSenderKeyDistribution(*dave.signal, NameOf(g.alice), distribution));
  CHECK(ToText(Take(GroupReceive(dave, g.alice, second))) == "second");
  CHECK(ToText(Take(GroupReceive(dave, g.alice, first))) == "before dave knew");
}

TEST_CASE("a sender's new chain is NOT_FOUND until its distribution arrives", "[signal][group]") {
  Group g;
  // Alice reinstalls: same address, a new chain with a new key id.
  TestDevice new_alice("alice", 11);
  const Bytes distribution =
      Take(CreateSenderKeyDistribution(*new_alice.signal, NameOf(new_alice)));
  const auto message = GroupSend(new_alice, "new chain");
  CHECK(GroupReceive(g.bob, new_alice, message).status().code() == Code::kNotFound);
  Check(ProcessSenderKeyDistribution(*g.bob.signal, NameOf(new_alice), distribution));
  CHECK(ToText(Take(GroupReceive(g.bob, new_alice, message))) == "new chain");
}

TEST_CASE("group messages decrypt out of order and replays are duplicates", "[signal][group]") {
  Group g;
  std::vector<SignalCiphertext> sent;
  for (int i = 0; i < 4; ++i) sent.push_back(GroupSend(g.bob, Numbered("g", {i})));
  for (int i : {2, 0, 3, 1}) {
    CHECK(ToText(Take(GroupReceive(g.carol, g.bob, sent[static_cast<std::size_t>(i)]))) ==
          Numbered("g", {i}));
  }
  for (const auto& message : sent) {
    CHECK(GroupReceive(g.carol, g.bob, message).status().code() == Code::kDuplicate);
  }
}

TEST_CASE("a tampered group message fails and the chain goes on", "[signal][group]") {
  Group g;
  const auto message = GroupSend(g.carol, "signed");
  for (std::size_t i = 0; i < message.bytes.size(); i += 5) {
    auto tampered = message;
    tampered.bytes[i] ^= 0x02;
    const Code code = GroupReceive(g.alice, g.carol, tampered).status().code();
    // A changed key id reads as a chain not distributed yet; anything else is forged.
    CHECK((code == Code::kCryptoFailure || code == Code::kNotFound));
  }
  CHECK(ToText(Take(GroupReceive(g.alice, g.carol, message))) == "signed");
}

TEST_CASE("group encryption needs our own chain first", "[signal][group]") {
  TestDevice erin("erin", 5);
  auto cipher = Take(GroupCipher::Create(*erin.signal, NameOf(erin)));
  CHECK(cipher.Encrypt(ToBytes("nothing yet")).status().code() == Code::kNotFound);
}

TEST_CASE("group decryption runs the callback before storing the chain", "[signal][group]") {
  Group g;
  const auto message = GroupSend(g.alice, "staged");
  std::vector<std::string> log;
  g.bob.store->set_write_observer([&log](std::string_view what) { log.emplace_back(what); });
  auto cipher = Take(GroupCipher::Create(*g.bob.signal, NameOf(g.alice)));
  auto failed = cipher.Decrypt(message.bytes, [&](std::span<const std::uint8_t>) {
    log.push_back("plaintext");
    return Status::Unavailable("store locked");
  });
  CHECK(failed.status().code() == Code::kUnavailable);
  auto plaintext = cipher.Decrypt(message.bytes, [&](std::span<const std::uint8_t> content) {
    log.push_back("plaintext:" + ToText(content));
    return Status::Ok();
  });
  CHECK(ToText(Take(std::move(plaintext))) == "staged");
  CHECK(log == std::vector<std::string>{"plaintext", "plaintext:staged", "StoreSenderKey"});
}

}  // namespace
