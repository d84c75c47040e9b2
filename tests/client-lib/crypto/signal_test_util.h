// A simulated device for the Signal layer tests: its own SignalContext (with a
// deterministic Rng), an InMemorySignalStore, a store context, and published pre-keys.
#ifndef TOCSIN_TESTS_SIGNAL_TEST_UTIL_H_
#define TOCSIN_TESTS_SIGNAL_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/random.h"
#include "crypto/signal_context.h"
#include "crypto/signal_group.h"
#include "crypto/signal_keys.h"
#include "crypto/signal_memory_store.h"
#include "crypto/signal_session.h"
#include "crypto/signal_store_context.h"
#include "test_bytes.h"

namespace tocsin::testing {

// `prefix` then the numbers, dot-separated: Numbered("turn ", {2, 1}) is "turn 2.1". Built
// with append: g++ 12 warns falsely (-Wrestrict) on "literal" + std::string.
inline std::string Numbered(std::string_view prefix, std::initializer_list<int> numbers) {
  std::string out(prefix);
  const char* separator = "";
  for (int n : numbers) {
    out.append(separator).append(std::to_string(n));
    separator = ".";
  }
  return out;
}

template <typename T>
T Take(Result<T> result) {
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

inline void Check(const Status& status) {
  INFO(status.ToString());
  REQUIRE(status.ok());
}

class TestDevice {
 public:
  static constexpr std::uint32_t kSignedPreKeyId = 7;
  static constexpr std::uint64_t kNowMs = 1'700'000'000'000;

  // `seed` makes the device's randomness (and so its keys) reproducible.
  TestDevice(std::string name, std::uint8_t seed, std::uint32_t pre_keys = 4)
      : TestDevice(std::move(name), seed, nullptr, pre_keys) {}

  // A device on a context shared with others (as devices of one process would be).
  TestDevice(std::string name, std::shared_ptr<crypto::SignalContext> shared)
      : TestDevice(std::move(name), 0, std::move(shared), 4) {}

  const crypto::PublicKey& identity() { return store->GetIdentityKeyPair().public_key(); }

  // A bundle as a relay would hand it out: the next unused one-time pre-key, if any.
  crypto::PreKeyBundle Bundle(bool with_one_time = true) {
    crypto::PreKeyBundle bundle;
    bundle.registration_id = store->GetLocalRegistrationId();
    bundle.device_id = address.device_id;
    bundle.identity_key = identity();
    bundle.signed_pre_key_id = signed_pre_key_.id;
    bundle.signed_pre_key = signed_pre_key_.public_key;
    bundle.signed_pre_key_signature = signed_pre_key_.signature;
    if (with_one_time && next_pre_key_ < pre_keys_.size()) {
      const auto& key = pre_keys_[next_pre_key_++];
      bundle.one_time = crypto::PreKeyBundle::OneTime{key.id, key.public_key};
    }
    return bundle;
  }

  const std::vector<crypto::PreKey>& pre_keys() const { return pre_keys_; }

  crypto::PairwiseCipher CipherFor(const TestDevice& peer) {
    return Take(crypto::PairwiseCipher::Create(*signal, peer.address));
  }

  // Starts a session with `peer` from its bundle.
  void Meet(TestDevice& peer) {
    Check(crypto::ProcessPreKeyBundle(*signal, peer.address, peer.Bundle()));
  }

  crypto::DeterministicRng rng;  // first: outlives the context that draws from it
  crypto::Address address;
  std::shared_ptr<crypto::SignalContext> context;
  std::unique_ptr<crypto::InMemorySignalStore> store;
  std::unique_ptr<crypto::SignalStoreContext> signal;  // destroyed before the store

 private:
  TestDevice(std::string name, std::uint8_t seed, std::shared_ptr<crypto::SignalContext> shared,
             std::uint32_t pre_keys)
      : rng(seed), address{std::move(name), 1} {
    context = shared ? std::move(shared) : Take(crypto::SignalContext::Create(rng));
    auto identity = Take(crypto::GenerateIdentityKeyPair(*context));
    store = std::make_unique<crypto::InMemorySignalStore>(
        std::move(identity), Take(crypto::GenerateRegistrationId(*context)));
    signal = Take(crypto::SignalStoreContext::Create(context, store->stores()));
    Publish(pre_keys);
  }

  void Publish(std::uint32_t count) {
    signed_pre_key_ = Take(crypto::GenerateSignedPreKey(*context, store->GetIdentityKeyPair(),
                                                        kSignedPreKeyId, kNowMs));
    Check(store->StoreSignedPreKey(signed_pre_key_.id, signed_pre_key_.record));
    if (count == 0) return;
    const auto range = Take(crypto::PreKeyIdRangeForSlot(0));
    pre_keys_ = Take(crypto::GeneratePreKeys(*context, range, range.first, count));
    for (const auto& key : pre_keys_) Check(store->StorePreKey(key.id, key.record));
  }

  crypto::SignedPreKey signed_pre_key_;
  std::vector<crypto::PreKey> pre_keys_;
  std::size_t next_pre_key_ = 0;
};

// Encrypts `text` from `from` to `to` through a fresh cipher.
inline crypto::SignalCiphertext Send(TestDevice& from, const TestDevice& to,
                                     std::string_view text) {
  auto cipher = from.CipherFor(to);
  return Take(cipher.Encrypt(ToBytes(text)));
}

// Decrypts at `to` a message from `from`.
inline Result<Bytes> Receive(TestDevice& to, const TestDevice& from,
                             const crypto::SignalCiphertext& message,
                             const crypto::PlaintextCallback& on_plaintext = {}) {
  auto cipher = to.CipherFor(from);
  return cipher.Decrypt(message.type, message.bytes, on_plaintext);
}

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_SIGNAL_TEST_UTIL_H_
