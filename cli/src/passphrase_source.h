// Where a command gets the device's passphrase, in this order: --passphrase-fd N,
// --passphrase-file PATH, the TOCSIN_PASSPHRASE environment variable (scripted demos and
// tests only: the environment of a process can be read by the same user and is easily
// leaked into logs and child processes), and last a prompt on the terminal with echo
// off. Never a command-line argument.
#ifndef TOCSIN_CLI_PASSPHRASE_SOURCE_H_
#define TOCSIN_CLI_PASSPHRASE_SOURCE_H_

#include "session.h"
#include "tocsin/passphrase.h"

namespace tocsin::cli {

inline constexpr const char* kPassphraseVariable = "TOCSIN_PASSPHRASE";

// `confirm`: when prompting, ask twice (a new device). Errors: kUnauthorized when there
// is no source (no terminal and nothing given), or the two entries differ; the
// readers' own errors otherwise.
Result<Passphrase> ReadPassphrase(const GlobalOptions& options, bool confirm = false);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_PASSPHRASE_SOURCE_H_
