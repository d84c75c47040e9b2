#include "terminal.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

namespace tocsin::cli {

struct RawKeys::Saved {
  termios attributes;
};

bool IsTerminal(int fd) { return ::isatty(fd) == 1; }

std::string Colours::Paint(const std::string& text, const char* code) const {
  if (!enabled) return text;
  // Markers, made into the escape sequences by SafeTerminalBuf (safe_output.h).
  std::string painted(kColourMarker);
  painted.append(code).append(kColourEndMarker).append(text).append(kResetMarker);
  return painted;
}

RawKeys::RawKeys() {
  if (!IsTerminal(STDIN_FILENO)) return;
  saved_ = std::make_unique<Saved>();
  if (::tcgetattr(STDIN_FILENO, &saved_->attributes) != 0) return;
  termios raw = saved_->attributes;
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

RawKeys::~RawKeys() {
  if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_->attributes);
}

std::optional<char> RawKeys::Next(int timeout_ms) {
  if (!active_ || closed_) {
    ::usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    return std::nullopt;
  }
  pollfd waiting{STDIN_FILENO, POLLIN, 0};
  if (::poll(&waiting, 1, timeout_ms) <= 0) return std::nullopt;
  char key = 0;
  const ssize_t n = ::read(STDIN_FILENO, &key, 1);
  if (n == 0) closed_ = true;
  if (n != 1) return std::nullopt;
  return key;
}

}  // namespace tocsin::cli
