#include "net/tls_pin.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace tocsin::net {

std::optional<Pin> CertificatePin(X509* cert) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (length <= 0 || der == nullptr) {
    OPENSSL_free(der);
    return std::nullopt;
  }
  Pin pin{};
  SHA256(der, static_cast<std::size_t>(length), pin.data());
  OPENSSL_free(der);
  return pin;
}

bool CertificateMatchesPin(X509* cert, const Pin& pin) {
  if (cert == nullptr) return false;
  const std::optional<Pin> got = CertificatePin(cert);
  return got.has_value() && CRYPTO_memcmp(got->data(), pin.data(), pin.size()) == 0;
}

Status RestrictToTls13(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return Status::Internal("cannot restrict TLS to 1.3");
  }
  return Status::Ok();
}

}  // namespace tocsin::net
