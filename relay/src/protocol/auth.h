// Signatures of the relay protocol (proto/SPEC.md section 6): Ed25519 over a domain
// label, the connection's server nonce and the signed value, with no separators.
#ifndef TOCSIN_RELAY_PROTOCOL_AUTH_H_
#define TOCSIN_RELAY_PROTOCOL_AUTH_H_

#include <span>
#include <string>
#include <string_view>

#include "store/mailbox_store.h"

namespace tocsin::relay {

inline constexpr std::string_view kAuthLabel = "tocsin/relay/auth/v1";
inline constexpr std::string_view kCreateMailboxLabel = "tocsin/relay/create-mailbox/v1";
inline constexpr std::size_t kServerNonceSize = 32;
inline constexpr std::size_t kSignatureSize = 64;

// label || nonce || value: the bytes that are signed.
std::string SignedMessage(std::string_view label, std::span<const std::uint8_t> nonce,
                          std::span<const std::uint8_t> value);

// True when `signature` (64 bytes) is `key`'s Ed25519 signature of label || nonce || value.
bool VerifySignature(std::string_view label, std::span<const std::uint8_t> nonce,
                     std::span<const std::uint8_t> value, std::string_view signature,
                     const AuthKey& key);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_PROTOCOL_AUTH_H_
