// The cases of one section of proto/vectors/relay.txt (SPEC.md's relay vectors).
#ifndef TOCSIN_TESTS_CLIENT_LIB_NET_RELAY_VECTORS_H_
#define TOCSIN_TESTS_CLIENT_LIB_NET_RELAY_VECTORS_H_

#include <string>
#include <vector>

#include "vector_file.h"

namespace tocsin::net::testing {

using tocsin::testing::VectorBlock;

inline std::vector<VectorBlock> RelayVectors(const std::string& section) {
  return tocsin::testing::ReadVectorFile(std::string(TOCSIN_VECTORS_DIR) + "/relay.txt", section);
}

}  // namespace tocsin::net::testing

#endif  // TOCSIN_TESTS_CLIENT_LIB_NET_RELAY_VECTORS_H_
