// The relay's identity: an Ed25519 key pair and a self-signed certificate in the data
// folder (relay.key, mode 0600, and relay.crt), made once by `tocsin-relay init`. The
// certificate's dates do not matter (valid 100 years): clients pin the SHA-256 of its
// SubjectPublicKeyInfo (proto/SPEC.md section 2).
#ifndef TOCSIN_RELAY_NET_IDENTITY_H_
#define TOCSIN_RELAY_NET_IDENTITY_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "tocsin/relay_address.h"
#include "tocsin/status.h"

namespace tocsin::relay {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};

struct Identity {
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
  std::unique_ptr<X509, X509Free> cert;
  Pin pin{};
};

inline constexpr const char* kKeyFile = "relay.key";
inline constexpr const char* kCertFile = "relay.crt";

// True when `data_dir` already holds a key or a certificate.
bool IdentityExists(const std::string& data_dir);

// Makes a new key pair and certificate in `data_dir` (which must exist). Refuses
// (kInvalidArgument) when either file exists: an identity is never overwritten.
Result<Identity> CreateIdentity(const std::string& data_dir);

// Loads the identity; kIoError / kCorruption with the file's name when it cannot.
Result<Identity> LoadIdentity(const std::string& data_dir);

// SHA-256 of the certificate's DER SubjectPublicKeyInfo.
Pin ComputePin(X509* cert);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_NET_IDENTITY_H_
