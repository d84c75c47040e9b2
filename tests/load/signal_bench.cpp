// Signal layer benchmark: medians of several runs, printed as a Markdown table for
// docs/PERFORMANCE.md. `tocsin_signal_bench [runs]` (default 7).
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

// Median over `runs` of the time per operation in µs of `work`, which does `ops` of them
// (after an untimed `setup` before each run).
double MedianMicros(int runs, int ops, const std::function<void()>& setup,
                    const std::function<void()>& work) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    setup();
    const auto start = Clock::now();
    work();
    times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() / ops);
  }
  return Median(times);
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
  const double one_way = MedianMicros(runs, kOps, none, [&] {
    for (int i = 0; i < kOps; ++i) Pair::Exchange(p.alice_cipher, p.bob_cipher);
  });
  std::printf("| Signal pairwise encrypt + decrypt, 100 B | %.1f µs |\n", one_way);
  const double ratchet = MedianMicros(runs, 2 * kRatchetOps, none, [&] {
    for (int i = 0; i < kRatchetOps; ++i) {
      Pair::Exchange(p.alice_cipher, p.bob_cipher);
      Pair::Exchange(p.bob_cipher, p.alice_cipher);
    }
  });
  std::printf("| Signal message with a DH ratchet step (encrypt + decrypt) | %.1f µs |\n", ratchet);
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
  const double decrypt = MedianMicros(runs, kOps, encrypt_all, [&] {
    for (const auto& message : sent) Require(receiver.Decrypt(message.bytes).ok(), "decrypt");
  });
  const double encrypt = MedianMicros(
      runs, kOps, [] {}, encrypt_all);
  std::printf("| Signal group (sender key) encrypt, 100 B | %.1f µs |\n", encrypt);
  std::printf("| Signal group (sender key) decrypt, 100 B | %.1f µs |\n", decrypt);
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  std::printf("Signal layer, median of %d runs\n\n| scenario | median |\n|---|---|\n", runs);
  PairwiseRows(runs);
  GroupRows(runs);
  return 0;
}
