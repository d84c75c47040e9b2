// Internal helpers shared by sealed sender v1 and v2 (not part of the crypto API).
#ifndef TOCSIN_CRYPTO_SEALED_COMMON_H_
#define TOCSIN_CRYPTO_SEALED_COMMON_H_

#include <sodium.h>

#include <cstdint>
#include <span>
#include <vector>

#include "crypto/sealed_sender.h"

namespace tocsin::crypto::sealed_detail {

// Static DH through the cache when there is one (sealing: remembered).
inline Status StaticDh(const X25519KeyPair& ours, PublicKeyView theirs, StaticDhCache* cache,
                       std::span<std::uint8_t, kX25519Size> out) {
  return cache != nullptr ? cache->Get(ours, theirs, out) : X25519(ours.private_key(), theirs, out);
}

// Static DH for opening: from the cache when there, never added to it.
inline Status OpeningStaticDh(const X25519KeyPair& ours, PublicKeyView theirs,
                              const StaticDhCache* cache,
                              std::span<std::uint8_t, kX25519Size> out) {
  return cache != nullptr ? cache->Find(ours, theirs, out)
                          : X25519(ours.private_key(), theirs, out);
}

// Appends AEAD(key, nonce, plaintext, ad) (ciphertext || tag) to `out`.
inline void AppendSealed(std::span<const std::uint8_t, kAeadKeySize> key,
                         std::span<const std::uint8_t, kAeadNonceSize> nonce, ByteView plaintext,
                         ByteView ad, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.resize(start + plaintext.size() + kAeadTagSize);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + start, &written, plaintext.data(),
                                             plaintext.size(), ad.data(), ad.size(), nullptr,
                                             nonce.data(), key.data());
}

// Verifies, then decrypts `sealed` into `out` (resized). kCryptoFailure on a bad tag.
inline Status OpenSealed(std::span<const std::uint8_t, kAeadKeySize> key,
                         std::span<const std::uint8_t, kAeadNonceSize> nonce, ByteView sealed,
                         ByteView ad, std::span<std::uint8_t> out) {
  if (sealed.size() < kAeadTagSize || out.size() != sealed.size() - kAeadTagSize) {
    return Status::CryptoFailure("sealed: truncated ciphertext");
  }
  unsigned long long written = 0;
  // libsodium checks the tag before it decrypts anything.
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &written, nullptr, sealed.data(),
                                                 sealed.size(), ad.data(), ad.size(), nonce.data(),
                                                 key.data()) != 0) {
    return Status::CryptoFailure("sealed: authentication failed");
  }
  return Status::Ok();
}

// Unpads `padded` and moves the plaintext (from `offset` on) into a fresh vector,
// wiping `padded`.
Result<std::vector<std::uint8_t>> TakeUnpadded(std::vector<std::uint8_t>& padded,
                                               std::size_t offset);

}  // namespace tocsin::crypto::sealed_detail

#endif  // TOCSIN_CRYPTO_SEALED_COMMON_H_
