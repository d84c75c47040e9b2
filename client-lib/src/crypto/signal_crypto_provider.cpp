#include "crypto/signal_crypto_provider.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <climits>
#include <cstdint>

#include "crypto/signal_ptr.h"

namespace tocsin::crypto {
namespace {

constexpr std::size_t kAesKeySize = 32;
constexpr std::size_t kAesBlockSize = 16;
constexpr std::size_t kHmacSha256Size = 32;
constexpr std::size_t kSha512Size = 64;

const SignalCryptoProvider& Self(void* user_data) {
  return *static_cast<const SignalCryptoProvider*>(user_data);
}

int Random(std::uint8_t* data, std::size_t len, void* user_data) {
  Self(user_data).rng().Fill({data, len});
  return SG_SUCCESS;
}

int HmacInit(void** context, const std::uint8_t* key, std::size_t key_len, void* user_data) {
  // OpenSSL reads a NULL key as "keep the previous key": give it a real (empty) one.
  static const std::uint8_t kEmptyKey[1] = {0};
  EVP_MAC_CTX* mac = EVP_MAC_CTX_dup(Self(user_data).hmac_template());
  if (mac == nullptr) return SG_ERR_NOMEM;
  if (EVP_MAC_init(mac, key_len == 0 ? kEmptyKey : key, key_len, nullptr) != 1) {
    EVP_MAC_CTX_free(mac);
    return SG_ERR_UNKNOWN;
  }
  *context = mac;
  return SG_SUCCESS;
}

int HmacUpdate(void* context, const std::uint8_t* data, std::size_t data_len, void*) {
  return EVP_MAC_update(static_cast<EVP_MAC_CTX*>(context), data, data_len) == 1 ? SG_SUCCESS
                                                                                 : SG_ERR_UNKNOWN;
}

int HmacFinal(void* context, signal_buffer** output, void*) {
  SignalBuffer out(signal_buffer_alloc(kHmacSha256Size));
  if (!out) return SG_ERR_NOMEM;
  std::size_t written = 0;
  if (EVP_MAC_final(static_cast<EVP_MAC_CTX*>(context), signal_buffer_data(out.get()), &written,
                    kHmacSha256Size) != 1 ||
      written != kHmacSha256Size) {
    return SG_ERR_UNKNOWN;
  }
  *output = out.release();
  return SG_SUCCESS;
}

void HmacCleanup(void* context, void*) { EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(context)); }

int Sha512Init(void** context, void* user_data) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr) return SG_ERR_NOMEM;
  if (EVP_DigestInit_ex2(md, Self(user_data).sha512(), nullptr) != 1) {
    EVP_MD_CTX_free(md);
    return SG_ERR_UNKNOWN;
  }
  *context = md;
  return SG_SUCCESS;
}

int Sha512Update(void* context, const std::uint8_t* data, std::size_t data_len, void*) {
  return EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context), data, data_len) == 1 ? SG_SUCCESS
                                                                                  : SG_ERR_UNKNOWN;
}

// libsignal reuses the context after final (fingerprints hash in a loop), so final
// re-initialises it: a finalised EVP_MD_CTX refuses further updates.
int Sha512Final(void* context, signal_buffer** output, void* user_data) {
  auto* md = static_cast<EVP_MD_CTX*>(context);
  SignalBuffer out(signal_buffer_alloc(kSha512Size));
  if (!out) return SG_ERR_NOMEM;
  unsigned int written = 0;
  if (EVP_DigestFinal_ex(md, signal_buffer_data(out.get()), &written) != 1 ||
      written != kSha512Size || EVP_DigestInit_ex2(md, Self(user_data).sha512(), nullptr) != 1) {
    return SG_ERR_UNKNOWN;
  }
  *output = out.release();
  return SG_SUCCESS;
}

void Sha512Cleanup(void* context, void*) { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context)); }

struct CipherCall {
  int cipher;
  bool encrypt;
  std::span<const std::uint8_t> key;
  std::span<const std::uint8_t> iv;
  std::span<const std::uint8_t> input;
};

const EVP_CIPHER* ChooseCipher(const SignalCryptoProvider& self, int cipher) {
  if (cipher == SG_CIPHER_AES_CBC_PKCS5) return self.aes_cbc();
  if (cipher == SG_CIPHER_AES_CTR_NOPADDING) return self.aes_ctr();
  return nullptr;
}

// Runs the cipher into a buffer of the largest possible size, then hands libsignal a
// buffer of the exact size (signal_buffer cannot shrink; the larger one is wiped).
int RunCipher(const SignalCryptoProvider& self, const CipherCall& call, signal_buffer** output) {
  const EVP_CIPHER* evp = ChooseCipher(self, call.cipher);
  if (evp == nullptr || call.key.size() != kAesKeySize || call.iv.size() != kAesBlockSize ||
      call.input.size() > INT_MAX - 2 * kAesBlockSize) {
    return SG_ERR_INVAL;
  }
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  const std::size_t capacity = call.input.size() + kAesBlockSize;
  SignalBuffer out(signal_buffer_alloc(capacity));
  if (!ctx || !out) return SG_ERR_NOMEM;
  std::uint8_t* data = signal_buffer_data(out.get());
  int head = 0;
  int tail = 0;
  if (EVP_CipherInit_ex2(ctx.get(), evp, call.key.data(), call.iv.data(), call.encrypt ? 1 : 0,
                         nullptr) != 1 ||
      EVP_CipherUpdate(ctx.get(), data, &head, call.input.data(),
                       static_cast<int>(call.input.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), data + head, &tail) != 1) {
    return SG_ERR_UNKNOWN;
  }
  const auto length = static_cast<std::size_t>(head) + static_cast<std::size_t>(tail);
  *output = length == capacity ? out.release() : signal_buffer_n_copy(out.get(), length);
  return *output != nullptr ? SG_SUCCESS : SG_ERR_NOMEM;
}

int Encrypt(signal_buffer** output, int cipher, const std::uint8_t* key, std::size_t key_len,
            const std::uint8_t* iv, std::size_t iv_len, const std::uint8_t* plaintext,
            std::size_t plaintext_len, void* user_data) {
  return RunCipher(Self(user_data),
                   {cipher, true, {key, key_len}, {iv, iv_len}, {plaintext, plaintext_len}},
                   output);
}

int Decrypt(signal_buffer** output, int cipher, const std::uint8_t* key, std::size_t key_len,
            const std::uint8_t* iv, std::size_t iv_len, const std::uint8_t* ciphertext,
            std::size_t ciphertext_len, void* user_data) {
  return RunCipher(Self(user_data),
                   {cipher, false, {key, key_len}, {iv, iv_len}, {ciphertext, ciphertext_len}},
                   output);
}

// EVP_MAC_CTX_dup refuses a context that was never keyed, so the template holds an
// all-zero key that every HmacInit replaces.
EVP_MAC_CTX* NewHmacTemplate(EVP_MAC* hmac) {
  EVP_MAC_CTX* mac = EVP_MAC_CTX_new(hmac);
  if (mac == nullptr) return nullptr;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  const std::uint8_t placeholder_key[kHmacSha256Size] = {};
  if (EVP_MAC_init(mac, placeholder_key, sizeof placeholder_key, params) != 1) {
    EVP_MAC_CTX_free(mac);
    return nullptr;
  }
  return mac;
}

}  // namespace

SignalCryptoProvider::SignalCryptoProvider(Rng& rng) : rng_(rng) {
  table_.random_func = &Random;
  table_.hmac_sha256_init_func = &HmacInit;
  table_.hmac_sha256_update_func = &HmacUpdate;
  table_.hmac_sha256_final_func = &HmacFinal;
  table_.hmac_sha256_cleanup_func = &HmacCleanup;
  table_.sha512_digest_init_func = &Sha512Init;
  table_.sha512_digest_update_func = &Sha512Update;
  table_.sha512_digest_final_func = &Sha512Final;
  table_.sha512_digest_cleanup_func = &Sha512Cleanup;
  table_.encrypt_func = &Encrypt;
  table_.decrypt_func = &Decrypt;
  table_.user_data = this;
}

Result<std::unique_ptr<SignalCryptoProvider>> SignalCryptoProvider::Create(Rng& rng) {
  std::unique_ptr<SignalCryptoProvider> provider(new SignalCryptoProvider(rng));
  provider->sha512_ = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  provider->hmac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  provider->aes_cbc_ = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  provider->aes_ctr_ = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
  if (provider->hmac_ != nullptr) provider->hmac_template_ = NewHmacTemplate(provider->hmac_);
  if (provider->sha512_ == nullptr || provider->hmac_template_ == nullptr ||
      provider->aes_cbc_ == nullptr || provider->aes_ctr_ == nullptr) {
    return Status::Internal("OpenSSL lacks SHA-512, HMAC-SHA256 or AES-256-CBC/CTR");
  }
  return provider;
}

SignalCryptoProvider::~SignalCryptoProvider() {
  EVP_MAC_CTX_free(hmac_template_);
  EVP_MAC_free(hmac_);
  EVP_MD_free(sha512_);
  EVP_CIPHER_free(aes_cbc_);
  EVP_CIPHER_free(aes_ctr_);
}

}  // namespace tocsin::crypto
