#include "crypto/signal_xeddsa.h"

#include <signal/curve.h>

#include <algorithm>

#include "crypto/kdf.h"

namespace tocsin::crypto {
namespace {

void AppendBigEndian(std::vector<std::uint8_t>& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

}  // namespace

Result<XeddsaSignature> XeddsaSign(const SignalContext& context, const X25519KeyPair& identity,
                                   std::span<const std::uint8_t> message) {
  auto lock = context.Lock();
  auto private_key = ToSignalPrivateKey(context, identity);
  if (!private_key.ok()) return private_key.status();
  SignalBuffer signature;
  const int result = curve_calculate_signature(context.get(), signature.out(), private_key->get(),
                                               message.data(), message.size());
  if (result < 0) return SignalError(result, "sign");
  if (signature.span().size() != kXeddsaSignatureSize) return Status::Internal("signature size");
  XeddsaSignature out;
  std::copy(signature.span().begin(), signature.span().end(), out.begin());
  return out;
}

Status XeddsaVerify(const SignalContext& context, PublicKeyView identity,
                    std::span<const std::uint8_t> message,
                    std::span<const std::uint8_t> signature) {
  if (signature.size() != kXeddsaSignatureSize) {
    return Status::CryptoFailure("signature is not 64 bytes");
  }
  auto public_key = ToSignalPublicKey(context, identity);
  if (!public_key.ok()) return public_key.status();
  // 1 valid, 0 invalid, negative on a malformed input: only 1 passes.
  const int result = curve_verify_signature(public_key->get(), message.data(), message.size(),
                                            signature.data(), signature.size());
  return result == 1 ? Status::Ok() : Status::CryptoFailure("bad signature");
}

std::vector<std::uint8_t> EnvelopeKeySignedBytes(std::uint32_t key_id, std::uint64_t created_ms,
                                                 PublicKeyView public_key) {
  std::vector<std::uint8_t> out(AsBytes(kEnvelopeKeyLabel).begin(),
                                AsBytes(kEnvelopeKeyLabel).end());
  out.reserve(kEnvelopeKeyLabel.size() + 4 + 8 + kX25519Size);
  AppendBigEndian(out, key_id, 4);
  AppendBigEndian(out, created_ms, 8);
  out.insert(out.end(), public_key.begin(), public_key.end());
  return out;
}

Result<XeddsaSignature> SignEnvelopeKey(const SignalContext& context, const X25519KeyPair& identity,
                                        std::uint32_t key_id, std::uint64_t created_ms,
                                        PublicKeyView public_key) {
  return XeddsaSign(context, identity, EnvelopeKeySignedBytes(key_id, created_ms, public_key));
}

Status VerifyEnvelopeKey(const SignalContext& context, PublicKeyView identity, std::uint32_t key_id,
                         std::uint64_t created_ms, PublicKeyView public_key,
                         std::span<const std::uint8_t> signature) {
  return XeddsaVerify(context, identity, EnvelopeKeySignedBytes(key_id, created_ms, public_key),
                      signature)
      .Annotate("envelope key");
}

}  // namespace tocsin::crypto
