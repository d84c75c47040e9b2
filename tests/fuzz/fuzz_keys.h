// Fixed keys shared by the sealed-envelope fuzz target and the seed maker, so that the
// seeds are envelopes the target can open.
#ifndef TOCSIN_TESTS_FUZZ_FUZZ_KEYS_H_
#define TOCSIN_TESTS_FUZZ_FUZZ_KEYS_H_

#include "crypto/random.h"
#include "crypto/x25519.h"

namespace tocsin::fuzz {

// The sender's static key and the recipient's current and older envelope keys.
struct SealedKeys {
  crypto::X25519KeyPair sender;
  crypto::X25519KeyPair recipient;
  crypto::X25519KeyPair older;
};

inline const SealedKeys& Keys() {
  static const SealedKeys* keys = [] {
    crypto::DeterministicRng rng(std::uint8_t{42});
    auto sender = crypto::X25519KeyPair::Generate(rng);
    auto recipient = crypto::X25519KeyPair::Generate(rng);
    auto older = crypto::X25519KeyPair::Generate(rng);
    return new SealedKeys{std::move(sender), std::move(recipient), std::move(older)};
  }();
  return *keys;
}

}  // namespace tocsin::fuzz

#endif  // TOCSIN_TESTS_FUZZ_FUZZ_KEYS_H_
