// Signed tree objects (SPEC.md 15): a View, Revocation or AdminSet carried verbatim with
// the genesis bytes, the chain of admin-set changes since the genesis, and (admin index,
// XEdDSA signature) pairs over label || body.
//
// Thread-safety: free functions; thread-safe when the Signer / Verifier are.
#ifndef TOCSIN_ALERTS_SIGNED_H_
#define TOCSIN_ALERTS_SIGNED_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tocsin/status.h"
#include "tocsin/tree.pb.h"

namespace tocsin::alerts {

inline constexpr std::string_view kViewLabel = "tocsin/tree/view/v1";
inline constexpr std::string_view kRevocationLabel = "tocsin/tree/revocation/v1";
inline constexpr std::string_view kAdminsLabel = "tocsin/tree/admins/v1";

// Signs `message` with this device's identity key: 64 bytes.
using Signer = std::function<Result<std::string>(std::string_view message)>;
// OK when `signature` is `key`'s (32 bytes) over `message`; kCryptoFailure otherwise.
using Verifier = std::function<Status(std::string_view key, std::string_view message,
                                      std::string_view signature)>;

// tree_id: SHA-256 of the genesis bytes as they were serialized at creation.
std::string TreeIdOf(std::string_view genesis);

// What a signature covers: label || body.
std::string SignedBytes(std::string_view label, std::string_view body);

// Adds (or replaces) admin `admin_index`'s signature over label || signed.body().
Status AddSignature(tree::Signed& signed_object, std::string_view label, std::uint32_t admin_index,
                    const Signer& sign);

// The admins who sign an object: the genesis admins, or those of the last admin-set
// change in its chain.
struct SigningSet {
  tree::Genesis genesis;
  std::vector<std::string> admins;  // 32-byte identity keys; a signature's index is here
  std::uint32_t threshold = 1;
  std::uint64_t version = 0;  // 0: the genesis admins; then 1, 2, ... per change
};

// Walks `signed_object`'s chain (SPEC.md 15.2): the genesis parses and hashes to
// `body_tree_id` (else kInvalidArgument "another tree"), its threshold is possible, and
// each admin-set change names the tree, takes the next version, and carries signatures
// of `threshold` distinct admins of the set before it (else kCryptoFailure). Returns the
// set that signs the object; its own signatures are not checked here.
Result<SigningSet> SigningSetOf(const tree::Signed& signed_object, std::string_view body_tree_id,
                                const Verifier& verify);

// How many distinct admins of `set` carry a valid signature over label || body.
std::uint32_t ValidSignatures(const tree::Signed& signed_object, std::string_view label,
                              const SigningSet& set, const Verifier& verify);

// SigningSetOf, then at least `threshold` distinct admins of that set signed
// label || body (else kCryptoFailure). Returns the signing set.
Result<SigningSet> VerifySigned(const tree::Signed& signed_object, std::string_view label,
                                std::string_view body_tree_id, const Verifier& verify);

// The set an admin-set change makes (no signatures checked): kInvalidArgument when the
// body is malformed, names no admin, repeats one, or has an impossible threshold.
Result<SigningSet> NextSet(const SigningSet& current, const tree::AdminSet& change);

}  // namespace tocsin::alerts

#endif  // TOCSIN_ALERTS_SIGNED_H_
