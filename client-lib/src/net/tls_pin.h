// Pinned TLS 1.3, the parts a relay and a client share (proto/SPEC.md sections 1.1, 2):
// the pin of a certificate, the constant-time pin check, and restricting an OpenSSL
// context to TLS 1.3. Nothing here knows the relay protocol; the relay, the client
// library and the test client use the same code.
//
// Thread-safety: free functions; an X509 or SSL_CTX passed in is used by one thread at a
// time (OpenSSL's own rule).
#ifndef TOCSIN_NET_TLS_PIN_H_
#define TOCSIN_NET_TLS_PIN_H_

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <optional>

#include "tocsin/relay_address.h"
#include "tocsin/status.h"

namespace tocsin::net {

// SHA-256 of the certificate's DER SubjectPublicKeyInfo (SPEC.md section 1.1).
// nullopt when the key cannot be encoded (no key, or OpenSSL out of memory).
// REQUIRES: cert != nullptr.
std::optional<Pin> CertificatePin(X509* cert);

// True when `cert`'s pin equals `pin`, compared in constant time (CRYPTO_memcmp).
// Nothing else about the certificate is looked at: dates, names, issuer, chain.
bool CertificateMatchesPin(X509* cert, const Pin& pin);

// Minimum and maximum protocol version TLS 1.3 (SPEC.md section 2.1).
// kInternal when OpenSSL refuses.
Status RestrictToTls13(SSL_CTX* ctx);

}  // namespace tocsin::net

#endif  // TOCSIN_NET_TLS_PIN_H_
