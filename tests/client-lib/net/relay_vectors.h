// The cases of one section of proto/vectors/relay.txt (SPEC.md's relay vectors), as
// key -> value text (hex, or ASCII for keys ending in _text).
#ifndef TOCSIN_TESTS_CLIENT_LIB_NET_RELAY_VECTORS_H_
#define TOCSIN_TESTS_CLIENT_LIB_NET_RELAY_VECTORS_H_

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "test_bytes.h"

namespace tocsin::net::testing {

using VectorCase = std::map<std::string, std::string>;

inline std::vector<VectorCase> RelayVectors(const std::string& section) {
  std::ifstream in(std::string(TOCSIN_VECTORS_DIR) + "/relay.txt");
  std::vector<VectorCase> cases;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      inside = line == "[" + section + "]";
      if (inside) cases.emplace_back();
      continue;
    }
    const std::size_t eq = line.find(" = ");
    if (inside && eq != std::string::npos) cases.back()[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return cases;
}

// A hex value as the bytes of a string (protobuf's bytes fields).
inline std::string Unhex(const std::string& hex) {
  return tocsin::testing::ToText(tocsin::testing::FromHex(hex));
}

}  // namespace tocsin::net::testing

#endif  // TOCSIN_TESTS_CLIENT_LIB_NET_RELAY_VECTORS_H_
