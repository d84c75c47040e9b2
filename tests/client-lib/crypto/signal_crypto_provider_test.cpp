// The crypto provider libsignal runs on, checked against published known answers:
// NIST SP 800-38A (AES-256-CBC F.2.5, AES-256-CTR F.5.5), RFC 4231 (HMAC-SHA256) and
// FIPS 180-2 (SHA-512), through the function table libsignal calls.
#include "crypto/signal_crypto_provider.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "crypto/random.h"
#include "crypto/signal_ptr.h"
#include "sealed_test_util.h"

namespace {

using tocsin::crypto::DefaultRng;
using tocsin::crypto::SignalBuffer;
using tocsin::crypto::SignalCryptoProvider;
using tocsin::testing::Bytes;
using tocsin::testing::FromHex;
using tocsin::testing::ToHex;

const Bytes kAesKey = FromHex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const Bytes kPlaintext = FromHex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");

class ProviderFixture {
 protected:
  ProviderFixture() {
    auto created = SignalCryptoProvider::Create(DefaultRng());
    REQUIRE(created.ok());
    provider = std::move(created).value();
  }
  const signal_crypto_provider& table() const { return provider->table(); }

  int Cipher(bool encrypt, int mode, const Bytes& key, const Bytes& iv, const Bytes& input,
             SignalBuffer& out) {
    auto fn = encrypt ? table().encrypt_func : table().decrypt_func;
    return fn(out.out(), mode, key.data(), key.size(), iv.data(), iv.size(), input.data(),
              input.size(), table().user_data);
  }

  std::string Hmac(const Bytes& key, const std::string& data) {
    void* context = nullptr;
    REQUIRE(table().hmac_sha256_init_func(&context, key.data(), key.size(), table().user_data) ==
            0);
    REQUIRE(table().hmac_sha256_update_func(context,
                                            reinterpret_cast<const std::uint8_t*>(data.data()),
                                            data.size(), table().user_data) == 0);
    SignalBuffer mac;
    REQUIRE(table().hmac_sha256_final_func(context, mac.out(), table().user_data) == 0);
    table().hmac_sha256_cleanup_func(context, table().user_data);
    return ToHex(mac.span());
  }

  std::string Sha512Final(void* context) {
    SignalBuffer digest;
    REQUIRE(table().sha512_digest_final_func(context, digest.out(), table().user_data) == 0);
    return ToHex(digest.span());
  }

  void Sha512Update(void* context, const std::string& data) {
    REQUIRE(table().sha512_digest_update_func(context,
                                              reinterpret_cast<const std::uint8_t*>(data.data()),
                                              data.size(), table().user_data) == 0);
  }

  std::unique_ptr<SignalCryptoProvider> provider;
};

TEST_CASE_METHOD(ProviderFixture, "AES-256-CBC matches NIST SP 800-38A F.2.5 plus a PKCS#5 block",
                 "[signal][provider]") {
  const Bytes iv = FromHex("000102030405060708090a0b0c0d0e0f");
  SignalBuffer ciphertext;
  REQUIRE(Cipher(true, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, kPlaintext, ciphertext) == 0);
  REQUIRE(ciphertext.span().size() == kPlaintext.size() + 16);  // a whole padding block
  CHECK(ToHex(ciphertext.span().first(64)) ==
        "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
        "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b");
  SignalBuffer plaintext;
  const Bytes sealed(ciphertext.span().begin(), ciphertext.span().end());
  REQUIRE(Cipher(false, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, sealed, plaintext) == 0);
  CHECK(Bytes(plaintext.span().begin(), plaintext.span().end()) == kPlaintext);

  // The bare NIST ciphertext ends in a plaintext block that is not PKCS#5 padding.
  const Bytes bare(sealed.begin(), sealed.begin() + 64);
  CHECK(Cipher(false, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, bare, plaintext) < 0);
}

TEST_CASE_METHOD(ProviderFixture, "AES-256-CBC pads short and empty inputs to one block",
                 "[signal][provider]") {
  const Bytes iv(16, 7);
  for (std::size_t length : {0, 1, 15, 16, 17}) {
    const Bytes input(length, 0x42);
    SignalBuffer ciphertext;
    REQUIRE(Cipher(true, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, input, ciphertext) == 0);
    CHECK(ciphertext.span().size() == (length / 16 + 1) * 16);
    SignalBuffer back;
    const Bytes sealed(ciphertext.span().begin(), ciphertext.span().end());
    REQUIRE(Cipher(false, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, sealed, back) == 0);
    CHECK(Bytes(back.span().begin(), back.span().end()) == input);
  }
}

TEST_CASE_METHOD(ProviderFixture, "AES-256-CTR matches NIST SP 800-38A F.5.5",
                 "[signal][provider]") {
  const Bytes counter = FromHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  SignalBuffer ciphertext;
  REQUIRE(Cipher(true, SG_CIPHER_AES_CTR_NOPADDING, kAesKey, counter, kPlaintext, ciphertext) == 0);
  CHECK(ToHex(ciphertext.span()) ==
        "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
        "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
  SignalBuffer plaintext;
  const Bytes sealed(ciphertext.span().begin(), ciphertext.span().end());
  REQUIRE(Cipher(false, SG_CIPHER_AES_CTR_NOPADDING, kAesKey, counter, sealed, plaintext) == 0);
  CHECK(Bytes(plaintext.span().begin(), plaintext.span().end()) == kPlaintext);
}

TEST_CASE_METHOD(ProviderFixture, "AES refuses other key and IV sizes and unknown modes",
                 "[signal][provider]") {
  SignalBuffer out;
  const Bytes iv(16, 0);
  CHECK(Cipher(true, SG_CIPHER_AES_CBC_PKCS5, Bytes(16, 1), iv, kPlaintext, out) == SG_ERR_INVAL);
  CHECK(Cipher(true, SG_CIPHER_AES_CBC_PKCS5, kAesKey, Bytes(12, 0), kPlaintext, out) ==
        SG_ERR_INVAL);
  CHECK(Cipher(true, 99, kAesKey, iv, kPlaintext, out) == SG_ERR_INVAL);
  CHECK(!out);
}

TEST_CASE_METHOD(ProviderFixture, "HMAC-SHA256 matches RFC 4231", "[signal][provider]") {
  // Test case 1.
  CHECK(Hmac(Bytes(20, 0x0b), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the output.
  CHECK(Hmac(Bytes{'J', 'e', 'f', 'e'}, "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block is hashed first.
  CHECK(Hmac(Bytes(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE_METHOD(ProviderFixture, "HMAC-SHA256 accepts an empty key", "[signal][provider]") {
  // HMAC-SHA256("", "") from any independent implementation.
  CHECK(Hmac(Bytes(), "") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE_METHOD(ProviderFixture, "SHA-512 matches FIPS 180-2 and is reusable after final",
                 "[signal][provider]") {
  constexpr const char* kAbc =
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
  constexpr const char* kEmpty =
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
  void* context = nullptr;
  REQUIRE(table().sha512_digest_init_func(&context, table().user_data) == 0);
  Sha512Update(context, "abc");
  CHECK(Sha512Final(context) == kAbc);
  // libsignal's fingerprints hash again with the same context after final.
  CHECK(Sha512Final(context) == kEmpty);
  Sha512Update(context, "a");
  Sha512Update(context, "bc");
  CHECK(Sha512Final(context) == kAbc);
  table().sha512_digest_cleanup_func(context, table().user_data);
}

TEST_CASE_METHOD(ProviderFixture, "the provider's randomness comes from its Rng",
                 "[signal][provider]") {
  tocsin::crypto::DeterministicRng rng_a(9), rng_b(9);
  auto a = SignalCryptoProvider::Create(rng_a);
  auto b = SignalCryptoProvider::Create(rng_b);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  Bytes x(48), y(48);
  REQUIRE((*a)->table().random_func(x.data(), x.size(), (*a)->table().user_data) == 0);
  REQUIRE((*b)->table().random_func(y.data(), y.size(), (*b)->table().user_data) == 0);
  CHECK(x == y);
  CHECK(x != Bytes(48, 0));
}

}  // namespace
