// Keys for libsignal: identity key pair, registration id, signed and one-time pre-keys,
// and the two public-key forms.
//
// libsignal's Curve25519 keys are X25519 keys. Its identity key pair is therefore held
// as an X25519KeyPair (crypto/x25519.h), and the same key is sealed sender's static key
// S: S.pub is the identity key's 32 raw bytes. libsignal serialises a public key as
// 0x05 || 32 bytes (SerializedPublicKey): that form travels on the wire (relay.proto
// SignedPrekey, OneTimePrekey); our C++ API takes the 32-byte form everywhere else.
//
// One-time pre-key ids: libsignal's ids are 24-bit, and 0xFFFFFF means "none". A device
// gives each relay it keeps a mailbox on a disjoint range of ids (a slot), so the same id
// is never handed out by two relays: slot s (0..15) owns the ids
// s * 2^20 + 1 .. s * 2^20 + 2^20 - 2, and ids are used in a circle within the slot.
//
// Thread-safety: free functions; they take the SignalContext lock.
#ifndef TOCSIN_CRYPTO_SIGNAL_KEYS_H_
#define TOCSIN_CRYPTO_SIGNAL_KEYS_H_

#include <signal/signal_protocol.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "crypto/signal_context.h"
#include "crypto/signal_ptr.h"
#include "crypto/signal_store.h"
#include "crypto/x25519.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

inline constexpr std::uint8_t kDjbKeyType = 0x05;
inline constexpr std::size_t kSerializedPublicKeySize = 1 + kX25519Size;
using SerializedPublicKey = std::array<std::uint8_t, kSerializedPublicKeySize>;

inline constexpr std::size_t kXeddsaSignatureSize = 64;
using XeddsaSignature = std::array<std::uint8_t, kXeddsaSignatureSize>;

// 0x05 || key.
SerializedPublicKey SerializePublicKey(PublicKeyView key);
// The 32-byte key inside libsignal's form. kInvalidArgument unless `serialized` is 33
// bytes starting with 0x05.
Result<PublicKey> ParsePublicKey(std::span<const std::uint8_t> serialized);

// A fresh identity key pair, made by libsignal (its private key clamped) from the
// context's Rng. Done once, at init.
Result<X25519KeyPair> GenerateIdentityKeyPair(const SignalContext& context);

// A fresh registration id, 1..16380 (libsignal's small range). Done once, at init.
Result<std::uint32_t> GenerateRegistrationId(const SignalContext& context);

// A signed pre-key: its public half and signature go into PutPrekeys; `record` (holding
// the private key) goes into the SignedPreKeyStore under `id`.
struct SignedPreKey {
  std::uint32_t id = 0;
  std::uint64_t timestamp_ms = 0;
  PublicKey public_key{};
  XeddsaSignature signature{};  // XEdDSA by the identity key over SerializePublicKey(public)
  Record record;
};
// REQUIRES: `now_ms` comes from the caller's clock.
Result<SignedPreKey> GenerateSignedPreKey(const SignalContext& context,
                                          const X25519KeyPair& identity, std::uint32_t id,
                                          std::uint64_t now_ms);

// A one-time pre-key; `record` goes into the PreKeyStore under `id`.
struct PreKey {
  std::uint32_t id = 0;
  PublicKey public_key{};
  Record record;
};

inline constexpr std::uint32_t kPreKeyIdSlots = 16;
inline constexpr std::uint32_t kPreKeyIdSlotSpacing = 1u << 20;
inline constexpr std::uint32_t kPreKeyIdSlotSize = kPreKeyIdSlotSpacing - 2;

// The ids first .. first + size - 1.
struct PreKeyIdRange {
  std::uint32_t first = 0;
  std::uint32_t size = 0;
  bool Contains(std::uint32_t id) const { return id >= first && id - first < size; }
  // The id after `id`, wrapping to `first` at the end of the range.
  // REQUIRES: Contains(id).
  std::uint32_t Next(std::uint32_t id) const { return id - first + 1 == size ? first : id + 1; }
};

// The range of slot `slot`. kInvalidArgument when slot >= kPreKeyIdSlots.
Result<PreKeyIdRange> PreKeyIdRangeForSlot(std::uint32_t slot);

// `count` fresh pre-keys with ids `start`, range.Next(start), ... (wrapping in `range`).
// kInvalidArgument unless range.Contains(start) and 0 < count <= range.size.
Result<std::vector<PreKey>> GeneratePreKeys(const SignalContext& context,
                                            const PreKeyIdRange& range, std::uint32_t start,
                                            std::uint32_t count);

// A pre-key bundle as fetched from a relay (relay.proto PrekeyBundle) with the identity
// key from the contact card; keys in the 32-byte form (ParsePublicKey the wire form).
struct PreKeyBundle {
  std::uint32_t registration_id = 0;
  std::int32_t device_id = 1;
  PublicKey identity_key{};
  std::uint32_t signed_pre_key_id = 0;
  PublicKey signed_pre_key{};
  XeddsaSignature signed_pre_key_signature{};
  struct OneTime {
    std::uint32_t id = 0;
    PublicKey key{};
  };
  std::optional<OneTime> one_time;  // absent when the relay has none left
};

// ---------------------------------------------------------------- libsignal objects
// For the other signal_* files: our key forms as libsignal objects, and back.

Result<SignalRef<ec_public_key>> ToSignalPublicKey(const SignalContext& context, PublicKeyView key);
// The private key clamped (libsignal's XEdDSA uses the scalar as it is given).
Result<SignalRef<ec_private_key>> ToSignalPrivateKey(const SignalContext& context,
                                                     const X25519KeyPair& pair);
Result<SignalRef<ratchet_identity_key_pair>> ToSignalIdentity(const SignalContext& context,
                                                              const X25519KeyPair& pair);
Result<PublicKey> FromSignalPublicKey(const ec_public_key* key);
Result<X25519KeyPair> FromSignalKeyPair(const ec_public_key* public_key,
                                        const ec_private_key* private_key);

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_KEYS_H_
