// The crypto provider libsignal-protocol-c runs on: OpenSSL 3 EVP for AES-256 (CBC with
// PKCS#5 padding for version-3 sessions and sender keys; CTR for legacy messages),
// HMAC-SHA256 and SHA-512, and an Rng (libsodium's randombytes_buf in production) for
// randomness.
//
// libsignal calls these through the function table of table(); SignalContext installs it.
// Callers other than SignalContext and the known-answer tests have no reason to use it.
//
// Contract of each entry, as libsignal expects it (signal_protocol.h):
//  - random_func fills the buffer; never fails.
//  - hmac_sha256_* : init(key) / update / final (allocates the 32-byte output) / cleanup.
//  - sha512_digest_* : init / update / final (allocates the 64-byte output and leaves the
//    context ready for a new digest: libsignal's fingerprint code reuses it) / cleanup.
//  - encrypt_func / decrypt_func: SG_CIPHER_AES_CBC_PKCS5 or SG_CIPHER_AES_CTR_NOPADDING,
//    32-byte key and 16-byte IV only (anything else is SG_ERR_INVAL); a CBC decryption
//    whose padding is wrong fails (SG_ERR_UNKNOWN).
// Every output buffer comes from signal_buffer_alloc/create, as libsignal frees it.
//
// Thread-safety: the table may be called from several threads at once; the Rng must
// then be thread-safe too (SystemRng is; DeterministicRng is not).
#ifndef TOCSIN_CRYPTO_SIGNAL_CRYPTO_PROVIDER_H_
#define TOCSIN_CRYPTO_SIGNAL_CRYPTO_PROVIDER_H_

#include <openssl/evp.h>
#include <signal/signal_protocol.h>

#include <memory>

#include "crypto/random.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

class SignalCryptoProvider {
 public:
  // Fetches the OpenSSL algorithms once. kInternal when OpenSSL lacks one of them.
  // REQUIRES: `rng` outlives the provider.
  static Result<std::unique_ptr<SignalCryptoProvider>> Create(Rng& rng);
  ~SignalCryptoProvider();

  SignalCryptoProvider(const SignalCryptoProvider&) = delete;
  SignalCryptoProvider& operator=(const SignalCryptoProvider&) = delete;

  // The function table for signal_context_set_crypto_provider (which copies it); its
  // user_data is this provider, so the provider must outlive the context using it.
  const signal_crypto_provider& table() const { return table_; }

  // Internal state the table's functions read (fetched once: an implicit fetch per call
  // would cost more than the operation itself).
  Rng& rng() const { return rng_; }
  EVP_MD* sha512() const { return sha512_; }
  EVP_MAC_CTX* hmac_template() const { return hmac_template_; }
  EVP_CIPHER* aes_cbc() const { return aes_cbc_; }
  EVP_CIPHER* aes_ctr() const { return aes_ctr_; }

 private:
  explicit SignalCryptoProvider(Rng& rng);

  Rng& rng_;
  EVP_MD* sha512_ = nullptr;
  EVP_MAC* hmac_ = nullptr;
  EVP_MAC_CTX* hmac_template_ = nullptr;  // HMAC with SHA-256 chosen, no key yet
  EVP_CIPHER* aes_cbc_ = nullptr;
  EVP_CIPHER* aes_ctr_ = nullptr;
  signal_crypto_provider table_{};
};

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_CRYPTO_PROVIDER_H_
