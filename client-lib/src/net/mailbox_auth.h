// Mailbox auth (proto/SPEC.md section 6): the bytes an auth key signs, the requests that
// carry the signatures, and invites.
//
// Thread-safety: free functions.
#ifndef TOCSIN_NET_MAILBOX_AUTH_H_
#define TOCSIN_NET_MAILBOX_AUTH_H_

#include <string>
#include <string_view>

#include "net/relay_pool.h"

namespace tocsin::net {

inline constexpr std::string_view kAuthLabel = "tocsin/relay/auth/v1";
inline constexpr std::string_view kCreateMailboxLabel = "tocsin/relay/create-mailbox/v1";
inline constexpr std::size_t kServerNonceBytes = 32;
inline constexpr std::size_t kInviteBytes = 16;

// "tocsin/relay/auth/v1" || server_nonce || mailbox_id (SPEC.md section 6.1).
std::string AuthSignedBytes(std::string_view server_nonce, const MailboxId& mailbox);
// "tocsin/relay/create-mailbox/v1" || server_nonce || auth_public_key (section 6.2).
std::string CreateMailboxSignedBytes(std::string_view server_nonce,
                                     const std::array<std::uint8_t, 32>& auth_public_key);

// Ed25519 detached signature (64 bytes) by `key` over `message`.
// REQUIRES: key.secret_key holds libsodium's 64-byte secret key.
std::string Sign(const AuthKeyPair& key, std::string_view message);

// A copy of `key` (the secret in a new SecretBytes).
AuthKeyPair CopyKey(const AuthKeyPair& key);

// Authenticate{mailbox_id, signature} for the connection whose HelloOk carried `nonce`.
wire::Request MakeAuthenticate(const MailboxId& mailbox, const AuthKeyPair& key,
                               std::string_view server_nonce);
// CreateMailbox{invite, auth_public_key, signature}.
wire::Request MakeCreateMailbox(std::string_view invite_bytes, const AuthKeyPair& key,
                                std::string_view server_nonce);

// The invite's 16 bytes from what a caller holds: the 26-character text of
// `tocsin-relay invite create` (either case, SPEC.md section 6.3), or the 16 bytes
// themselves. kInvalidArgument for anything else.
Result<std::string> InviteBytes(std::string_view invite);

// A 16-byte identifier from a relay answer; BAD_FRAME when the size is wrong.
Result<MailboxId> MailboxIdFrom(std::string_view bytes);

inline std::string_view AsBytes(const MailboxId& id) {
  return {reinterpret_cast<const char*>(id.data()), id.size()};
}

}  // namespace tocsin::net

#endif  // TOCSIN_NET_MAILBOX_AUTH_H_
