// Sealed sender benchmark: medians of several runs, printed as a Markdown table for
// docs/PERFORMANCE.md. `tocsin_sealed_bench [runs]` (default 7).
//
// Scenarios: v2 sealing of one alert for 1,000 and 10,000 recipients (cold: no cached
// static DH, two X25519 per recipient; warm: the static DH cached per contact, one
// X25519 per recipient; on one and on two threads), opening one v2 view, and v1
// seal + open. libsodium's bare X25519 is measured alongside as the floor.
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "crypto/sealed_sender.h"

namespace {

using namespace tocsin::crypto;
using Clock = std::chrono::steady_clock;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Median wall time in ms of `runs` calls of `work` (after `setup` before each).
double MedianMs(int runs, const std::function<void()>& setup, const std::function<void()>& work) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    setup();
    const auto start = Clock::now();
    work();
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return Median(times);
}

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark failed: %s\n", what);
    std::exit(1);
  }
}

struct Fixture {
  explicit Fixture(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      keys.push_back(X25519KeyPair::Generate(DefaultRng()));
      publics.push_back(keys.back().public_key());
    }
  }
  X25519KeyPair sender = X25519KeyPair::Generate(DefaultRng());
  std::vector<X25519KeyPair> keys;
  std::vector<PublicKey> publics;
  std::vector<std::uint8_t> alert = std::vector<std::uint8_t>(512, 'a');
};

void SealRows(int runs, std::size_t n) {
  Fixture f(n);
  const auto noop = [] {};
  StaticDhCache cache;
  auto seal = [&](unsigned threads, StaticDhCache* c) {
    Require(SealV2(f.sender, f.publics, f.alert, DefaultRng(), {threads, c}).ok(), "seal");
  };
  const double x25519 = MedianMs(runs, noop, [&] {
    std::uint8_t out[32];
    for (const auto& k : f.publics) Require(X25519(f.sender.private_key(), k, out).ok(), "dh");
  });
  std::printf("| %zu X25519 alone (floor), 1 thread | %.1f ms |\n", n, x25519);
  std::printf("| seal v2 for %zu, cold cache, 1 thread | %.1f ms |\n", n,
              MedianMs(runs, noop, [&] { seal(1, nullptr); }));
  seal(1, &cache);  // warm the cache: every contact's static DH is known
  std::printf("| seal v2 for %zu, warm cache, 1 thread | %.1f ms |\n", n,
              MedianMs(runs, noop, [&] { seal(1, &cache); }));
  std::printf("| seal v2 for %zu, warm cache, 2 threads | %.1f ms |\n", n,
              MedianMs(runs, noop, [&] { seal(2, &cache); }));
}

void OpenRows(int runs) {
  Fixture f(1);
  auto sealed = SealV2(f.sender, f.publics, f.alert, DefaultRng()).value();
  const X25519KeyPair* keys[] = {&f.keys[0]};
  constexpr int kOps = 1000;
  const double open_ms = MedianMs(
      runs, [] {},
      [&] {
        for (int i = 0; i < kOps; ++i)
          Require(OpenV2(keys, sealed.blob, sealed.views[0]).ok(), "open");
      });
  std::printf("| open one v2 view (512 B alert) | %.1f µs |\n", open_ms * 1000 / kOps);
  const double v1_ms = MedianMs(
      runs, [] {},
      [&] {
        for (int i = 0; i < kOps; ++i) {
          auto s = SealV1(f.sender, f.publics[0], f.alert, DefaultRng());
          Require(s.ok() && OpenV1(keys, *s).ok(), "v1");
        }
      });
  std::printf("| v1 seal + open (512 B, no cache) | %.1f µs |\n", v1_ms * 1000 / kOps);
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  std::printf("Sealed sender, median of %d runs\n\n| scenario | median |\n|---|---|\n", runs);
  SealRows(runs, 1000);
  SealRows(runs, 10000);
  OpenRows(runs);
  return 0;
}
