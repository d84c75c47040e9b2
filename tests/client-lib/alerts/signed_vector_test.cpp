// SPEC.md section 15's test vectors (proto/vectors/tree.txt): tree ids, the bytes a view's
// and a revocation's admin signatures cover, and the signatures themselves; and the
// admin-set change of proto/vectors/client.txt (made by tests/vectors/gen_client_vectors.py).
#include <catch2/catch.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "alerts/logic.h"
#include "alerts/signed.h"
#include "core/hex.h"
#include "crypto/random.h"
#include "crypto/signal_context.h"
#include "crypto/signal_xeddsa.h"
#include "replay_rng.h"
#include "vector_file.h"

namespace tocsin::testing {
namespace {

alerts::Verifier VerifierOf(const crypto::SignalContext& context) {
  return [&context](std::string_view key, std::string_view message, std::string_view signature) {
    if (key.size() != 32) return Status(Code::kCryptoFailure, "not a key");
    const crypto::PublicKeyView view(reinterpret_cast<const std::uint8_t*>(key.data()), 32);
    return crypto::XeddsaVerify(context, view, core::Bytes(message), core::Bytes(signature));
  };
}

TEST_CASE("Tree signatures match the vectors, and any changed byte fails", "[vectors]") {
  auto context = *crypto::SignalContext::Create();
  const auto blocks = ReadVectorFile(TOCSIN_TREE_VECTORS);
  REQUIRE(blocks.size() == 2);
  for (const VectorBlock& block : blocks) {
    const std::string& kind = block.section;
    INFO(kind);
    const std::string label =
        kind == "view" ? std::string(alerts::kViewLabel) : std::string(alerts::kRevocationLabel);
    const std::string genesis = block.Raw("genesis");
    const std::string body = block.Raw("body");
    CHECK(alerts::TreeIdOf(genesis) == block.Raw("tree_id"));
    CHECK(alerts::SignedBytes(label, body) == block.Raw("signed_bytes"));
    tree::Signed signed_object;
    signed_object.set_body(body);
    signed_object.set_genesis(genesis);
    auto* signature = signed_object.add_signatures();
    signature->set_admin(0);
    signature->set_signature(block.Raw("signature"));
    CHECK(alerts::VerifySigned(signed_object, label, block.Raw("tree_id"), VerifierOf(*context))
              .ok());
    for (std::size_t i = 0; i < body.size(); i += 7) {
      tree::Signed changed = signed_object;
      std::string bytes = body;
      bytes[i] = static_cast<char>(bytes[i] ^ 0x01);
      changed.set_body(bytes);
      CHECK_FALSE(
          alerts::VerifySigned(changed, label, block.Raw("tree_id"), VerifierOf(*context)).ok());
    }
    const std::string other_label =
        kind == "view" ? std::string(alerts::kRevocationLabel) : std::string(alerts::kViewLabel);
    CHECK_FALSE(
        alerts::VerifySigned(signed_object, other_label, block.Raw("tree_id"), VerifierOf(*context))
            .ok());
  }
}

// `admin`'s signature over `message` with libsignal's random bytes given.
std::string SignWith(const Bytes& admin_private, const Bytes& random, const std::string& message) {
  auto admin = crypto::X25519KeyPair::FromPrivate(admin_private);
  REQUIRE(admin.ok());
  ReplayRng rng(random);
  auto context = crypto::SignalContext::Create(rng);
  REQUIRE(context.ok());
  auto signature = crypto::XeddsaSign(**context, *admin, core::Bytes(message));
  REQUIRE(signature.ok());
  return core::ToString(*signature);
}

tree::Signed WithSignatures(std::string body,
                            std::vector<std::pair<std::uint32_t, std::string>> by) {
  tree::Signed object;
  object.set_body(std::move(body));
  for (auto& [admin, signature] : by) {
    auto* added = object.add_signatures();
    added->set_admin(admin);
    added->set_signature(signature);
  }
  return object;
}

TEST_CASE("An admin-set change signs as SPEC.md's vector and hands signing to the new set",
          "[vectors]") {
  const auto blocks = ReadVectorFile(TOCSIN_CLIENT_VECTORS, "admin_set");
  REQUIRE(blocks.size() == 1);
  const VectorBlock& v = blocks[0];
  auto text = [&v](const std::string& key) { return ToText(v.Get(key)); };
  for (int i = 0; i < 3; ++i) {
    auto admin = crypto::X25519KeyPair::FromPrivate(v.Get("admin_private_" + std::to_string(i)));
    REQUIRE(admin.ok());
    CHECK(core::ToString(admin->public_key()) == text("admin_public_" + std::to_string(i)));
  }
  const std::string genesis = text("genesis");
  const std::string tree_id = text("tree_id");
  CHECK(alerts::TreeIdOf(genesis) == tree_id);
  tree::AdminSet change;
  REQUIRE(change.ParseFromString(text("body")));
  CHECK(change.SerializeAsString() == text("body"));
  CHECK(change.tree_id() == tree_id);
  CHECK(change.version() == 1);
  CHECK(change.threshold() == 1);
  REQUIRE(change.admins_size() == 2);
  CHECK(change.admins(0) == text("admin_public_1"));
  CHECK(change.admins(1) == text("admin_public_2"));

  // Byte for byte: what the signatures cover, and the signatures with the given random.
  CHECK(alerts::SignedBytes(alerts::kAdminsLabel, text("body")) == text("signed"));
  CHECK(alerts::SignedBytes(alerts::kRevocationLabel, text("revocation")) ==
        text("revocation_signed"));
  CHECK(SignWith(v.Get("admin_private_0"), v.Get("random_0"), text("signed")) ==
        text("signature_0"));
  CHECK(SignWith(v.Get("admin_private_1"), v.Get("random_1"), text("signed")) ==
        text("signature_1"));
  CHECK(SignWith(v.Get("admin_private_2"), v.Get("revocation_random"), text("revocation_signed")) ==
        text("revocation_signature"));

  // The revocation, signed by the new set's admin 1 alone, carries the change.
  auto context = *crypto::SignalContext::Create();
  const auto verify = VerifierOf(*context);
  auto object = [&](const tree::Signed& link, std::uint32_t index) {
    tree::Signed revocation =
        WithSignatures(text("revocation"), {{index, text("revocation_signature")}});
    revocation.set_genesis(genesis);
    *revocation.add_admin_sets() = link;
    return revocation;
  };
  const tree::Signed link =
      WithSignatures(text("body"), {{0, text("signature_0")}, {1, text("signature_1")}});
  auto set = alerts::VerifySigned(object(link, 1), alerts::kRevocationLabel, tree_id, verify);
  INFO(set.status().ToString());
  REQUIRE(set.ok());
  CHECK(set->version == 1);
  CHECK(set->threshold == 1);
  CHECK(set->admins == std::vector<std::string>{text("admin_public_1"), text("admin_public_2")});

  // Refused: the signature under another index, a change signed by one of the two genesis
  // admins, and any changed byte of the change or of its signatures.
  CHECK_FALSE(
      alerts::VerifySigned(object(link, 0), alerts::kRevocationLabel, tree_id, verify).ok());
  const tree::Signed one = WithSignatures(text("body"), {{1, text("signature_1")}});
  CHECK_FALSE(alerts::VerifySigned(object(one, 1), alerts::kRevocationLabel, tree_id, verify).ok());
  for (std::size_t i = 0; i < link.body().size(); ++i) {
    tree::Signed changed = link;
    (*changed.mutable_body())[i] = static_cast<char>(link.body()[i] ^ 0x01);
    INFO("body byte " << i);
    CHECK_FALSE(
        alerts::VerifySigned(object(changed, 1), alerts::kRevocationLabel, tree_id, verify).ok());
  }
  for (int s = 0; s < 2; ++s) {
    for (std::size_t i = 0; i < 64; ++i) {
      tree::Signed changed = link;
      auto& signature = *changed.mutable_signatures(s)->mutable_signature();
      signature[i] = static_cast<char>(signature[i] ^ 0x01);
      INFO("signature " << s << " byte " << i);
      CHECK_FALSE(
          alerts::VerifySigned(object(changed, 1), alerts::kRevocationLabel, tree_id, verify).ok());
    }
  }
}

// Prints the vectors (deterministic keys and signing randomness). Run by hand:
//   tocsin_alerts_unit_tests "[.generate]"
TEST_CASE("Generate the tree vectors", "[.generate]") {
  crypto::DeterministicRng key_rng(42);
  crypto::DeterministicRng sign_rng(43);
  auto context = *crypto::SignalContext::Create(sign_rng);
  auto admin = crypto::X25519KeyPair::Generate(key_rng);
  const std::string admin_key = core::ToString(admin.public_key());
  tree::Genesis genesis;
  genesis.set_name("eastside");
  genesis.add_admins(admin_key);
  genesis.set_threshold(1);
  genesis.set_created_ms(1767225600000ull);
  genesis.set_nonce(std::string(16, '\x01'));
  const std::string genesis_bytes = genesis.SerializeAsString();
  const std::string tree_id = alerts::TreeIdOf(genesis_bytes);
  tree::View view;
  view.set_tree_id(tree_id);
  view.set_version(2);
  view.set_tree_name("eastside");
  auto* member = view.mutable_member();
  member->set_identity_key(std::string(32, '\x22'));
  member->set_name("R1");
  member->set_role(app::RESPONDER);
  member->set_parent(admin_key);
  member->add_zones("boyle-heights");
  member->add_languages("es");
  member->add_skills("legal_observer");
  view.mutable_authorised()->add_all_clear(admin_key);
  tree::Revocation revocation;
  revocation.set_tree_id(tree_id);
  revocation.set_version(3);
  revocation.set_identity_key(std::string(32, '\x33'));
  revocation.set_revoked_ms(1767229200000ull);
  for (const auto& [kind, label, body] :
       {std::tuple{"view", alerts::kViewLabel, view.SerializeAsString()},
        std::tuple{"revocation", alerts::kRevocationLabel, revocation.SerializeAsString()}}) {
    const std::string bytes = alerts::SignedBytes(label, body);
    auto signature = *crypto::XeddsaSign(*context, admin, core::Bytes(bytes));
    std::cout << "[" << kind << "]\n"
              << "admin_public = " << core::ToHex(admin_key) << "\n"
              << "genesis = " << core::ToHex(genesis_bytes) << "\n"
              << "tree_id = " << core::ToHex(tree_id) << "\n"
              << "body = " << core::ToHex(body) << "\n"
              << "signed_bytes = " << core::ToHex(bytes) << "\n"
              << "signature = " << core::ToHex(std::span<const std::uint8_t>(signature)) << "\n\n";
  }
}

}  // namespace
}  // namespace tocsin::testing
