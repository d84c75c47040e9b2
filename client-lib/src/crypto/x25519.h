// X25519 on libsodium: key pairs in secure memory and a DH that refuses the all-zero
// output of a low-order public key.
//
// Thread-safety: free functions and values; a const X25519KeyPair may be shared.
#ifndef TOCSIN_CRYPTO_X25519_H_
#define TOCSIN_CRYPTO_X25519_H_

#include <array>
#include <cstdint>
#include <span>

#include "crypto/random.h"
#include "crypto/secure_buffer.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

inline constexpr std::size_t kX25519Size = 32;
using PublicKey = std::array<std::uint8_t, kX25519Size>;
using PublicKeyView = std::span<const std::uint8_t, kX25519Size>;

class X25519KeyPair {
 public:
  // A fresh key pair with 32 bytes from `rng` as the private scalar.
  static X25519KeyPair Generate(Rng& rng);
  // The key pair of a given 32-byte private scalar (clamped by X25519 itself).
  // REQUIRES: private_key.size() == 32; anything else is kInvalidArgument.
  static Result<X25519KeyPair> FromPrivate(std::span<const std::uint8_t> private_key);

  X25519KeyPair(X25519KeyPair&&) noexcept = default;
  X25519KeyPair& operator=(X25519KeyPair&&) noexcept = default;

  const PublicKey& public_key() const { return public_key_; }
  // WARNING: the private scalar; pass it only to DH functions.
  std::span<const std::uint8_t, kX25519Size> private_key() const {
    return private_key_.span().first<kX25519Size>();
  }

 private:
  X25519KeyPair(SecretBytes private_key, const PublicKey& public_key)
      : private_key_(std::move(private_key)), public_key_(public_key) {}
  SecretBytes private_key_;
  PublicKey public_key_;
};

// out = X25519(private_key, public_key). kCryptoFailure when the output is all zero
// (a low-order public key): such a "shared secret" is known to everybody.
Status X25519(std::span<const std::uint8_t, kX25519Size> private_key, PublicKeyView public_key,
              std::span<std::uint8_t, kX25519Size> out);

// The public key of a private scalar.
PublicKey X25519Base(std::span<const std::uint8_t, kX25519Size> private_key);

// Clamps a 32-byte scalar as RFC 7748 does (bits 0-2 and 255 cleared, bit 254 set).
void ClampScalar(std::span<std::uint8_t, kX25519Size> scalar);

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_X25519_H_
