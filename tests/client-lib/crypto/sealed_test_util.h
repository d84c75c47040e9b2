// Helpers for the sealed sender tests: hex, a replaying Rng, keys from the vectors.
#ifndef TOCSIN_TESTS_SEALED_TEST_UTIL_H_
#define TOCSIN_TESTS_SEALED_TEST_UTIL_H_

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "crypto/random.h"
#include "crypto/x25519.h"
#include "replay_rng.h"
#include "test_bytes.h"
#include "vector_file.h"

namespace tocsin::testing {

inline crypto::X25519KeyPair KeyPairOf(const Bytes& private_key) {
  return std::move(crypto::X25519KeyPair::FromPrivate(private_key)).value();
}

inline crypto::PublicKey ToKey(const Bytes& bytes) {
  crypto::PublicKey key{};
  std::copy_n(bytes.begin(), key.size(), key.begin());
  return key;
}

// A public key of order 8 on Curve25519: X25519 with it gives all zeros.
inline const crypto::PublicKey kLowOrder =
    ToKey(FromHex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"));

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_SEALED_TEST_UTIL_H_
