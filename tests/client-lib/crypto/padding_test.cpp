#include "crypto/padding.h"

#include <catch2/catch.hpp>
#include <vector>

using tocsin::Code;
using tocsin::crypto::AppendPadded;
using tocsin::crypto::PaddedSize;
using tocsin::crypto::Unpad;

TEST_CASE("plaintexts pad to the smallest bucket that holds them and the marker", "[padding]") {
  CHECK(PaddedSize(0) == 1024);
  CHECK(PaddedSize(1023) == 1024);
  CHECK(PaddedSize(1024) == 4096);
  CHECK(PaddedSize(4095) == 4096);
  CHECK(PaddedSize(4096) == 16384);
  CHECK(PaddedSize(65535) == 65536);
  CHECK(PaddedSize(65536) == 0);
}

TEST_CASE("padding round-trips at every bucket boundary", "[padding]") {
  for (std::size_t length : {0, 1, 500, 1023, 1024, 4095, 4096, 16383, 16384, 65535}) {
    std::vector<std::uint8_t> plaintext(length, 0);
    for (std::size_t i = 0; i < length; ++i) plaintext[i] = static_cast<std::uint8_t>(i * 7);
    std::vector<std::uint8_t> padded;
    REQUIRE(AppendPadded(plaintext, padded).ok());
    CHECK(padded.size() == PaddedSize(length));
    auto back = Unpad(padded);
    REQUIRE(back.ok());
    CHECK(std::vector<std::uint8_t>(back->begin(), back->end()) == plaintext);
  }
}

TEST_CASE("a plaintext ending in zeros keeps them", "[padding]") {
  std::vector<std::uint8_t> plaintext = {1, 0, 0x80, 0, 0};
  std::vector<std::uint8_t> padded;
  REQUIRE(AppendPadded(plaintext, padded).ok());
  auto back = Unpad(padded);
  REQUIRE(back.ok());
  CHECK(std::vector<std::uint8_t>(back->begin(), back->end()) == plaintext);
}

TEST_CASE("an oversized plaintext is TOO_LARGE", "[padding]") {
  std::vector<std::uint8_t> plaintext(65536), padded;
  CHECK(AppendPadded(plaintext, padded).code() == Code::kTooLarge);
  CHECK(padded.empty());
}

TEST_CASE("malformed padding is rejected", "[padding]") {
  std::vector<std::uint8_t> zeros(1024, 0);
  CHECK(Unpad(zeros).status().code() == Code::kCryptoFailure);
  std::vector<std::uint8_t> wrong_marker(1024, 0);
  wrong_marker[10] = 0x81;
  CHECK(Unpad(wrong_marker).status().code() == Code::kCryptoFailure);
  std::vector<std::uint8_t> not_a_bucket(1000, 0);
  not_a_bucket[0] = 0x80;
  CHECK(Unpad(not_a_bucket).status().code() == Code::kCryptoFailure);
}
