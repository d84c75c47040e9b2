// Where a passphrase comes from: a file, an inherited file descriptor, an interactive
// prompt with echo off, or (scripted demos only) an environment variable. Never argv:
// the process list is readable by every local user.
//
// Each reader takes one line: the bytes up to the first "\n" (a trailing "\r" is
// dropped too), read straight into a SecretBytes. Nothing after the newline is consumed
// from a descriptor, so a pipe may carry more data after the passphrase.
//
// Errors: kInvalidArgument for an empty passphrase or one longer than
// kMaxPassphraseSize; kIoError when the source cannot be read; kUnavailable when there
// is no terminal to prompt on.
//
// Thread-safety: the file and descriptor readers are thread-safe; the prompt changes
// the terminal's mode and the environment reader changes the environment, so both
// belong to the application's startup thread.
#ifndef TOCSIN_STORE_PASSPHRASE_SOURCE_H_
#define TOCSIN_STORE_PASSPHRASE_SOURCE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/secure_buffer.h"
#include "tocsin/status.h"

namespace tocsin::store {

inline constexpr std::size_t kMaxPassphraseSize = 1024;

// The first line of the file at `path` (the CLI's --passphrase-file).
Result<crypto::SecretBytes> ReadPassphraseFile(const std::string& path);

// One line from `fd` (the CLI's --passphrase-fd: a pipe, a socket, a file). The
// descriptor stays open: the caller owns it.
Result<crypto::SecretBytes> ReadPassphraseFd(int fd);

// Writes `prompt` to the controlling terminal (/dev/tty, so it works with stdin and
// stdout redirected) and reads one line with echo off; the terminal's mode is restored
// before returning. WARNING: a signal that kills the process during the prompt leaves
// echo off (as with getpass(3)); `stty echo` restores it.
Result<crypto::SecretBytes> PromptPassphrase(std::string_view prompt);

// As PromptPassphrase, on an already open terminal descriptor (a pty in tests).
// REQUIRES: tty_fd refers to a terminal (kInvalidArgument otherwise).
Result<crypto::SecretBytes> PromptPassphraseOn(int tty_fd, std::string_view prompt);

// WARNING: scripted demos only (TOCSIN_PASSPHRASE): the environment of a process can be
// read by its user's other processes. Copies the variable, overwrites its bytes in the
// environment and removes it, so child processes do not inherit it.
// kNotFound when it is not set.
Result<crypto::SecretBytes> TakePassphraseFromEnvironment(const char* name);

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_PASSPHRASE_SOURCE_H_
