// Two deterministic Signal devices for the content fuzz target and the seed maker:
// Alice has started a session with Bob from his bundle and distributed her sender key
// for one group to him. Built the same way every time, so that Alice's seed messages
// decrypt at every fresh Bob.
#ifndef TOCSIN_TESTS_FUZZ_SIGNAL_RIG_H_
#define TOCSIN_TESTS_FUZZ_SIGNAL_RIG_H_

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "crypto/random.h"
#include "crypto/signal_context.h"
#include "crypto/signal_group.h"
#include "crypto/signal_keys.h"
#include "crypto/signal_memory_store.h"
#include "crypto/signal_session.h"
#include "crypto/signal_store_context.h"

namespace tocsin::fuzz {

template <typename T>
T OrAbort(Result<T> result) {
  if (!result.ok()) std::abort();
  return std::move(result).value();
}

inline void OrAbort(const Status& status) {
  if (!status.ok()) std::abort();
}

inline constexpr char kGroupId[] = "fuzz-group-00001";

struct Device {
  Device(std::string name, std::uint8_t seed) : rng(seed), address{std::move(name), 1} {
    context = OrAbort(crypto::SignalContext::Create(rng));
    store = std::make_unique<crypto::InMemorySignalStore>(
        OrAbort(crypto::GenerateIdentityKeyPair(*context)),
        OrAbort(crypto::GenerateRegistrationId(*context)));
    signal = OrAbort(crypto::SignalStoreContext::Create(context, store->stores()));
    signed_prekey = OrAbort(
        crypto::GenerateSignedPreKey(*context, store->GetIdentityKeyPair(), 7, 1'700'000'000'000));
    OrAbort(store->StoreSignedPreKey(signed_prekey.id, signed_prekey.record));
    const auto range = OrAbort(crypto::PreKeyIdRangeForSlot(0));
    prekey = std::move(OrAbort(crypto::GeneratePreKeys(*context, range, range.first, 1))[0]);
    OrAbort(store->StorePreKey(prekey.id, prekey.record));
  }

  crypto::PreKeyBundle Bundle() const {
    crypto::PreKeyBundle bundle;
    bundle.registration_id = store->GetLocalRegistrationId();
    bundle.device_id = address.device_id;
    bundle.identity_key = store->GetIdentityKeyPair().public_key();
    bundle.signed_pre_key_id = signed_prekey.id;
    bundle.signed_pre_key = signed_prekey.public_key;
    bundle.signed_pre_key_signature = signed_prekey.signature;
    bundle.one_time = crypto::PreKeyBundle::OneTime{prekey.id, prekey.public_key};
    return bundle;
  }

  crypto::DeterministicRng rng;  // first: outlives the context that draws from it
  crypto::Address address;
  std::shared_ptr<crypto::SignalContext> context;
  std::unique_ptr<crypto::InMemorySignalStore> store;
  std::unique_ptr<crypto::SignalStoreContext> signal;  // destroyed before the store
  crypto::SignedPreKey signed_prekey;
  crypto::PreKey prekey;
};

struct SignalRig {
  SignalRig() : alice("alice", 1), bob("bob", 2) {
    OrAbort(crypto::ProcessPreKeyBundle(*alice.signal, bob.address, bob.Bundle()));
    const crypto::SenderKeyName name{kGroupId, alice.address};
    const auto distribution = OrAbort(crypto::CreateSenderKeyDistribution(*alice.signal, name));
    OrAbort(crypto::ProcessSenderKeyDistribution(*bob.signal, name, distribution));
  }
  crypto::SenderKeyName AliceGroup() const { return {kGroupId, alice.address}; }

  Device alice;
  Device bob;
};

}  // namespace tocsin::fuzz

#endif  // TOCSIN_TESTS_FUZZ_SIGNAL_RIG_H_
