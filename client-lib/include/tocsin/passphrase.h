// Passphrase: the secret that unlocks a device's store, held in locked, wiped memory
// (sodium_malloc: guard pages, kept out of core dumps and swap where the system allows,
// wiped when destroyed). Not copyable and never printable.
//
// Where it comes from: an interactive prompt, a file, an inherited descriptor, or (for
// scripted demos only) an environment variable. Never a command-line argument: the
// process list is readable by every local user.
//
// Errors: kInvalidArgument for an empty passphrase or one over 1024 bytes; kIoError when
// the source cannot be read; kUnavailable when there is no terminal to prompt on;
// kNotFound when the environment variable is not set.
//
// Thread-safety: a Passphrase is a value; the readers of files and descriptors are
// thread-safe; Prompt and FromEnvironment belong to the application's startup thread.
#ifndef TOCSIN_PASSPHRASE_H_
#define TOCSIN_PASSPHRASE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tocsin/status.h"

namespace tocsin {

namespace internal {
struct PassphraseAccess;
}

class Passphrase {
 public:
  // A copy of `text` (the caller wipes its own copy). WARNING: prefer the readers below;
  // a passphrase that passed through a std::string may linger in freed memory.
  static Result<Passphrase> FromString(std::string_view text);
  // The first line of the file at `path`.
  static Result<Passphrase> FromFile(const std::string& path);
  // One line from `fd` (a pipe, a socket, a file); the descriptor stays open.
  static Result<Passphrase> FromFd(int fd);
  // Asks on the controlling terminal with echo off.
  static Result<Passphrase> Prompt(std::string_view prompt);
  // WARNING: scripted demos only. Takes the variable and removes it from the
  // environment, so child processes do not inherit it.
  static Result<Passphrase> FromEnvironment(const char* name);

  ~Passphrase();
  Passphrase(Passphrase&&) noexcept;
  Passphrase& operator=(Passphrase&&) noexcept;
  Passphrase(const Passphrase&) = delete;
  Passphrase& operator=(const Passphrase&) = delete;

  std::size_t size() const;

  // True when both hold the same text (a passphrase typed twice), compared in constant
  // time (sodium_memcmp; only a difference in length shows in the timing).
  bool SameAs(const Passphrase& other) const;

 private:
  friend struct internal::PassphraseAccess;
  struct Impl;
  explicit Passphrase(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tocsin

#endif  // TOCSIN_PASSPHRASE_H_
