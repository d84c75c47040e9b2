// Whether this test program is built with a sanitizer (`make asan`, `make tsan`): memory
// figures mean nothing there, and every process runs two to three times slower.
#ifndef TOCSIN_TESTS_COMMON_UNDER_SANITIZER_H_
#define TOCSIN_TESTS_COMMON_UNDER_SANITIZER_H_

namespace tocsin::testing {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kUnderSanitizer = true;
#else
inline constexpr bool kUnderSanitizer = false;
#endif

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_COMMON_UNDER_SANITIZER_H_
