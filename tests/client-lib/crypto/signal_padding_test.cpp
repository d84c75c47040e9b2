// Content padding inside libsignal messages (SPEC.md section 10.5, "Inner padding").
#include "crypto/signal_padding.h"

#include <catch2/catch.hpp>
#include <vector>

namespace {

using tocsin::Code;
using tocsin::crypto::ContentPaddedSize;
using tocsin::crypto::PadContent;
using tocsin::crypto::UnpadContent;
using Bytes = std::vector<std::uint8_t>;

TEST_CASE("contents pad to the smallest multiple of 160 that holds the marker",
          "[signal][padding]") {
  CHECK(ContentPaddedSize(0) == 160);
  CHECK(ContentPaddedSize(159) == 160);
  CHECK(ContentPaddedSize(160) == 320);
  CHECK(ContentPaddedSize(319) == 320);
  CHECK(ContentPaddedSize(1000) == 1120);
}

TEST_CASE("content padding round-trips at every block boundary", "[signal][padding]") {
  for (std::size_t length : {0, 1, 100, 158, 159, 160, 161, 319, 320, 4000}) {
    Bytes content(length);
    for (std::size_t i = 0; i < length; ++i) content[i] = static_cast<std::uint8_t>(i * 13 + 1);
    const Bytes padded = PadContent(content);
    REQUIRE(padded.size() == ContentPaddedSize(length));
    CHECK(padded[length] == 0x80);
    auto back = UnpadContent(padded);
    REQUIRE(back.ok());
    CHECK(Bytes(back->begin(), back->end()) == content);
  }
}

TEST_CASE("a content ending in zeros or 0x80 keeps them", "[signal][padding]") {
  const Bytes content = {7, 0x80, 0, 0};
  const Bytes padded = PadContent(content);
  auto back = UnpadContent(padded);
  REQUIRE(back.ok());
  CHECK(Bytes(back->begin(), back->end()) == content);
}

TEST_CASE("bad content padding is a crypto failure", "[signal][padding]") {
  auto code = [](const Bytes& padded) { return UnpadContent(padded).status().code(); };
  CHECK(code({}) == Code::kCryptoFailure);
  CHECK(code(Bytes(160, 0)) == Code::kCryptoFailure);  // no marker
  Bytes wrong_marker = PadContent(Bytes{1, 2, 3});
  wrong_marker[3] = 0x81;
  CHECK(code(wrong_marker) == Code::kCryptoFailure);
  Bytes garbage_after = PadContent(Bytes{1, 2, 3});
  garbage_after[100] = 0x01;
  CHECK(code(garbage_after) == Code::kCryptoFailure);
  Bytes not_a_block = PadContent(Bytes{1, 2, 3});
  not_a_block.pop_back();
  CHECK(code(not_a_block) == Code::kCryptoFailure);
  Bytes too_long = PadContent(Bytes{1, 2, 3});
  too_long.resize(320, 0);  // a whole block of zeros more than the rule gives
  CHECK(code(too_long) == Code::kCryptoFailure);
}

}  // namespace
