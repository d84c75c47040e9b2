// Signed tree objects (SPEC.md 15): a View, Revocation or AdminSet carried verbatim with
// the genesis bytes and (admin index, XEdDSA signature) pairs over label || body.
//
// Thread-safety: free functions; thread-safe when the Signer / Verifier are.
#ifndef TOCSIN_ALERTS_SIGNED_H_
#define TOCSIN_ALERTS_SIGNED_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

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

// Checks a signed object whose body names `body_tree_id`: the genesis parses and hashes
// to `body_tree_id` (else kInvalidArgument "another tree"), and at least `threshold`
// distinct admins signed label || body (else kCryptoFailure). Returns the genesis.
Result<tree::Genesis> VerifySigned(const tree::Signed& signed_object, std::string_view label,
                                   std::string_view body_tree_id, const Verifier& verify);

}  // namespace tocsin::alerts

#endif  // TOCSIN_ALERTS_SIGNED_H_
