// HMAC-SHA256 and HKDF-SHA256 (RFC 5869) on libsodium's HMAC-SHA256.
//
// libsodium 1.0.18 has no crypto_kdf_hkdf_sha256, so HKDF is written here from its
// RFC in a few lines; HMAC-SHA256 and SHA-256 themselves are libsodium's.
//
// Thread-safety: free functions on caller-owned buffers.
#ifndef TOCSIN_CRYPTO_KDF_H_
#define TOCSIN_CRYPTO_KDF_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "crypto/secure_buffer.h"

namespace tocsin::crypto {

using ByteView = std::span<const std::uint8_t>;

inline constexpr std::size_t kSha256Size = 32;
// RFC 5869: at most 255 blocks of output.
inline constexpr std::size_t kHkdfMaxOutput = 255 * kSha256Size;

// HMAC-SHA256(key, parts[0] || parts[1] || ...) into `out`.
void HmacSha256(ByteView key, std::initializer_list<ByteView> parts,
                std::span<std::uint8_t, kSha256Size> out);

// HKDF-SHA256: Extract(salt, ikm) then Expand(prk, info, out.size()). An empty salt is
// the RFC's default (32 zero bytes). `info` is the concatenation of `info_parts`.
// REQUIRES: out.size() <= kHkdfMaxOutput (asserted).
void HkdfSha256(ByteView salt, ByteView ikm, std::initializer_list<ByteView> info_parts,
                std::span<std::uint8_t> out);

// The bytes of a KDF label (ASCII, no terminating NUL).
inline ByteView AsBytes(std::string_view label) {
  return {reinterpret_cast<const std::uint8_t*>(label.data()), label.size()};
}

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_KDF_H_
