// The terminal: colours, the bell, and single keys without Enter (for one-key acks).
#ifndef TOCSIN_CLI_TERMINAL_H_
#define TOCSIN_CLI_TERMINAL_H_

#include <memory>
#include <optional>
#include <string>

#include "safe_output.h"

namespace tocsin::cli {

bool IsTerminal(int fd);

// ANSI colours (nothing added when `enabled` is false), written as the markers of
// safe_output.h.
struct Colours {
  bool enabled = false;
  std::string Paint(const std::string& text, const char* code) const;
};
inline constexpr const char* kRed = "1;31";
inline constexpr const char* kRedBanner = "1;97;41";
inline constexpr const char* kYellow = "1;33";
inline constexpr const char* kCyan = "36";
inline constexpr const char* kGreen = "1;32";
inline constexpr const char* kBold = "1";
inline constexpr const char* kDim = "2";

// Standard input in non-canonical mode without echo while alive (restored after).
class RawKeys {
 public:
  RawKeys();
  ~RawKeys();
  RawKeys(const RawKeys&) = delete;
  RawKeys& operator=(const RawKeys&) = delete;
  bool active() const { return active_; }
  // A key pressed within `timeout_ms`, or nullopt (also at end of input).
  std::optional<char> Next(int timeout_ms);

 private:
  bool active_ = false;
  bool closed_ = false;
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_TERMINAL_H_
