// Sealed sender v1 (SPEC.md section 10.2).
#include <sodium.h>

#include <algorithm>

#include "crypto/padding.h"
#include "crypto/sealed_common.h"
#include "crypto/sealed_sender.h"

namespace tocsin::crypto {
namespace {

constexpr std::string_view kEphemeralLabel = "tocsin/ss1/ephemeral";
constexpr std::string_view kStaticLabel = "tocsin/ss1/static";

// HKDF(salt = label || R.pub || e.pub, ikm = DH(e, R)) -> chain (32) || k1 (32) || n1 (24).
struct EphemeralKeys {
  std::uint8_t bytes[32 + kAeadKeySize + kAeadNonceSize];
  ~EphemeralKeys() { sodium_memzero(bytes, sizeof bytes); }
  std::span<const std::uint8_t, 32> chain() const { return std::span(bytes).first<32>(); }
  std::span<const std::uint8_t, kAeadKeySize> key() const {
    return std::span(bytes).subspan<32, kAeadKeySize>();
  }
  std::span<const std::uint8_t, kAeadNonceSize> nonce() const {
    return std::span(bytes).subspan<32 + kAeadKeySize, kAeadNonceSize>();
  }
};

// HKDF(salt = chain || enc_static, ikm = DH(S, R), info = label) -> k2 (32) || n2 (24).
struct StaticKeys {
  std::uint8_t bytes[kAeadKeySize + kAeadNonceSize];
  ~StaticKeys() { sodium_memzero(bytes, sizeof bytes); }
  std::span<const std::uint8_t, kAeadKeySize> key() const {
    return std::span(bytes).first<kAeadKeySize>();
  }
  std::span<const std::uint8_t, kAeadNonceSize> nonce() const {
    return std::span(bytes).subspan<kAeadKeySize, kAeadNonceSize>();
  }
};

void DeriveEphemeral(std::span<const std::uint8_t, kX25519Size> dh, PublicKeyView recipient,
                     PublicKeyView ephemeral_public, EphemeralKeys& out) {
  std::uint8_t salt[kEphemeralLabel.size() + 2 * kX25519Size];
  std::copy(kEphemeralLabel.begin(), kEphemeralLabel.end(), salt);
  std::copy(recipient.begin(), recipient.end(), salt + kEphemeralLabel.size());
  std::copy(ephemeral_public.begin(), ephemeral_public.end(),
            salt + kEphemeralLabel.size() + kX25519Size);
  HkdfSha256(salt, dh, {}, out.bytes);
}

void DeriveStatic(std::span<const std::uint8_t, kX25519Size> dh, const EphemeralKeys& eph,
                  ByteView enc_static, StaticKeys& out) {
  std::uint8_t salt[32 + kX25519Size + kAeadTagSize];
  std::copy(eph.chain().begin(), eph.chain().end(), salt);
  std::copy(enc_static.begin(), enc_static.end(), salt + 32);
  HkdfSha256(salt, dh, {AsBytes(kStaticLabel)}, out.bytes);
  sodium_memzero(salt, sizeof salt);
}

}  // namespace

namespace sealed_internal {

Result<std::vector<std::uint8_t>> SealV1Raw(std::span<const std::uint8_t, kX25519Size> ephemeral,
                                            PublicKeyView claimed_sender,
                                            std::span<const std::uint8_t, kX25519Size> static_dh,
                                            PublicKeyView recipient, ByteView content) {
  std::vector<std::uint8_t> padded;
  TOCSIN_RETURN_IF_ERROR(AppendPadded(content, padded));
  const PublicKey e_public = X25519Base(ephemeral);
  std::uint8_t dh[kX25519Size];
  Status status = X25519(ephemeral, recipient, dh);
  if (!status.ok()) return status;
  EphemeralKeys eph;
  DeriveEphemeral(dh, recipient, e_public, eph);
  sodium_memzero(dh, sizeof dh);

  std::vector<std::uint8_t> out;
  out.reserve(kV1HeaderSize + padded.size() + kAeadTagSize);
  out.push_back(kSealedV1);
  out.insert(out.end(), e_public.begin(), e_public.end());
  const ByteView header_ad(out.data(), 1 + kX25519Size);
  // ad of enc_static = version || e.pub (copied: `out` grows below).
  std::vector<std::uint8_t> ad(header_ad.begin(), header_ad.end());
  sealed_detail::AppendSealed(eph.key(), eph.nonce(), claimed_sender, ad, out);

  StaticKeys keys;
  DeriveStatic(static_dh, eph, ByteView(out).subspan(1 + kX25519Size), keys);
  ad.assign(out.begin(), out.end());  // body ad = version || e.pub || enc_static
  sealed_detail::AppendSealed(keys.key(), keys.nonce(), padded, ad, out);
  sodium_memzero(padded.data(), padded.size());
  return out;
}

}  // namespace sealed_internal

Result<std::vector<std::uint8_t>> SealV1(const X25519KeyPair& sender, PublicKeyView recipient,
                                         ByteView content, Rng& rng, StaticDhCache* cache) {
  WipedArray<kX25519Size> ephemeral;
  rng.Fill(ephemeral.span());
  std::uint8_t static_dh[kX25519Size];
  Status status = sealed_detail::StaticDh(sender, recipient, cache, static_dh);
  if (!status.ok()) return status;
  auto sealed = sealed_internal::SealV1Raw(ephemeral.span().first<kX25519Size>(),
                                           sender.public_key(), static_dh, recipient, content);
  sodium_memzero(static_dh, sizeof static_dh);
  return sealed;
}

namespace {

// Finds the recipient key this envelope was sealed to and opens enc_static with it.
Status OpenHeader(std::span<const X25519KeyPair* const> recipient_keys, ByteView sealed,
                  const X25519KeyPair*& key_used, EphemeralKeys& eph, PublicKey& sender) {
  const PublicKeyView e_public = sealed.subspan<1, kX25519Size>();
  const ByteView enc_static = sealed.subspan(1 + kX25519Size, kX25519Size + kAeadTagSize);
  const ByteView ad = sealed.first(1 + kX25519Size);
  for (const X25519KeyPair* key : recipient_keys) {
    std::uint8_t dh[kX25519Size];
    if (!X25519(key->private_key(), e_public, dh).ok()) {
      return Status::CryptoFailure("sealed v1: low-order ephemeral key");
    }
    DeriveEphemeral(dh, key->public_key(), e_public, eph);
    sodium_memzero(dh, sizeof dh);
    if (sealed_detail::OpenSealed(eph.key(), eph.nonce(), enc_static, ad, sender).ok()) {
      key_used = key;
      return Status::Ok();
    }
  }
  return Status::CryptoFailure("sealed v1: not sealed to any of our envelope keys");
}

}  // namespace

Result<OpenedEnvelope> OpenV1(std::span<const X25519KeyPair* const> recipient_keys, ByteView sealed,
                              StaticDhCache* cache) {
  if (sealed.size() < kV1HeaderSize + kAeadTagSize) {
    return Status::CryptoFailure("sealed v1: truncated");
  }
  if (sealed[0] != kSealedV1) return Status::CryptoFailure("sealed v1: wrong version");
  const X25519KeyPair* key = nullptr;
  EphemeralKeys eph;
  OpenedEnvelope opened;
  TOCSIN_RETURN_IF_ERROR(OpenHeader(recipient_keys, sealed, key, eph, opened.sender));

  std::uint8_t static_dh[kX25519Size];
  Status status = sealed_detail::OpeningStaticDh(*key, opened.sender, cache, static_dh);
  if (!status.ok()) return Status::CryptoFailure("sealed v1: low-order sender key");
  StaticKeys keys;
  DeriveStatic(static_dh, eph, sealed.subspan(1 + kX25519Size, kX25519Size + kAeadTagSize), keys);
  sodium_memzero(static_dh, sizeof static_dh);

  const ByteView body = sealed.subspan(kV1HeaderSize);
  std::vector<std::uint8_t> padded(body.size() - kAeadTagSize);
  TOCSIN_RETURN_IF_ERROR(sealed_detail::OpenSealed(keys.key(), keys.nonce(), body,
                                                   sealed.first(kV1HeaderSize), padded));
  auto content = sealed_detail::TakeUnpadded(padded, 0);
  if (!content.ok()) return content.status();
  opened.content = std::move(content).value();
  return opened;
}

}  // namespace tocsin::crypto
