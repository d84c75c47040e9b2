// String concatenation for the relay's unit tests.
#ifndef TOCSIN_TESTS_RELAY_CAT_H_
#define TOCSIN_TESTS_RELAY_CAT_H_

#include <string>

namespace tocsin::testing {

// Concatenation without operator+ (GCC 12 warns falsely on "literal" + std::string).
template <typename... T>
std::string Cat(const T&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_RELAY_CAT_H_
