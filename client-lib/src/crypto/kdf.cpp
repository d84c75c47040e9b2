#include "crypto/kdf.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>

namespace tocsin::crypto {

void HmacSha256(ByteView key, std::initializer_list<ByteView> parts,
                std::span<std::uint8_t, kSha256Size> out) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  for (ByteView part : parts) crypto_auth_hmacsha256_update(&state, part.data(), part.size());
  crypto_auth_hmacsha256_final(&state, out.data());
  sodium_memzero(&state, sizeof state);
}

void HkdfSha256(ByteView salt, ByteView ikm, std::initializer_list<ByteView> info_parts,
                std::span<std::uint8_t> out) {
  assert(out.size() <= kHkdfMaxOutput);
  static constexpr std::uint8_t kZeroSalt[kSha256Size] = {};
  // Transient secrets live on the stack and are wiped before return: this runs twice per
  // recipient of a fan-out, where a sodium_malloc (mmap + guard pages) per call would
  // cost more than the hashing. Long-lived keys are SecretBytes.
  std::uint8_t prk[kSha256Size];
  std::uint8_t block[kSha256Size];
  HmacSha256(salt.empty() ? ByteView(kZeroSalt) : salt, {ikm}, prk);

  // T(i) = HMAC(PRK, T(i-1) || info || i), out = T(1) || T(2) || ...
  std::size_t done = 0;
  for (std::uint8_t counter = 1; done < out.size(); ++counter) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, prk, sizeof prk);
    if (counter > 1) crypto_auth_hmacsha256_update(&state, block, sizeof block);
    for (ByteView part : info_parts) {
      crypto_auth_hmacsha256_update(&state, part.data(), part.size());
    }
    crypto_auth_hmacsha256_update(&state, &counter, 1);
    crypto_auth_hmacsha256_final(&state, block);
    sodium_memzero(&state, sizeof state);
    const std::size_t take = std::min(kSha256Size, out.size() - done);
    std::copy_n(block, take, out.data() + done);
    done += take;
  }
  sodium_memzero(prk, sizeof prk);
  sodium_memzero(block, sizeof block);
}

}  // namespace tocsin::crypto
