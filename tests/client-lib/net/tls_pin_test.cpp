// The pin of a certificate (SPEC.md section 1.1) against the [relay_pin] vectors, and
// the constant-time pin check.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <memory>

#include "net/tls_pin.h"
#include "relay_vectors.h"

namespace tocsin::net::testing {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

// A self-signed certificate for the Ed25519 key with this seed, as a relay makes.
std::unique_ptr<X509, X509Free> CertificateFor(const std::string& seed) {
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  REQUIRE(key != nullptr);
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  REQUIRE(X509_set_pubkey(cert.get(), key) == 1);
  REQUIRE(X509_sign(cert.get(), key, nullptr) > 0);
  EVP_PKEY_free(key);
  return cert;
}

TEST_CASE("a certificate's pin is SHA-256 of its SPKI as in the relay_pin vectors", "[net][tls]") {
  const std::vector<VectorBlock> cases = RelayVectors("relay_pin");
  REQUIRE_FALSE(cases.empty());
  for (const VectorBlock& v : cases) {
    auto cert = CertificateFor(v.Raw("seed"));
    const std::optional<Pin> pin = CertificatePin(cert.get());
    REQUIRE(pin.has_value());
    CHECK(std::string(pin->begin(), pin->end()) == v.Raw("pin"));
    CHECK(Base32Encode(*pin) == v.Text("pin_text"));
    CHECK(CertificateMatchesPin(cert.get(), *pin));
    for (std::size_t i = 0; i < pin->size(); ++i) {
      Pin other = *pin;
      other[i] ^= 0x01;
      CHECK_FALSE(CertificateMatchesPin(cert.get(), other));
    }
  }
  CHECK_FALSE(CertificateMatchesPin(nullptr, Pin{}));
}

TEST_CASE("TLS contexts are restricted to TLS 1.3", "[net][tls]") {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  REQUIRE(ctx != nullptr);
  REQUIRE(RestrictToTls13(ctx).ok());
  CHECK(SSL_CTX_get_min_proto_version(ctx) == TLS1_3_VERSION);
  CHECK(SSL_CTX_get_max_proto_version(ctx) == TLS1_3_VERSION);
  SSL_CTX_free(ctx);
}

}  // namespace
}  // namespace tocsin::net::testing
