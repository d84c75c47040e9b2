#include "passphrase_source.h"

#include <cstdlib>

namespace tocsin::cli {

namespace {

Result<Passphrase> Prompted(bool confirm) {
  Result<Passphrase> first = Passphrase::Prompt("Passphrase: ");
  if (!first.ok()) {
    if (first.status().code() == Code::kUnavailable) {
      return Status::Unauthorized(
          "no passphrase: there is no terminal to ask on; use --passphrase-fd or "
          "--passphrase-file");
    }
    return first.status();
  }
  if (!confirm) return first;
  Result<Passphrase> second = Passphrase::Prompt("Passphrase again: ");
  if (!second.ok()) return second.status();
  // Compared inside the wiped buffers, in constant time: no copy of the text is made.
  if (!first->SameAs(*second)) return Status::Unauthorized("the two passphrases differ");
  return first;
}

}  // namespace

Result<Passphrase> ReadPassphrase(const GlobalOptions& options, bool confirm) {
  if (options.passphrase_fd >= 0) return Passphrase::FromFd(options.passphrase_fd);
  if (!options.passphrase_file.empty()) return Passphrase::FromFile(options.passphrase_file);
  if (std::getenv(kPassphraseVariable) != nullptr) {
    return Passphrase::FromEnvironment(kPassphraseVariable);
  }
  return Prompted(confirm);
}

}  // namespace tocsin::cli
