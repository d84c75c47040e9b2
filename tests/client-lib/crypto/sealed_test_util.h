// Helpers for the sealed sender tests: hex, a replaying Rng, the vector file reader.
#ifndef TOCSIN_TESTS_SEALED_TEST_UTIL_H_
#define TOCSIN_TESTS_SEALED_TEST_UTIL_H_

#include <cstdint>
#include <fstream>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "crypto/random.h"
#include "crypto/x25519.h"
#include "replay_rng.h"
#include "test_bytes.h"

namespace tocsin::testing {

// One block of proto/vectors/sealed_sender.txt: its section and its (key, hex) lines in
// order (a key may repeat, as recipient_private / view do).
struct VectorCase {
  std::string section;
  std::vector<std::pair<std::string, Bytes>> fields;
  Bytes Get(const std::string& key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return v;
    }
    throw std::out_of_range("no field " + key);
  }
  std::vector<Bytes> All(const std::string& key) const {
    std::vector<Bytes> out;
    for (const auto& [k, v] : fields) {
      if (k == key) out.push_back(v);
    }
    return out;
  }
};

inline std::vector<VectorCase> ReadVectors(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<VectorCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      cases.push_back({line.substr(1, line.find(']') - 1), {}});
      continue;
    }
    const auto eq = line.find(" = ");
    const std::string value = eq == std::string::npos ? "" : line.substr(eq + 3);
    cases.back().fields.emplace_back(line.substr(0, line.find(" =")), FromHex(value));
  }
  return cases;
}

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
