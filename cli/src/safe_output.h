// What the CLI writes to a terminal can never carry a control sequence that came from
// someone else. Names, message and alert texts, zones and relay errors come from other
// devices and relays; printed raw, an escape sequence in them could move the cursor and
// erase an UNVERIFIED banner, retitle the window or fake a line.
//
// So the CLI's own terminal controls (colours, the bell, a cleared screen) are written as
// private-use characters (the k*Marker strings; Colours::Paint uses them), and every
// byte written to standard output and error passes through SafeTerminalBuf, which turns
// the markers into the real sequences and shows everything else that could act on a
// terminal instead of passing it on:
// - C0 controls but newline and tab, and DEL, in caret notation ("^[" for ESC);
// - C1 controls and the bidirectional overrides and isolates as "<U+202E>";
// - bytes that are not UTF-8 as U+FFFD.
// A colour marker is turned into a sequence only for the few codes the CLI uses, so a
// marker that came from the network can at most colour text, never move anything.
// Newlines pass (the CLI prints lines); OneLine() shows the newlines of a field that
// must stay on one line (a name) as "⏎".
#ifndef TOCSIN_CLI_SAFE_OUTPUT_H_
#define TOCSIN_CLI_SAFE_OUTPUT_H_

#include <array>
#include <cstdint>
#include <streambuf>
#include <string>
#include <string_view>

namespace tocsin::cli {

inline constexpr std::string_view kColourMarker = "\uE000";  // then the SGR code
inline constexpr std::string_view kColourEndMarker = "\uE001";
inline constexpr std::string_view kResetMarker = "\uE002";
inline constexpr std::string_view kBellMarker = "\uE003";
inline constexpr std::string_view kClearScreenMarker = "\uE004";

// `text` with its newlines (CR, LF) shown as "⏎": for fields printed on one line.
std::string OneLine(std::string_view text);

// A filter in front of another stream buffer (not owned). Thread-compatible, as the
// stream it serves.
class SafeTerminalBuf final : public std::streambuf {
 public:
  explicit SafeTerminalBuf(std::streambuf* out) : out_(out) {}
  SafeTerminalBuf(const SafeTerminalBuf&) = delete;
  SafeTerminalBuf& operator=(const SafeTerminalBuf&) = delete;

  // The text `bytes` becomes once filtered (for tests and short strings).
  static std::string Filter(std::string_view bytes);

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  void Put(std::uint8_t byte);
  void CodePoint(std::uint32_t cp, std::string_view raw);
  void Emit(std::string_view text);
  void EmitInvalid();

  std::streambuf* out_;
  std::array<std::uint8_t, 4> pending_{};  // an incomplete UTF-8 sequence
  std::size_t have_ = 0;
  std::size_t need_ = 0;
  bool in_colour_ = false;  // between kColourMarker and kColourEndMarker
  std::string colour_;
};

// Puts std::cout and std::cerr behind SafeTerminalBuf for the life of the process.
void ProtectStandardStreams();

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_SAFE_OUTPUT_H_
