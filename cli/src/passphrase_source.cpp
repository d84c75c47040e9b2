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

// A passphrase source that cannot be read (no such file, a closed descriptor, nothing in
// it) is a passphrase problem, exit code 2 like a wrong one (docs/cli.md), not a
// network one.
Result<Passphrase> AsPassphraseProblem(Result<Passphrase> read, const std::string& source) {
  if (read.ok()) return read;
  return Status::Unauthorized("cannot read it from " + source + ": " + read.status().message());
}

}  // namespace

Result<Passphrase> ReadPassphrase(const GlobalOptions& options, bool confirm) {
  if (options.passphrase_fd >= 0) {
    return AsPassphraseProblem(Passphrase::FromFd(options.passphrase_fd),
                               "--passphrase-fd " + std::to_string(options.passphrase_fd));
  }
  if (!options.passphrase_file.empty()) {
    return AsPassphraseProblem(Passphrase::FromFile(options.passphrase_file),
                               "--passphrase-file " + options.passphrase_file);
  }
  if (std::getenv(kPassphraseVariable) != nullptr) {
    return Passphrase::FromEnvironment(kPassphraseVariable);
  }
  return Prompted(confirm);
}

}  // namespace tocsin::cli
