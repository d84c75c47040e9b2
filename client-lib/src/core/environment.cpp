#include "core/environment.h"

#include <chrono>

namespace tocsin::core {

std::uint64_t SystemClock::NowMs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void RandomRng::Fill(std::span<std::uint8_t> out) {
  if (random_) {
    random_->Fill(out);
  } else {
    crypto::DefaultRng().Fill(out);
  }
}

std::string Env::RandomString(std::size_t n) const {
  std::string out(n, '\0');
  rng->Fill({reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
  return out;
}

}  // namespace tocsin::core
