// SPEC.md section 10's test vectors (proto/vectors/sealed_sender.txt), produced by an
// independent implementation (tests/vectors/gen_sealed_vectors.py).
#include <catch2/catch.hpp>
#include <vector>

#include "crypto/kdf.h"
#include "crypto/sealed_sender.h"
#include "sealed_test_util.h"

using namespace tocsin::crypto;
using namespace tocsin::testing;

namespace {

std::vector<VectorBlock> Cases(const std::string& section) {
  return ReadVectorFile(std::string(TOCSIN_VECTORS_DIR) + "/sealed_sender.txt", section);
}

}  // namespace

TEST_CASE("HKDF-SHA256 matches RFC 5869", "[vectors][kdf]") {
  const auto cases = Cases("hkdf");
  REQUIRE(cases.size() == 2);
  for (const auto& c : cases) {
    const Bytes expected = c.Get("okm");
    Bytes okm(expected.size());
    HkdfSha256(c.Get("salt"), c.Get("ikm"), {c.Get("info")}, okm);
    CHECK(ToHex(okm) == ToHex(expected));
  }
}

TEST_CASE("sealed sender v1 matches the vectors byte for byte", "[vectors][sealed]") {
  const auto cases = Cases("v1");
  REQUIRE(cases.size() == 3);
  for (const auto& c : cases) {
    const auto sender = KeyPairOf(c.Get("sender_private"));
    const auto recipient = KeyPairOf(c.Get("recipient_private"));
    CHECK(ToHex(sender.public_key()) == ToHex(c.Get("sender_public")));
    ReplayRng rng(c.Get("ephemeral_private"));
    auto sealed = SealV1(sender, recipient.public_key(), c.Get("content"), rng);
    REQUIRE(sealed.ok());
    CHECK(ToHex(*sealed) == ToHex(c.Get("sealed")));

    const X25519KeyPair* keys[] = {&recipient};
    auto opened = OpenV1(keys, c.Get("sealed"));
    REQUIRE(opened.ok());
    CHECK(opened->content == c.Get("content"));
    CHECK(ToHex(opened->sender) == ToHex(c.Get("sender_public")));
  }
}

TEST_CASE("sealed sender v2 matches the vectors byte for byte", "[vectors][sealed]") {
  const auto cases = Cases("v2");
  REQUIRE(cases.size() == 2);
  for (const auto& c : cases) {
    const auto sender = KeyPairOf(c.Get("sender_private"));
    std::vector<X25519KeyPair> recipients;
    std::vector<PublicKey> publics;
    for (const auto& r : c.All("recipient_private")) {
      recipients.push_back(KeyPairOf(r));
      publics.push_back(recipients.back().public_key());
    }
    const auto views = c.All("view");
    REQUIRE(views.size() == recipients.size());
    ReplayRng rng(c.Get("m"));
    auto sealed = SealV2(sender, publics, c.Get("content"), rng);
    REQUIRE(sealed.ok());
    CHECK(ToHex(sealed->blob) == ToHex(c.Get("blob")));
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      CHECK(ToHex(sealed->views[i]) == ToHex(views[i]));
      const X25519KeyPair* keys[] = {&recipients[i]};
      auto opened = OpenV2(keys, c.Get("blob"), views[i]);
      REQUIRE(opened.ok());
      CHECK(opened->content == c.Get("content"));
      CHECK(ToHex(opened->sender) == ToHex(c.Get("sender_public")));
    }
  }
}
