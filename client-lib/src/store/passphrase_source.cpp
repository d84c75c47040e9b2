#include "store/passphrase_source.h"

#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tocsin::store {
namespace {

Status ErrnoStatus(std::string_view what) {
  return Status::IoError(std::string(what) + ": " + std::strerror(errno));
}

// Reads single bytes up to a newline or EOF, so nothing past the line is consumed.
Result<std::size_t> ReadLineInto(int fd, crypto::SecretBytes& buffer) {
  std::size_t size = 0;
  for (;;) {
    std::uint8_t byte = 0;
    const ssize_t n = ::read(fd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read passphrase");
    if (n == 0 || byte == '\n') break;
    if (size == buffer.size()) return Status::InvalidArgument("passphrase too long");
    buffer.data()[size++] = byte;
  }
  if (size > 0 && buffer.data()[size - 1] == '\r') buffer.data()[--size] = 0;
  if (size == 0) return Status::InvalidArgument("empty passphrase");
  return size;
}

Result<crypto::SecretBytes> ReadLine(int fd) {
  crypto::SecretBytes buffer(kMaxPassphraseSize);
  Result<std::size_t> size = ReadLineInto(fd, buffer);
  if (!size.ok()) return size.status();
  return crypto::SecretBytes::CopyOf(buffer.span().first(*size));
}

void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the prompt is a courtesy: reading still works without it
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Turns echo off for its lifetime (keeping ECHONL, so the user sees the line end).
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {}
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

  Status Enable() {
    if (::tcgetattr(fd_, &saved_) != 0) return Status::InvalidArgument("not a terminal");
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    if (::tcsetattr(fd_, TCSAFLUSH, &quiet) != 0) return ErrnoStatus("turn terminal echo off");
    active_ = true;
    return Status::Ok();
  }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

}  // namespace

Result<crypto::SecretBytes> ReadPassphraseFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open passphrase file " + path);
  Result<crypto::SecretBytes> passphrase = ReadLine(fd);
  ::close(fd);
  if (!passphrase.ok()) return passphrase.status().Annotate("passphrase file " + path);
  return passphrase;
}

Result<crypto::SecretBytes> ReadPassphraseFd(int fd) {
  Result<crypto::SecretBytes> passphrase = ReadLine(fd);
  if (!passphrase.ok()) return passphrase.status().Annotate("passphrase fd");
  return passphrase;
}

Result<crypto::SecretBytes> PromptPassphraseOn(int tty_fd, std::string_view prompt) {
  EchoOff echo_off(tty_fd);
  TOCSIN_RETURN_IF_ERROR(echo_off.Enable());
  WriteAll(tty_fd, prompt);
  return ReadLine(tty_fd);
}

Result<crypto::SecretBytes> PromptPassphrase(std::string_view prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return Status::Unavailable(
        "no terminal to ask for the passphrase; give it with a file or a file descriptor");
  }
  Result<crypto::SecretBytes> passphrase = PromptPassphraseOn(fd, prompt);
  ::close(fd);
  return passphrase;
}

Result<crypto::SecretBytes> TakePassphraseFromEnvironment(const char* name) {
  char* value = std::getenv(name);
  if (value == nullptr) return Status::NotFound(std::string(name) + " is not set");
  const std::size_t size = std::strlen(value);
  Result<crypto::SecretBytes> passphrase = Status::InvalidArgument("empty passphrase");
  if (size > kMaxPassphraseSize) passphrase = Status::InvalidArgument("passphrase too long");
  if (size > 0 && size <= kMaxPassphraseSize) {
    passphrase = crypto::SecretBytes::CopyOf({reinterpret_cast<std::uint8_t*>(value), size});
  }
  sodium_memzero(value, size);
  ::unsetenv(name);
  return passphrase;
}

}  // namespace tocsin::store
