#include "crypto/signal_keys.h"

#include <signal/key_helper.h>
#include <signal/ratchet.h>
#include <signal/session_pre_key.h>
#include <sodium.h>

#include <algorithm>

namespace tocsin::crypto {

SerializedPublicKey SerializePublicKey(PublicKeyView key) {
  SerializedPublicKey out;
  out[0] = kDjbKeyType;
  std::copy(key.begin(), key.end(), out.begin() + 1);
  return out;
}

Result<PublicKey> ParsePublicKey(std::span<const std::uint8_t> serialized) {
  if (serialized.size() != kSerializedPublicKeySize || serialized[0] != kDjbKeyType) {
    return Status::InvalidArgument("public key is not 0x05 || 32 bytes");
  }
  PublicKey key;
  std::copy(serialized.begin() + 1, serialized.end(), key.begin());
  return key;
}

// ---------------------------------------------------------------- libsignal objects

Result<SignalRef<ec_public_key>> ToSignalPublicKey(const SignalContext& context,
                                                   PublicKeyView key) {
  const SerializedPublicKey serialized = SerializePublicKey(key);
  SignalRef<ec_public_key> out;
  const int result =
      curve_decode_point(out.out(), serialized.data(), serialized.size(), context.get());
  if (result < 0) return SignalError(result, "decode public key");
  return out;
}

Result<SignalRef<ec_private_key>> ToSignalPrivateKey(const SignalContext& context,
                                                     const X25519KeyPair& pair) {
  std::uint8_t scalar[kX25519Size];
  std::copy(pair.private_key().begin(), pair.private_key().end(), scalar);
  ClampScalar(scalar);
  SignalRef<ec_private_key> out;
  const int result = curve_decode_private_point(out.out(), scalar, sizeof scalar, context.get());
  sodium_memzero(scalar, sizeof scalar);
  if (result < 0) return SignalError(result, "decode private key");
  return out;
}

Result<SignalRef<ratchet_identity_key_pair>> ToSignalIdentity(const SignalContext& context,
                                                              const X25519KeyPair& pair) {
  auto public_key = ToSignalPublicKey(context, pair.public_key());
  if (!public_key.ok()) return public_key.status();
  auto private_key = ToSignalPrivateKey(context, pair);
  if (!private_key.ok()) return private_key.status();
  SignalRef<ratchet_identity_key_pair> out;
  // The pair takes its own references to both keys.
  const int result =
      ratchet_identity_key_pair_create(out.out(), public_key->get(), private_key->get());
  if (result < 0) return SignalError(result, "make identity key pair");
  return out;
}

Result<PublicKey> FromSignalPublicKey(const ec_public_key* key) {
  SignalBuffer serialized;
  const int result = ec_public_key_serialize(serialized.out(), key);
  if (result < 0) return SignalError(result, "serialize public key");
  return ParsePublicKey(serialized.span());
}

Result<X25519KeyPair> FromSignalKeyPair(const ec_public_key* public_key,
                                        const ec_private_key* private_key) {
  SignalBuffer scalar;
  int result = ec_private_key_serialize(scalar.out(), private_key);
  if (result < 0) return SignalError(result, "serialize private key");
  auto pair = X25519KeyPair::FromPrivate(scalar.span());
  if (!pair.ok()) return pair.status();
  auto expected = FromSignalPublicKey(public_key);
  if (!expected.ok()) return expected.status();
  // Both libraries compute X25519 of the base point: they must agree.
  if (*expected != pair->public_key()) return Status::Internal("libsignal key pair mismatch");
  return pair;
}

// ---------------------------------------------------------------- Generation

Result<X25519KeyPair> GenerateIdentityKeyPair(const SignalContext& context) {
  auto lock = context.Lock();
  SignalRef<ratchet_identity_key_pair> pair;
  const int result =
      signal_protocol_key_helper_generate_identity_key_pair(pair.out(), context.get());
  if (result < 0) return SignalError(result, "generate identity key");
  return FromSignalKeyPair(ratchet_identity_key_pair_get_public(pair.get()),
                           ratchet_identity_key_pair_get_private(pair.get()));
}

Result<std::uint32_t> GenerateRegistrationId(const SignalContext& context) {
  auto lock = context.Lock();
  std::uint32_t id = 0;
  const int result = signal_protocol_key_helper_generate_registration_id(&id, 0, context.get());
  if (result < 0) return SignalError(result, "generate registration id");
  return id;
}

Result<SignedPreKey> GenerateSignedPreKey(const SignalContext& context,
                                          const X25519KeyPair& identity, std::uint32_t id,
                                          std::uint64_t now_ms) {
  auto lock = context.Lock();
  auto signal_identity = ToSignalIdentity(context, identity);
  if (!signal_identity.ok()) return signal_identity.status();
  SignalRef<session_signed_pre_key> key;
  int result = signal_protocol_key_helper_generate_signed_pre_key(key.out(), signal_identity->get(),
                                                                  id, now_ms, context.get());
  if (result < 0) return SignalError(result, "generate signed pre-key");
  SignedPreKey out;
  out.id = id;
  out.timestamp_ms = now_ms;
  auto public_key =
      FromSignalPublicKey(ec_key_pair_get_public(session_signed_pre_key_get_key_pair(key.get())));
  if (!public_key.ok()) return public_key.status();
  out.public_key = *public_key;
  if (session_signed_pre_key_get_signature_len(key.get()) != kXeddsaSignatureSize) {
    return Status::Internal("signed pre-key signature size");
  }
  const std::uint8_t* signature = session_signed_pre_key_get_signature(key.get());
  std::copy(signature, signature + kXeddsaSignatureSize, out.signature.begin());
  SignalBuffer record;
  result = session_signed_pre_key_serialize(record.out(), key.get());
  if (result < 0) return SignalError(result, "serialize signed pre-key");
  out.record.assign(record.span().begin(), record.span().end());
  return out;
}

namespace {

Result<PreKey> GeneratePreKey(const SignalContext& context, std::uint32_t id) {
  SignalRef<ec_key_pair> pair;
  int result = curve_generate_key_pair(context.get(), pair.out());
  if (result < 0) return SignalError(result, "generate pre-key");
  SignalRef<session_pre_key> key;
  result = session_pre_key_create(key.out(), id, pair.get());
  if (result < 0) return SignalError(result, "make pre-key");
  PreKey out;
  out.id = id;
  auto public_key = FromSignalPublicKey(ec_key_pair_get_public(pair.get()));
  if (!public_key.ok()) return public_key.status();
  out.public_key = *public_key;
  SignalBuffer record;
  result = session_pre_key_serialize(record.out(), key.get());
  if (result < 0) return SignalError(result, "serialize pre-key");
  out.record.assign(record.span().begin(), record.span().end());
  return out;
}

}  // namespace

Result<PreKeyIdRange> PreKeyIdRangeForSlot(std::uint32_t slot) {
  if (slot >= kPreKeyIdSlots) return Status::InvalidArgument("pre-key id slot out of range");
  return PreKeyIdRange{slot * kPreKeyIdSlotSpacing + 1, kPreKeyIdSlotSize};
}

Result<std::vector<PreKey>> GeneratePreKeys(const SignalContext& context,
                                            const PreKeyIdRange& range, std::uint32_t start,
                                            std::uint32_t count) {
  if (!range.Contains(start) || count == 0 || count > range.size) {
    return Status::InvalidArgument("pre-key ids outside their range");
  }
  auto lock = context.Lock();
  std::vector<PreKey> keys;
  keys.reserve(count);
  for (std::uint32_t i = 0, id = start; i < count; ++i, id = range.Next(id)) {
    auto key = GeneratePreKey(context, id);
    if (!key.ok()) return key.status();
    keys.push_back(std::move(key).value());
  }
  return keys;
}

}  // namespace tocsin::crypto
