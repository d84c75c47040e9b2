// Sealed sender v2 (SPEC.md section 10.3): one body for many recipients.
#include <sodium.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "crypto/padding.h"
#include "crypto/sealed_common.h"
#include "crypto/sealed_sender.h"

namespace tocsin::crypto {
namespace {

constexpr std::string_view kELabel = "tocsin/ss2/e";
constexpr std::string_view kKLabel = "tocsin/ss2/k";
constexpr std::string_view kCLabel = "tocsin/ss2/c";
constexpr std::string_view kAtLabel = "tocsin/ss2/at";
constexpr std::uint8_t kVersion[1] = {kSealedV2};

// HKDF(ikm = DH(e, R_i), info = label || E.pub || R_i.pub), 32 bytes: the mask of M.
void DeriveMask(std::span<const std::uint8_t, kX25519Size> dh, PublicKeyView e_public,
                PublicKeyView recipient, std::span<std::uint8_t, kX25519Size> mask) {
  HkdfSha256({}, dh, {AsBytes(kCLabel), e_public, recipient}, mask);
}

// AT_i = HKDF(ikm = DH(S, R_i),
//             info = label || version || E.pub || C_i || S.pub || R_i.pub)[0..16].
void DeriveTag(std::span<const std::uint8_t, kX25519Size> static_dh, PublicKeyView e_public,
               ByteView c, PublicKeyView sender, PublicKeyView recipient,
               std::span<std::uint8_t, kV2TagSize> tag) {
  HkdfSha256({}, static_dh, {AsBytes(kAtLabel), kVersion, e_public, c, sender, recipient}, tag);
}

}  // namespace

namespace sealed_internal {

V2Secrets DeriveV2(std::span<const std::uint8_t, kX25519Size> m) {
  V2Secrets secrets;
  std::copy(m.begin(), m.end(), secrets.m.data());
  HkdfSha256({}, m, {AsBytes(kELabel)}, secrets.e.span());
  ClampScalar(secrets.e.span().first<kX25519Size>());
  secrets.e_public = X25519Base(secrets.e.span().first<kX25519Size>());
  HkdfSha256({}, m, {AsBytes(kKLabel)}, secrets.key_nonce.span());
  return secrets;
}

Result<std::vector<std::uint8_t>> SealV2Body(const V2Secrets& secrets, PublicKeyView sender,
                                             ByteView content) {
  // Plaintext = pad(S.pub || content): the recipient learns S from the body.
  std::vector<std::uint8_t> plaintext(sender.begin(), sender.end());
  plaintext.insert(plaintext.end(), content.begin(), content.end());
  std::vector<std::uint8_t> padded;
  Status status = AppendPadded(plaintext, padded);
  sodium_memzero(plaintext.data(), plaintext.size());
  if (!status.ok()) return status;

  std::vector<std::uint8_t> blob;
  blob.reserve(kV2BlobHeaderSize + padded.size() + kAeadTagSize);
  blob.push_back(kSealedV2);
  blob.insert(blob.end(), secrets.e_public.begin(), secrets.e_public.end());
  const std::vector<std::uint8_t> ad(blob.begin(), blob.end());  // version || E.pub
  sealed_detail::AppendSealed(secrets.key_nonce.span().first<kAeadKeySize>(),
                              secrets.key_nonce.span().subspan<kAeadKeySize, kAeadNonceSize>(),
                              padded, ad, blob);
  sodium_memzero(padded.data(), padded.size());
  return blob;
}

Result<V2View> MakeV2View(std::span<const std::uint8_t, kX25519Size> e, PublicKeyView e_public,
                          std::span<const std::uint8_t, kX25519Size> m, PublicKeyView sender,
                          std::span<const std::uint8_t, kX25519Size> static_dh,
                          PublicKeyView recipient) {
  std::uint8_t dh[kX25519Size];
  Status status = X25519(e, recipient, dh);
  if (!status.ok()) return status;
  V2View view;
  auto c = std::span(view).first<kX25519Size>();
  DeriveMask(dh, e_public, recipient, c);
  sodium_memzero(dh, sizeof dh);
  for (std::size_t i = 0; i < kX25519Size; ++i) c[i] ^= m[i];
  DeriveTag(static_dh, e_public, c, sender, recipient, std::span(view).last<kV2TagSize>());
  return view;
}

}  // namespace sealed_internal

namespace {

// Views for recipients[begin, end). Indices of rejected keys go to `rejected`.
void MakeViews(const X25519KeyPair& sender, const sealed_internal::V2Secrets& secrets,
               std::span<const PublicKey> recipients, std::size_t begin, std::size_t end,
               StaticDhCache* cache, std::vector<V2View>& views,
               std::vector<std::size_t>& rejected) {
  std::uint8_t static_dh[kX25519Size];
  for (std::size_t i = begin; i < end; ++i) {
    auto view =
        sealed_detail::StaticDh(sender, recipients[i], cache, static_dh).ok()
            ? sealed_internal::MakeV2View(secrets.e.span().first<kX25519Size>(), secrets.e_public,
                                          secrets.m.span().first<kX25519Size>(),
                                          sender.public_key(), static_dh, recipients[i])
            : Result<V2View>(Status::CryptoFailure("low-order recipient key"));
    if (view.ok()) {
      views[i] = *view;
    } else {
      rejected.push_back(i);
    }
  }
  sodium_memzero(static_dh, sizeof static_dh);
}

}  // namespace

Result<SealedV2> SealV2(const X25519KeyPair& sender, std::span<const PublicKey> recipients,
                        ByteView content, Rng& rng, const SealV2Options& options) {
  WipedArray<kX25519Size> m;
  rng.Fill(m.span());
  const auto secrets = sealed_internal::DeriveV2(m.span().first<kX25519Size>());
  auto blob = sealed_internal::SealV2Body(secrets, sender.public_key(), content);
  if (!blob.ok()) return blob.status();

  SealedV2 out{std::move(blob).value(), std::vector<V2View>(recipients.size()), {}};
  const std::size_t threads =
      std::clamp<std::size_t>(options.threads, 1, std::max<std::size_t>(1, recipients.size()));
  std::vector<std::vector<std::size_t>> rejected(threads);
  std::vector<std::thread> workers;
  const std::size_t chunk = (recipients.size() + threads - 1) / threads;
  for (std::size_t t = 0; t < threads; ++t) {
    const std::size_t begin = std::min(recipients.size(), t * chunk);
    const std::size_t end = std::min(recipients.size(), begin + chunk);
    auto work = [&, t, begin, end] {
      MakeViews(sender, secrets, recipients, begin, end, options.cache, out.views, rejected[t]);
    };
    if (t + 1 == threads) {
      work();  // the calling thread takes the last chunk
    } else {
      workers.emplace_back(work);
    }
  }
  for (auto& worker : workers) worker.join();
  for (const auto& part : rejected) {
    out.rejected.insert(out.rejected.end(), part.begin(), part.end());
  }
  return out;
}

namespace {

// Recovers M with the first key whose re-derived E matches the blob's E.
Result<const X25519KeyPair*> RecoverM(std::span<const X25519KeyPair* const> recipient_keys,
                                      PublicKeyView e_public, ByteView c,
                                      std::optional<sealed_internal::V2Secrets>& secrets) {
  for (const X25519KeyPair* key : recipient_keys) {
    std::uint8_t dh[kX25519Size];
    if (!X25519(key->private_key(), e_public, dh).ok()) {
      return Status::CryptoFailure("sealed v2: low-order ephemeral key");
    }
    std::uint8_t m[kX25519Size];
    DeriveMask(dh, e_public, key->public_key(), m);
    sodium_memzero(dh, sizeof dh);
    for (std::size_t i = 0; i < kX25519Size; ++i) m[i] ^= c[i];
    secrets.emplace(sealed_internal::DeriveV2(m));
    sodium_memzero(m, sizeof m);
    // AEADs do not commit to their key: without this check a sender could give two
    // recipients different M, hence different plaintexts, for one body.
    if (ConstantTimeEquals(secrets->e_public, e_public)) return key;
  }
  secrets.reset();
  return Status::CryptoFailure("sealed v2: view does not match the body (wrong key or M)");
}

}  // namespace

Result<OpenedEnvelope> OpenV2(std::span<const X25519KeyPair* const> recipient_keys, ByteView blob,
                              ByteView view, StaticDhCache* cache) {
  if (view.size() != kV2ViewSize) return Status::CryptoFailure("sealed v2: bad view size");
  if (blob.size() < kV2BlobHeaderSize + kAeadTagSize) {
    return Status::CryptoFailure("sealed v2: truncated");
  }
  if (blob[0] != kSealedV2) return Status::CryptoFailure("sealed v2: wrong version");
  const PublicKeyView e_public = blob.subspan<1, kX25519Size>();
  const ByteView c = view.first(kX25519Size);
  std::optional<sealed_internal::V2Secrets> secrets;
  auto key = RecoverM(recipient_keys, e_public, c, secrets);
  if (!key.ok()) return key.status();

  const ByteView body = blob.subspan(kV2BlobHeaderSize);
  std::vector<std::uint8_t> padded(body.size() - kAeadTagSize);
  TOCSIN_RETURN_IF_ERROR(
      sealed_detail::OpenSealed(secrets->key_nonce.span().first<kAeadKeySize>(),
                                secrets->key_nonce.span().subspan<kAeadKeySize, kAeadNonceSize>(),
                                body, blob.first(kV2BlobHeaderSize), padded));
  auto plaintext = sealed_detail::TakeUnpadded(padded, 0);
  if (!plaintext.ok()) return plaintext.status();
  if (plaintext->size() < kX25519Size) {
    sodium_memzero(plaintext->data(), plaintext->size());
    return Status::CryptoFailure("sealed v2: no sender key in the body");
  }

  OpenedEnvelope opened;
  std::copy_n(plaintext->begin(), kX25519Size, opened.sender.begin());
  std::uint8_t static_dh[kX25519Size];
  std::uint8_t tag[kV2TagSize];
  Status status = sealed_detail::OpeningStaticDh(**key, opened.sender, cache, static_dh);
  if (status.ok()) {
    DeriveTag(static_dh, e_public, c, opened.sender, (*key)->public_key(), tag);
    if (!ConstantTimeEquals(tag, view.last(kV2TagSize))) {
      status = Status::CryptoFailure("sealed v2: sender tag does not verify");
    }
  }
  sodium_memzero(static_dh, sizeof static_dh);
  if (!status.ok()) {
    sodium_memzero(plaintext->data(), plaintext->size());
    return Status::CryptoFailure(status.message());
  }
  opened.content.assign(plaintext->begin() + kX25519Size, plaintext->end());
  sodium_memzero(plaintext->data(), plaintext->size());
  return opened;
}

}  // namespace tocsin::crypto
