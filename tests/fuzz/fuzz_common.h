// Included by exactly one file of each fuzz program: Require (a failed property is a
// crash, so libFuzzer keeps the input) and libsodium's initialisation before the first
// input (libFuzzer and replay_main.cpp both call LLVMFuzzerInitialize).
#ifndef TOCSIN_TESTS_FUZZ_FUZZ_COMMON_H_
#define TOCSIN_TESTS_FUZZ_FUZZ_COMMON_H_

#include <sodium.h>

#include <cstdlib>

namespace tocsin::fuzz {

inline void Require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace tocsin::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (sodium_init() < 0) std::abort();
  return 0;
}

#endif  // TOCSIN_TESTS_FUZZ_FUZZ_COMMON_H_
