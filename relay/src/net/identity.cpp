#include "net/identity.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace tocsin::relay {
namespace {

namespace fs = std::filesystem;

struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileClose>;

// Opens `path` for writing, created with `mode`, failing if it exists.
File CreateExclusive(const fs::path& path, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return nullptr;
  return File(::fdopen(fd, "w"));
}

Result<std::unique_ptr<EVP_PKEY, PkeyFree>> NewKey() {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  const bool ok =
      ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return Status::Internal("Ed25519 key generation failed");
  return std::unique_ptr<EVP_PKEY, PkeyFree>(key);
}

Result<std::unique_ptr<X509, X509Free>> NewCertificate(EVP_PKEY* key) {
  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) return Status::Internal("X509_new failed");
  X509_set_version(cert.get(), 2);
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial)) != 1) {
    return Status::Internal("no randomness for the certificate serial");
  }
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial >> 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), 36500, 0, nullptr);  // 100 years
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("tocsin-relay"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_set_pubkey(cert.get(), key) != 1 || X509_sign(cert.get(), key, nullptr) <= 0) {
    return Status::Internal("signing the certificate failed");
  }
  return cert;
}

}  // namespace

bool IdentityExists(const std::string& data_dir) {
  std::error_code ec;
  return fs::exists(fs::path(data_dir) / kKeyFile, ec) ||
         fs::exists(fs::path(data_dir) / kCertFile, ec);
}

Result<Identity> CreateIdentity(const std::string& data_dir) {
  if (IdentityExists(data_dir)) {
    return Status::InvalidArgument(data_dir +
                                   " already holds a relay identity; refusing to "
                                   "overwrite it");
  }
  auto key = NewKey();
  if (!key.ok()) return key.status();
  auto cert = NewCertificate(key->get());
  if (!cert.ok()) return cert.status();
  File key_file = CreateExclusive(fs::path(data_dir) / kKeyFile, 0600);
  if (!key_file ||
      PEM_write_PrivateKey(key_file.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      std::fflush(key_file.get()) != 0 || ::fsync(::fileno(key_file.get())) != 0) {
    return Status::IoError("cannot write " + (fs::path(data_dir) / kKeyFile).string());
  }
  File cert_file = CreateExclusive(fs::path(data_dir) / kCertFile, 0644);
  if (!cert_file || PEM_write_X509(cert_file.get(), cert->get()) != 1 ||
      std::fflush(cert_file.get()) != 0 || ::fsync(::fileno(cert_file.get())) != 0) {
    return Status::IoError("cannot write " + (fs::path(data_dir) / kCertFile).string());
  }
  Identity id;
  id.pin = ComputePin(cert->get());
  id.key = std::move(*key);
  id.cert = std::move(*cert);
  return id;
}

Result<Identity> LoadIdentity(const std::string& data_dir) {
  const fs::path key_path = fs::path(data_dir) / kKeyFile;
  const fs::path cert_path = fs::path(data_dir) / kCertFile;
  File key_file(std::fopen(key_path.c_str(), "r"));
  File cert_file(std::fopen(cert_path.c_str(), "r"));
  if (!key_file || !cert_file) {
    return Status::IoError("cannot read " + key_path.string() + " and " + cert_path.string() +
                           " (run `tocsin-relay init` first)");
  }
  Identity id;
  id.key.reset(PEM_read_PrivateKey(key_file.get(), nullptr, nullptr, nullptr));
  id.cert.reset(PEM_read_X509(cert_file.get(), nullptr, nullptr, nullptr));
  if (!id.key || !id.cert) return Status::Corruption("unreadable relay key or certificate");
  if (X509_check_private_key(id.cert.get(), id.key.get()) != 1) {
    return Status::Corruption("relay.key does not match relay.crt");
  }
  id.pin = ComputePin(id.cert.get());
  return id;
}

Pin ComputePin(X509* cert) {
  Pin pin{};
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (length > 0) SHA256(der, static_cast<std::size_t>(length), pin.data());
  OPENSSL_free(der);
  return pin;
}

}  // namespace tocsin::relay
