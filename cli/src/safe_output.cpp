#include "safe_output.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "terminal.h"

namespace tocsin::cli {
namespace {

constexpr std::uint32_t kColourStart = 0xE000;
constexpr std::uint32_t kColourEnd = 0xE001;
constexpr std::uint32_t kReset = 0xE002;
constexpr std::uint32_t kBell = 0xE003;
constexpr std::uint32_t kClearScreen = 0xE004;

// The colour codes of terminal.h: the only ones a marker is turned into.
bool KnownColour(const std::string& code) {
  static constexpr std::string_view kKnown[] = {kRed,   kRedBanner, kYellow, kCyan,
                                                kGreen, kBold,      kDim};
  return std::find(std::begin(kKnown), std::end(kKnown), code) != std::end(kKnown);
}

// Characters that reorder what follows them on screen (Trojan Source, CVE-2021-42574).
bool Bidirectional(std::uint32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      out += "\u23CE";
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string SafeTerminalBuf::Filter(std::string_view bytes) {
  std::stringbuf sink;
  SafeTerminalBuf filter(&sink);
  filter.sputn(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  filter.pubsync();
  return sink.str();
}

SafeTerminalBuf::int_type SafeTerminalBuf::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  Put(static_cast<std::uint8_t>(traits_type::to_char_type(c)));
  return c;
}

std::streamsize SafeTerminalBuf::xsputn(const char* s, std::streamsize n) {
  for (std::streamsize i = 0; i < n; ++i) Put(static_cast<std::uint8_t>(s[i]));
  return n;
}

int SafeTerminalBuf::sync() { return out_->pubsync(); }

void SafeTerminalBuf::Emit(std::string_view text) {
  out_->sputn(text.data(), static_cast<std::streamsize>(text.size()));
}

void SafeTerminalBuf::EmitInvalid() {
  have_ = 0;
  need_ = 0;
  CodePoint(0xFFFD, "\uFFFD");
}

// UTF-8 decoding, strict: overlong forms, surrogates and values past U+10FFFF are
// invalid, as is a sequence cut short by another lead byte.
void SafeTerminalBuf::Put(std::uint8_t byte) {
  if (need_ == 0) {
    if (byte < 0x80) {
      const char c = static_cast<char>(byte);
      CodePoint(byte, std::string_view(&c, 1));
      return;
    }
    if (byte >= 0xC2 && byte <= 0xDF) {
      need_ = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      need_ = 3;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      need_ = 4;
    } else {
      return EmitInvalid();
    }
    pending_[0] = byte;
    have_ = 1;
    return;
  }
  if ((byte & 0xC0) != 0x80) {
    EmitInvalid();
    return Put(byte);
  }
  pending_[have_++] = byte;
  if (have_ < need_) return;
  std::uint32_t cp = pending_[0] & (need_ == 2 ? 0x1F : need_ == 3 ? 0x0F : 0x07);
  for (std::size_t i = 1; i < need_; ++i) cp = (cp << 6) | (pending_[i] & 0x3F);
  const std::uint32_t min = need_ == 2 ? 0x80 : need_ == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return EmitInvalid();
  const std::string raw(reinterpret_cast<const char*>(pending_.data()), need_);
  have_ = 0;
  need_ = 0;
  CodePoint(cp, raw);
}

void SafeTerminalBuf::CodePoint(std::uint32_t cp, std::string_view raw) {
  if (in_colour_) {
    if (cp == kColourEnd) {
      in_colour_ = false;
      if (KnownColour(colour_)) Emit("\033[" + colour_ + "m");
      return;
    }
    if (((cp >= '0' && cp <= '9') || cp == ';') && colour_.size() < 16) {
      colour_ += static_cast<char>(cp);
      return;
    }
    in_colour_ = false;  // not a marker of ours: what it held is plain text
    Emit(colour_);
  }
  switch (cp) {
    case kColourStart:
      in_colour_ = true;
      colour_.clear();
      return;
    case kColourEnd:
      return;
    case kReset:
      return Emit("\033[0m");
    case kBell:
      return Emit("\a");
    case kClearScreen:
      return Emit("\033[H\033[2J");
    case '\n':
    case '\t':
      return Emit(raw);
    default:
      break;
  }
  if (cp < 0x20 || cp == 0x7F) {
    const char caret[3] = {'^', static_cast<char>(cp == 0x7F ? '?' : cp + 0x40), '\0'};
    return Emit(caret);
  }
  if ((cp >= 0x80 && cp <= 0x9F) || Bidirectional(cp)) {
    char shown[16];
    std::snprintf(shown, sizeof shown, "<U+%04X>", static_cast<unsigned>(cp));
    return Emit(shown);
  }
  Emit(raw);
}

// Never destroyed: the standard streams are flushed after every static object is gone
// (std::ios_base::Init's destructor), and would flush into a destroyed buffer.
void ProtectStandardStreams() {
  static SafeTerminalBuf* const out = new SafeTerminalBuf(std::cout.rdbuf());
  static SafeTerminalBuf* const err = new SafeTerminalBuf(std::cerr.rdbuf());
  std::cout.rdbuf(out);
  std::cerr.rdbuf(err);
}

}  // namespace tocsin::cli
