// Reconnect backoff: full jitter under a doubling ceiling, capped, reset on success.
#include <catch2/catch.hpp>

#include "net/backoff.h"

namespace tocsin::net {
namespace {

using std::chrono::milliseconds;

TEST_CASE("backoff delays stay under a ceiling that doubles up to the maximum", "[net][backoff]") {
  crypto::DeterministicRng rng(1);
  Backoff backoff(milliseconds(250), milliseconds(30000), rng);
  const std::int64_t ceilings[] = {250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
  for (std::int64_t ceiling : ceilings) {
    CHECK(backoff.Ceiling().count() == ceiling);
    const milliseconds delay = backoff.Next();
    CHECK(delay.count() >= 0);
    CHECK(delay.count() <= ceiling);
  }
  CHECK(backoff.failures() == 10);
  backoff.Reset();
  CHECK(backoff.Ceiling().count() == 250);
}

TEST_CASE("backoff jitter spreads over the whole range", "[net][backoff]") {
  crypto::DeterministicRng rng(2);
  Backoff backoff(milliseconds(1000), milliseconds(1000), rng);
  std::int64_t low = 1000;
  std::int64_t high = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::int64_t d = backoff.Next().count();
    low = std::min(low, d);
    high = std::max(high, d);
  }
  // Full jitter: clients cut off together do not come back together.
  CHECK(low < 50);
  CHECK(high > 950);
}

TEST_CASE("backoff draws come from the given randomness", "[net][backoff]") {
  crypto::DeterministicRng a(3);
  crypto::DeterministicRng b(3);
  Backoff first(milliseconds(100), milliseconds(10000), a);
  Backoff second(milliseconds(100), milliseconds(10000), b);
  for (int i = 0; i < 20; ++i) CHECK(first.Next() == second.Next());
}

TEST_CASE("a huge failure count neither overflows nor passes the maximum", "[net][backoff]") {
  crypto::DeterministicRng rng(4);
  Backoff backoff(milliseconds(1), milliseconds(60000), rng);
  for (int i = 0; i < 200; ++i) CHECK(backoff.Next().count() <= 60000);
  CHECK(backoff.Ceiling().count() == 60000);
}

}  // namespace
}  // namespace tocsin::net
