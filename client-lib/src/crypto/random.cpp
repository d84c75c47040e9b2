#include "crypto/random.h"

#include <sodium.h>

#include <cstring>

namespace tocsin::crypto {

void SystemRng::Fill(std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); }

Rng& DefaultRng() {
  static SystemRng rng;
  return rng;
}

DeterministicRng::DeterministicRng(std::span<const std::uint8_t, 32> seed) {
  std::memcpy(seed_, seed.data(), sizeof seed_);
}

DeterministicRng::DeterministicRng(std::uint8_t seed_byte) { std::memset(seed_, seed_byte, 32); }

void DeterministicRng::Fill(std::span<std::uint8_t> out) {
  // Each call draws from a fresh stream: seed' = BLAKE2b(seed || counter).
  std::uint8_t call_seed[randombytes_SEEDBYTES];
  std::uint8_t counter_bytes[8];
  for (int i = 0; i < 8; ++i) counter_bytes[i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof call_seed);
  crypto_generichash_update(&state, seed_, sizeof seed_);
  crypto_generichash_update(&state, counter_bytes, sizeof counter_bytes);
  crypto_generichash_final(&state, call_seed, sizeof call_seed);
  ++counter_;
  randombytes_buf_deterministic(out.data(), out.size(), call_seed);
  sodium_memzero(call_seed, sizeof call_seed);
}

}  // namespace tocsin::crypto
