// XEdDSA signatures by an identity key (libsignal's curve_calculate_signature and
// curve_verify_signature): the X25519 identity key signs directly, so a contact who knows
// the identity key checks the signature with nothing else.
//
// Envelope keys (envelope.proto SignedEnvelopeKey, SPEC.md: envelope keys) are signed
// over
//     "tocsin/envelope-key/v1" || key_id (4 bytes, big-endian)
//       || created_ms (8 bytes, big-endian) || public_key (32 bytes)
// so a relay or anyone else cannot swap a key, its id or its age.
//
// Thread-safety: free functions; signing takes the SignalContext lock (it draws 64 random
// bytes from the context's Rng).
#ifndef TOCSIN_CRYPTO_SIGNAL_XEDDSA_H_
#define TOCSIN_CRYPTO_SIGNAL_XEDDSA_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/signal_context.h"
#include "crypto/signal_keys.h"
#include "crypto/x25519.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

inline constexpr std::string_view kEnvelopeKeyLabel = "tocsin/envelope-key/v1";

// The signature of `identity` over `message`.
Result<XeddsaSignature> XeddsaSign(const SignalContext& context, const X25519KeyPair& identity,
                                   std::span<const std::uint8_t> message);

// OK when `signature` is `identity`'s over `message`; kCryptoFailure otherwise (including
// a signature of the wrong size).
Status XeddsaVerify(const SignalContext& context, PublicKeyView identity,
                    std::span<const std::uint8_t> message, std::span<const std::uint8_t> signature);

// The bytes an envelope key's signature covers (layout above).
std::vector<std::uint8_t> EnvelopeKeySignedBytes(std::uint32_t key_id, std::uint64_t created_ms,
                                                 PublicKeyView public_key);

Result<XeddsaSignature> SignEnvelopeKey(const SignalContext& context, const X25519KeyPair& identity,
                                        std::uint32_t key_id, std::uint64_t created_ms,
                                        PublicKeyView public_key);

// OK when `signature` is `identity`'s over this envelope key; kCryptoFailure otherwise.
Status VerifyEnvelopeKey(const SignalContext& context, PublicKeyView identity, std::uint32_t key_id,
                         std::uint64_t created_ms, PublicKeyView public_key,
                         std::span<const std::uint8_t> signature);

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_XEDDSA_H_
