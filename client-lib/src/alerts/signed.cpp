#include "alerts/signed.h"

#include <sodium.h>

#include <array>
#include <set>

namespace tocsin::alerts {

std::string TreeIdOf(std::string_view genesis) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(genesis.data()),
                     genesis.size());
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

std::string SignedBytes(std::string_view label, std::string_view body) {
  std::string bytes(label);
  bytes.append(body);
  return bytes;
}

Status AddSignature(tree::Signed& signed_object, std::string_view label, std::uint32_t admin_index,
                    const Signer& sign) {
  auto signature = sign(SignedBytes(label, signed_object.body()));
  if (!signature.ok()) return signature.status();
  for (auto& existing : *signed_object.mutable_signatures()) {
    if (existing.admin() == admin_index) {
      existing.set_signature(*signature);
      return Status::Ok();
    }
  }
  auto* added = signed_object.add_signatures();
  added->set_admin(admin_index);
  added->set_signature(*signature);
  return Status::Ok();
}

Result<tree::Genesis> VerifySigned(const tree::Signed& signed_object, std::string_view label,
                                   std::string_view body_tree_id, const Verifier& verify) {
  tree::Genesis genesis;
  if (signed_object.genesis().empty() || !genesis.ParseFromString(signed_object.genesis())) {
    return Status(Code::kInvalidArgument, "tree object without a genesis");
  }
  if (TreeIdOf(signed_object.genesis()) != body_tree_id) {
    return Status(Code::kInvalidArgument, "a tree object of another tree");
  }
  if (genesis.threshold() == 0 ||
      genesis.threshold() > static_cast<std::uint32_t>(genesis.admins_size())) {
    return Status(Code::kInvalidArgument, "a genesis with an impossible threshold");
  }
  const std::string message = SignedBytes(label, signed_object.body());
  std::set<std::uint32_t> valid;
  for (const auto& signature : signed_object.signatures()) {
    if (signature.admin() >= static_cast<std::uint32_t>(genesis.admins_size())) continue;
    if (verify(genesis.admins(static_cast<int>(signature.admin())), message, signature.signature())
            .ok()) {
      valid.insert(signature.admin());
    }
  }
  if (valid.size() < genesis.threshold()) {
    return Status(Code::kCryptoFailure, "not signed by enough of the tree's admins");
  }
  return genesis;
}

}  // namespace tocsin::alerts
