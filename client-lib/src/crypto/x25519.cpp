#include "crypto/x25519.h"

#include <sodium.h>

namespace tocsin::crypto {

X25519KeyPair X25519KeyPair::Generate(Rng& rng) {
  SecretBytes private_key(kX25519Size);
  rng.Fill(private_key.span());
  PublicKey public_key = X25519Base(private_key.span().first<kX25519Size>());
  return X25519KeyPair(std::move(private_key), public_key);
}

Result<X25519KeyPair> X25519KeyPair::FromPrivate(std::span<const std::uint8_t> private_key) {
  if (private_key.size() != kX25519Size) {
    return Status::InvalidArgument("an X25519 private key is 32 bytes");
  }
  SecretBytes copy = SecretBytes::CopyOf(private_key);
  PublicKey public_key = X25519Base(copy.span().first<kX25519Size>());
  return X25519KeyPair(std::move(copy), public_key);
}

Status X25519(std::span<const std::uint8_t, kX25519Size> private_key, PublicKeyView public_key,
              std::span<std::uint8_t, kX25519Size> out) {
  // crypto_scalarmult fails (-1) exactly when the result is all zero.
  if (crypto_scalarmult(out.data(), private_key.data(), public_key.data()) != 0 || IsAllZero(out)) {
    sodium_memzero(out.data(), out.size());
    return Status::CryptoFailure("X25519 with a low-order public key");
  }
  return Status::Ok();
}

PublicKey X25519Base(std::span<const std::uint8_t, kX25519Size> private_key) {
  PublicKey public_key;
  crypto_scalarmult_base(public_key.data(), private_key.data());
  return public_key;
}

void ClampScalar(std::span<std::uint8_t, kX25519Size> scalar) {
  scalar[0] &= 248;
  scalar[31] &= 127;
  scalar[31] |= 64;
}

}  // namespace tocsin::crypto
