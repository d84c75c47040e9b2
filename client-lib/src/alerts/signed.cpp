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

std::uint32_t ValidSignatures(const tree::Signed& signed_object, std::string_view label,
                              const SigningSet& set, const Verifier& verify) {
  const std::string message = SignedBytes(label, signed_object.body());
  std::set<std::uint32_t> valid;
  for (const auto& signature : signed_object.signatures()) {
    if (signature.admin() >= set.admins.size() || valid.count(signature.admin()) != 0) continue;
    if (verify(set.admins[signature.admin()], message, signature.signature()).ok()) {
      valid.insert(signature.admin());
    }
  }
  return static_cast<std::uint32_t>(valid.size());
}

Result<SigningSet> NextSet(const SigningSet& current, const tree::AdminSet& change) {
  std::set<std::string> seen;
  for (const auto& admin : change.admins()) {
    if (admin.size() != 32 || !seen.insert(admin).second) {
      return Status(Code::kInvalidArgument, "an admin set with a malformed or repeated key");
    }
  }
  if (change.threshold() == 0 ||
      change.threshold() > static_cast<std::uint32_t>(change.admins_size())) {
    return Status(Code::kInvalidArgument, "an admin set with an impossible threshold");
  }
  SigningSet next;
  next.genesis = current.genesis;
  next.admins.assign(change.admins().begin(), change.admins().end());
  next.threshold = change.threshold();
  next.version = change.version();
  return next;
}

Result<SigningSet> SigningSetOf(const tree::Signed& signed_object, std::string_view body_tree_id,
                                const Verifier& verify) {
  SigningSet set;
  if (signed_object.genesis().empty() || !set.genesis.ParseFromString(signed_object.genesis())) {
    return Status(Code::kInvalidArgument, "tree object without a genesis");
  }
  if (TreeIdOf(signed_object.genesis()) != body_tree_id) {
    return Status(Code::kInvalidArgument, "a tree object of another tree");
  }
  if (set.genesis.threshold() == 0 ||
      set.genesis.threshold() > static_cast<std::uint32_t>(set.genesis.admins_size())) {
    return Status(Code::kInvalidArgument, "a genesis with an impossible threshold");
  }
  set.admins.assign(set.genesis.admins().begin(), set.genesis.admins().end());
  set.threshold = set.genesis.threshold();
  for (const auto& link : signed_object.admin_sets()) {
    tree::AdminSet change;
    if (!change.ParseFromString(link.body()) || change.tree_id() != body_tree_id ||
        change.version() != set.version + 1) {
      return Status(Code::kInvalidArgument, "a broken chain of admin sets");
    }
    if (ValidSignatures(link, kAdminsLabel, set, verify) < set.threshold) {
      return Status(Code::kCryptoFailure, "an admin-set change not signed by enough admins");
    }
    auto next = NextSet(set, change);
    if (!next.ok()) return next.status();
    set = std::move(next).value();
  }
  return set;
}

Result<SigningSet> VerifySigned(const tree::Signed& signed_object, std::string_view label,
                                std::string_view body_tree_id, const Verifier& verify) {
  auto set = SigningSetOf(signed_object, body_tree_id, verify);
  if (!set.ok()) return set.status();
  if (ValidSignatures(signed_object, label, *set, verify) < set->threshold) {
    return Status(Code::kCryptoFailure, "not signed by enough of the tree's admins");
  }
  return set;
}

}  // namespace tocsin::alerts
