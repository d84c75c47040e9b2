// Signal layer benchmark: medians of several runs, printed as a Markdown table for
// docs/PERFORMANCE.md. `tocsin_signal_bench [runs]` (default 7). Wall and thread CPU time
// per operation: on a shared machine the gap between them is time the cores spent elsewhere.
//
// Scenarios, each over the real libsignal with our OpenSSL provider and in-memory stores:
// pairwise encrypt + decrypt of a 100-byte content on an established session (symmetric
// ratchet only); a message that triggers a DH ratchet step (the two devices take turns,
// so every message starts a new chain: key generation and two X25519 in libsignal's own
// curve code); group (sender key) encrypt, and decrypt at one member.
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "crypto/signal_context.h"
#include "crypto/signal_group.h"
#include "crypto/signal_keys.h"
#include "crypto/signal_memory_store.h"
#include "crypto/signal_session.h"
#include "crypto/signal_store_context.h"

namespace {

using namespace tocsin::crypto;
using Clock = std::chrono::steady_clock;

constexpr int kOps = 1000;
constexpr int kRatchetOps = 200;

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark failed: %s\n", what);
    std::exit(1);
  }
}

template <typename T>
T Take(tocsin::Result<T> result, const char* what) {
  if (!result.ok()) std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
  Require(result.ok(), what);
  return std::move(result).value();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// CPU time of this thread: on a shared machine, wall time also counts the time other
// processes held the cores, CPU time does not.
double ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

struct Timing {
  double wall_us;  // median wall time per operation
  double cpu_us;   // median CPU time per operation
};

// Medians over `runs` of the time per operation of `work`, which does `ops` of them
// (after an untimed `setup` before each run).
Timing Measure(int runs, int ops, const std::function<void()>& setup,
               const std::function<void()>& work) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < runs; ++i) {
    setup();
    const auto start = Clock::now();
    const double cpu_start = ThreadCpuMicros();
    work();
    cpu.push_back((ThreadCpuMicros() - cpu_start) / ops);
    wall.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() / ops);
  }
  return {Median(wall), Median(cpu)};
}

void Row(const char* scenario, Timing timing) {
  std::printf("| %s | %.1f µs | %.1f µs |\n", scenario, timing.wall_us, timing.cpu_us);
}

struct Device {
  explicit Device(std::string name) : address{std::move(name), 1} {
    context = Take(SignalContext::Create(DefaultRng()), "context");
    store = std::make_unique<InMemorySignalStore>(Take(GenerateIdentityKeyPair(*context), "id"),
                                                  Take(GenerateRegistrationId(*context), "reg"));
    signal = Take(SignalStoreContext::Create(context, store->stores()), "store");
    signed_pre_key = Take(GenerateSignedPreKey(*context, store->GetIdentityKeyPair(), 1, 0), "spk");
    Require(store->StoreSignedPreKey(1, signed_pre_key.record).ok(), "store spk");
  }

  PreKeyBundle Bundle() {
    PreKeyBundle bundle;
    bundle.registration_id = store->GetLocalRegistrationId();
    bundle.identity_key = store->GetIdentityKeyPair().public_key();
    bundle.signed_pre_key_id = signed_pre_key.id;
    bundle.signed_pre_key = signed_pre_key.public_key;
    bundle.signed_pre_key_signature = signed_pre_key.signature;
    return bundle;
  }

  Address address;
  std::shared_ptr<SignalContext> context;
  std::unique_ptr<InMemorySignalStore> store;
  std::unique_ptr<SignalStoreContext> signal;
  SignedPreKey signed_pre_key;
};

// Alice and Bob with an established session (each has sent and received once).
struct Pair {
  Pair() {
    Require(ProcessPreKeyBundle(*alice.signal, bob.address, bob.Bundle()).ok(), "bundle");
    Exchange(alice_cipher, bob_cipher);
    Exchange(bob_cipher, alice_cipher);
  }
  static void Exchange(PairwiseCipher& from, PairwiseCipher& to) {
    const std::vector<std::uint8_t> content(100, 'x');
    auto message = Take(from.Encrypt(content), "encrypt");
    Require(Take(to.Decrypt(message.type, message.bytes), "decrypt") == content, "round trip");
  }
  Device alice{"alice"}, bob{"bob"};
  PairwiseCipher alice_cipher = Take(PairwiseCipher::Create(*alice.signal, bob.address), "cipher");
  PairwiseCipher bob_cipher = Take(PairwiseCipher::Create(*bob.signal, alice.address), "cipher");
};

void PairwiseRows(int runs) {
  Pair p;
  const auto none = [] {};
  const Timing one_way = Measure(runs, kOps, none, [&] {
    for (int i = 0; i < kOps; ++i) Pair::Exchange(p.alice_cipher, p.bob_cipher);
  });
  const Timing ratchet = Measure(runs, 2 * kRatchetOps, none, [&] {
    for (int i = 0; i < kRatchetOps; ++i) {
      Pair::Exchange(p.alice_cipher, p.bob_cipher);
      Pair::Exchange(p.bob_cipher, p.alice_cipher);
    }
  });
  Row("Signal pairwise encrypt + decrypt, 100 B", one_way);
  Row("Signal message with a DH ratchet step (encrypt + decrypt)", ratchet);
}

void GroupRows(int runs) {
  Device alice("alice"), bob("bob");
  const SenderKeyName name{"group", alice.address};
  const auto distribution = Take(CreateSenderKeyDistribution(*alice.signal, name), "dist");
  Require(ProcessSenderKeyDistribution(*bob.signal, name, distribution).ok(), "process");
  auto sender = Take(GroupCipher::Create(*alice.signal, name), "sender");
  auto receiver = Take(GroupCipher::Create(*bob.signal, name), "receiver");
  const std::vector<std::uint8_t> content(100, 'g');
  std::vector<SignalCiphertext> sent;
  auto encrypt_all = [&] {
    sent.clear();
    for (int i = 0; i < kOps; ++i) sent.push_back(Take(sender.Encrypt(content), "group encrypt"));
  };
  // Each run decrypts, in order, a fresh batch encrypted before the clock starts. Measured
  // first: a receiver may not fall more than 2,000 messages behind its sender.
  const Timing decrypt = Measure(runs, kOps, encrypt_all, [&] {
    for (const auto& message : sent) Require(receiver.Decrypt(message.bytes).ok(), "decrypt");
  });
  const auto none = [] {};
  Row("Signal group (sender key) encrypt, 100 B", Measure(runs, kOps, none, encrypt_all));
  Row("Signal group (sender key) decrypt, 100 B", decrypt);
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  std::printf("Signal layer, median of %d runs\n\n| scenario | wall | CPU |\n|---|---|---|\n",
              runs);
  PairwiseRows(runs);
  GroupRows(runs);
  return 0;
}
