// What the fault tests share beyond the client tests' support (client_test_util.h).
#ifndef TOCSIN_TESTS_FAULTS_FAULT_TEST_UTIL_H_
#define TOCSIN_TESTS_FAULTS_FAULT_TEST_UTIL_H_

#include "client_test_util.h"

namespace tocsin::testing {

// `tocsin-relay check` on the relay's store: every view points at a live blob, the
// expiry index matches, nothing is orphaned.
inline void RequireStoreConsistent(const RelayProcess& relay) {
  CommandResult check = relay.RunCommand({"check"});
  INFO(check.output << check.errors);
  REQUIRE(check.exit_code == 0);
  REQUIRE(check.output.find("check passed") != std::string::npos);
}

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_FAULTS_FAULT_TEST_UTIL_H_
