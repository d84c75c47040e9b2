// Sealed sender (SPEC.md section 10): the envelope a relay stores and cannot open.
//
// v1 seals one content to one recipient; v2 seals one body once for many recipients
// plus a 48-byte view per recipient. Both hide the sender from the relay and
// authenticate it to the recipient with a DH between the sender's static (identity)
// key S and the recipient's envelope key R. Contents are padded to a bucket
// (crypto/padding.h) before sealing.
//
// Primitives: libsodium X25519, HKDF-SHA256 (crypto/kdf.h), XChaCha20-Poly1305-IETF.
// Randomness comes from the caller's Rng. The only value ever cached is the static DH
// output DH(S, R) (StaticDhCache), never a tag or a key derived from it.
//
// Thread-safety: the free functions are thread-safe; StaticDhCache is internally
// synchronised.
#ifndef TOCSIN_CRYPTO_SEALED_SENDER_H_
#define TOCSIN_CRYPTO_SEALED_SENDER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <vector>

#include "crypto/kdf.h"
#include "crypto/random.h"
#include "crypto/secure_buffer.h"
#include "crypto/x25519.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

inline constexpr std::uint8_t kSealedV1 = 0x01;
inline constexpr std::uint8_t kSealedV2 = 0x02;
inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kAeadNonceSize = 24;
inline constexpr std::size_t kAeadTagSize = 16;
// v1: version || e.pub || enc_static(S.pub + tag).
inline constexpr std::size_t kV1HeaderSize = 1 + kX25519Size + kX25519Size + kAeadTagSize;
// v2 blob: version || E.pub, then the body ciphertext.
inline constexpr std::size_t kV2BlobHeaderSize = 1 + kX25519Size;
inline constexpr std::size_t kV2TagSize = 16;
// v2 view: C_i (32) || AT_i (16).
inline constexpr std::size_t kV2ViewSize = kX25519Size + kV2TagSize;
using V2View = std::array<std::uint8_t, kV2ViewSize>;

// Remembers DH(ours, theirs) outputs in secure memory, keyed by both public keys, so a
// fan-out to known contacts costs one X25519 per recipient instead of two. An entry is
// dropped by Forget() when either key is rotated or replaced. Only sealing remembers:
// opening uses what is there (Find) and never adds, so envelopes from keys the device
// never sealed to (anyone holding its envelope key and a token can make such keys at
// will) cannot grow the cache.
class StaticDhCache {
 public:
  StaticDhCache() = default;
  StaticDhCache(const StaticDhCache&) = delete;
  StaticDhCache& operator=(const StaticDhCache&) = delete;

  // out = DH(ours.private, theirs), from the cache or computed and remembered.
  // kCryptoFailure (and nothing remembered) for a low-order `theirs`.
  Status Get(const X25519KeyPair& ours, PublicKeyView theirs,
             std::span<std::uint8_t, kX25519Size> out);
  // As Get, but a miss is computed and not remembered.
  Status Find(const X25519KeyPair& ours, PublicKeyView theirs,
              std::span<std::uint8_t, kX25519Size> out) const;
  // Wipes every entry whose own or peer public key is `key`.
  void Forget(PublicKeyView key);
  // Whether an entry has `key` as its own or peer public key.
  bool Contains(PublicKeyView key) const;
  std::size_t size() const;

 private:
  using Key = std::array<std::uint8_t, 2 * kX25519Size>;  // ours.pub || theirs
  static constexpr std::size_t kSlabEntries = 1024;
  static Key KeyOf(const X25519KeyPair& ours, PublicKeyView theirs);
  // Copies the remembered output of `key` to `out`; false when there is none.
  bool Lookup(const Key& key, std::span<std::uint8_t, kX25519Size> out) const;
  std::uint8_t* Slot(std::size_t index);
  const std::uint8_t* Slot(std::size_t index) const;

  mutable std::shared_mutex mutex_;
  std::map<Key, std::size_t> index_;     // GUARDED_BY(mutex_)
  std::vector<SecretBytes> slabs_;       // GUARDED_BY(mutex_): kSlabEntries outputs each
  std::vector<std::size_t> free_slots_;  // GUARDED_BY(mutex_)
  std::size_t next_slot_ = 0;            // GUARDED_BY(mutex_)
};

// An opened envelope: the authenticated sender static key and the unpadded content.
struct OpenedEnvelope {
  PublicKey sender;
  std::vector<std::uint8_t> content;
};

// Seals `content` (at most kMaxPaddedPlaintext bytes) from `sender` to `recipient`.
// Draws the 32-byte ephemeral private key from `rng`. kCryptoFailure for a low-order
// recipient key, kTooLarge for an oversized content.
Result<std::vector<std::uint8_t>> SealV1(const X25519KeyPair& sender, PublicKeyView recipient,
                                         ByteView content, Rng& rng,
                                         StaticDhCache* cache = nullptr);

// Opens a v1 envelope with the first of `recipient_keys` (current envelope key, then
// older ones) that it was sealed to. Every failure (wrong version, truncated, any byte
// changed, wrong key) is kCryptoFailure; nothing is decrypted before it is verified.
Result<OpenedEnvelope> OpenV1(std::span<const X25519KeyPair* const> recipient_keys, ByteView sealed,
                              StaticDhCache* cache = nullptr);

struct SealedV2 {
  std::vector<std::uint8_t> blob;     // stored once on a relay (PutBlob)
  std::vector<V2View> views;          // views[i] for recipients[i]; all zero when rejected
  std::vector<std::size_t> rejected;  // indices of low-order recipient keys
};

struct SealV2Options {
  unsigned threads = 1;  // worker threads for the per-recipient work
  StaticDhCache* cache = nullptr;
};

// Seals `content` once for every recipient. Draws M (32 bytes) from `rng`. A recipient
// with a low-order key gets no view (listed in `rejected`); the others are unaffected.
Result<SealedV2> SealV2(const X25519KeyPair& sender, std::span<const PublicKey> recipients,
                        ByteView content, Rng& rng, const SealV2Options& options = {});

// Opens a v2 body with one recipient's view. Recovers M, re-derives E and compares it in
// constant time with the blob's E before decrypting, then checks the sender tag.
// Every failure is kCryptoFailure.
Result<OpenedEnvelope> OpenV2(std::span<const X25519KeyPair* const> recipient_keys, ByteView blob,
                              ByteView view, StaticDhCache* cache = nullptr);

// WARNING: building blocks exposed for test vectors and for tests that play a
// dishonest sender. Application code uses the functions above.
namespace sealed_internal {

// v1 from explicit parts: `static_dh` is what the sender claims is DH(S, R) for the
// `claimed_sender` key it encrypts.
Result<std::vector<std::uint8_t>> SealV1Raw(std::span<const std::uint8_t, kX25519Size> ephemeral,
                                            PublicKeyView claimed_sender,
                                            std::span<const std::uint8_t, kX25519Size> static_dh,
                                            PublicKeyView recipient, ByteView content);

// What M determines: e (clamped), E = e.G, the body key K and nonce.
struct V2Secrets {
  WipedArray<kX25519Size> m;
  WipedArray<kX25519Size> e;
  PublicKey e_public{};                                 // E.pub
  WipedArray<kAeadKeySize + kAeadNonceSize> key_nonce;  // K || nonce
};
V2Secrets DeriveV2(std::span<const std::uint8_t, kX25519Size> m);

// The v2 blob for `secrets` with `sender` inside.
Result<std::vector<std::uint8_t>> SealV2Body(const V2Secrets& secrets, PublicKeyView sender,
                                             ByteView content);

// A view made with ephemeral (e, E) that hides `m` (which an honest sender takes from
// the same secrets), tagged with `static_dh` = DH(S, R).
Result<V2View> MakeV2View(std::span<const std::uint8_t, kX25519Size> e, PublicKeyView e_public,
                          std::span<const std::uint8_t, kX25519Size> m, PublicKeyView sender,
                          std::span<const std::uint8_t, kX25519Size> static_dh,
                          PublicKeyView recipient);

}  // namespace sealed_internal
}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SEALED_SENDER_H_
