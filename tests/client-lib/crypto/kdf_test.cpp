#include "crypto/kdf.h"

#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "sealed_test_util.h"

using tocsin::crypto::HkdfSha256;
using tocsin::crypto::HmacSha256;
using tocsin::testing::FromHex;
using tocsin::testing::ToHex;

TEST_CASE("HMAC-SHA256 matches RFC 4231 test case 2", "[kdf]") {
  const std::string key = "Jefe";
  const std::string data = "what do ya want for nothing?";
  std::array<std::uint8_t, 32> mac;
  HmacSha256(tocsin::crypto::AsBytes(key), {tocsin::crypto::AsBytes(data)}, mac);
  CHECK(ToHex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("HMAC over parts equals HMAC over their concatenation", "[kdf]") {
  const auto key = FromHex("0102030405");
  std::array<std::uint8_t, 32> whole, split;
  const std::string text = "tocsin/ss2/at-and-more";
  HmacSha256(key, {tocsin::crypto::AsBytes(text)}, whole);
  HmacSha256(key,
             {tocsin::crypto::AsBytes(text.substr(0, 7)), tocsin::crypto::AsBytes(text.substr(7))},
             split);
  CHECK(whole == split);
}

TEST_CASE("HKDF info given in parts equals the same info in one piece", "[kdf]") {
  const auto ikm = FromHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  const auto info = FromHex("f0f1f2f3f4f5f6f7f8f9");
  std::vector<std::uint8_t> one(42), two(42);
  HkdfSha256({}, ikm, {info}, one);
  HkdfSha256({}, ikm, {std::span(info).first(3), std::span(info).subspan(3)}, two);
  CHECK(one == two);
  HkdfSha256({}, ikm, {std::span(info).first(3)}, two);
  CHECK(one != two);
}

TEST_CASE("HKDF output is a prefix-stable stream up to the RFC maximum", "[kdf]") {
  const auto ikm = FromHex("00112233");
  std::vector<std::uint8_t> short_out(40), long_out(tocsin::crypto::kHkdfMaxOutput);
  HkdfSha256({}, ikm, {}, short_out);
  HkdfSha256({}, ikm, {}, long_out);
  CHECK(std::equal(short_out.begin(), short_out.end(), long_out.begin()));
}
