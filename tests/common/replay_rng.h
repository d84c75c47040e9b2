// A crypto::Rng that hands out exactly the bytes it was given, then fails the test by
// throwing: for vectors that fix the randomness (ephemeral keys, libsignal's 64 signing
// bytes).
#ifndef TOCSIN_TESTS_COMMON_REPLAY_RNG_H_
#define TOCSIN_TESTS_COMMON_REPLAY_RNG_H_

#include <algorithm>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <utility>

#include "crypto/random.h"
#include "test_bytes.h"

namespace tocsin::testing {

class ReplayRng final : public crypto::Rng {
 public:
  explicit ReplayRng(Bytes bytes) : bytes_(std::move(bytes)) {}
  void Fill(std::span<std::uint8_t> out) override {
    if (out.size() > bytes_.size() - used_) throw std::logic_error("ReplayRng exhausted");
    std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(used_), out.size(), out.begin());
    used_ += out.size();
  }

 private:
  Bytes bytes_;
  std::size_t used_ = 0;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_COMMON_REPLAY_RNG_H_
