// tocsin/passphrase.h on the device store's passphrase readers.
#include "tocsin/passphrase.h"

#include <sodium.h>

#include "core/passphrase_access.h"
#include "store/passphrase_source.h"

namespace tocsin {

struct Passphrase::Impl {
  crypto::SecretBytes secret;
};

Passphrase::Passphrase(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Passphrase::~Passphrase() = default;
Passphrase::Passphrase(Passphrase&&) noexcept = default;
Passphrase& Passphrase::operator=(Passphrase&&) noexcept = default;

std::size_t Passphrase::size() const { return impl_ ? impl_->secret.size() : 0; }

bool Passphrase::SameAs(const Passphrase& other) const {
  if (!impl_ || !other.impl_) return false;
  return impl_->secret.Equals(other.impl_->secret.span());
}

namespace {

// Secrets live in sodium_malloc'd memory, which needs libsodium initialised; an
// application may make its passphrase before anything else of the library.
Status InitSodium() {
  if (sodium_init() < 0) return Status::Internal("libsodium could not be initialised");
  return Status::Ok();
}

Result<Passphrase> Wrap(Result<crypto::SecretBytes> secret) {
  if (!secret.ok()) return secret.status();
  return internal::PassphraseAccess::Make(std::move(secret).value());
}

}  // namespace

Result<Passphrase> Passphrase::FromString(std::string_view text) {
  TOCSIN_RETURN_IF_ERROR(InitSodium());
  if (text.empty()) return Status::InvalidArgument("empty passphrase");
  if (text.size() > store::kMaxPassphraseSize)
    return Status::InvalidArgument("passphrase too long");
  return Wrap(crypto::SecretBytes::CopyOf(
      {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}));
}

Result<Passphrase> Passphrase::FromFile(const std::string& path) {
  TOCSIN_RETURN_IF_ERROR(InitSodium());
  return Wrap(store::ReadPassphraseFile(path));
}

Result<Passphrase> Passphrase::FromFd(int fd) {
  TOCSIN_RETURN_IF_ERROR(InitSodium());
  return Wrap(store::ReadPassphraseFd(fd));
}

Result<Passphrase> Passphrase::Prompt(std::string_view prompt) {
  TOCSIN_RETURN_IF_ERROR(InitSodium());
  return Wrap(store::PromptPassphrase(prompt));
}

Result<Passphrase> Passphrase::FromEnvironment(const char* name) {
  TOCSIN_RETURN_IF_ERROR(InitSodium());
  return Wrap(store::TakePassphraseFromEnvironment(name));
}

namespace internal {

Passphrase PassphraseAccess::Make(crypto::SecretBytes secret) {
  auto impl = std::make_unique<Passphrase::Impl>();
  impl->secret = std::move(secret);
  return Passphrase(std::move(impl));
}

const crypto::SecretBytes& PassphraseAccess::Secret(const Passphrase& passphrase) {
  static const crypto::SecretBytes kEmpty;
  return passphrase.impl_ ? passphrase.impl_->secret : kEmpty;
}

}  // namespace internal
}  // namespace tocsin
