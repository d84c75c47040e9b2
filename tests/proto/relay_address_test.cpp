#include "tocsin/relay_address.h"

#include <catch2/catch.hpp>
#include <string>

#include "test_bytes.h"

using tocsin::Base32Decode;
using tocsin::Base32Encode;
using tocsin::Code;
using tocsin::ParseRelayAddress;
using tocsin::RelayAddress;
using tocsin::testing::ToBytes;

namespace {

std::string Text(std::string_view s) { return std::string(s); }

}  // namespace

TEST_CASE("base32 matches RFC 4648's test vectors in lower case", "[relay_address]") {
  CHECK(Base32Encode(ToBytes("")) == "");
  CHECK(Base32Encode(ToBytes("f")) == "my");
  CHECK(Base32Encode(ToBytes("fo")) == "mzxq");
  CHECK(Base32Encode(ToBytes("foo")) == "mzxw6");
  CHECK(Base32Encode(ToBytes("foob")) == "mzxw6yq");
  CHECK(Base32Encode(ToBytes("fooba")) == "mzxw6ytb");
  CHECK(Base32Encode(ToBytes("foobar")) == "mzxw6ytboi");
  CHECK(Base32Decode("MZXW6YTBOI").value() == ToBytes("foobar"));
  CHECK(Base32Decode("mzxw6ytboi").value() == ToBytes("foobar"));
}

TEST_CASE("base32 refuses other characters, bad lengths and stray bits", "[relay_address]") {
  CHECK(Base32Decode("mzxw6yt=").status().code() == Code::kInvalidArgument);
  CHECK(Base32Decode("mzxw1").status().code() == Code::kInvalidArgument);
  CHECK(Base32Decode("m").status().code() == Code::kInvalidArgument);   // 5 bits
  CHECK(Base32Decode("mz").status().code() == Code::kInvalidArgument);  // stray bits
}

TEST_CASE("a relay address round-trips", "[relay_address]") {
  RelayAddress address;
  for (std::size_t i = 0; i < address.pin.size(); ++i) address.pin[i] = static_cast<uint8_t>(i);
  address.host = "relay.example.org";
  address.port = 7443;
  const std::string text = address.ToString();
  CHECK(text.starts_with("tocsin://"));
  CHECK(text.size() == 9 + 52 + 1 + 17 + 5);
  auto parsed = ParseRelayAddress(text);
  REQUIRE(parsed.ok());
  CHECK(*parsed == address);

  address.host = "::1";
  CHECK(address.ToString().ends_with("@[::1]:7443"));
  CHECK(ParseRelayAddress(address.ToString()).value() == address);
}

TEST_CASE("malformed relay addresses get a typed error", "[relay_address]") {
  const std::string pin(52, 'a');
  for (const std::string& bad :
       {Text("https://" + pin + "@host:1"), Text("tocsin://host:1"),
        Text("tocsin://" + pin.substr(1) + "@host:1"), Text("tocsin://" + pin + "@:1"),
        Text("tocsin://" + pin + "@host"), Text("tocsin://" + pin + "@host:0"),
        Text("tocsin://" + pin + "@host:65536"), Text("tocsin://" + pin + "@host:12x"),
        Text("tocsin://" + pin + "@::1:80"), Text("tocsin://" + pin + "@[::1]80"),
        Text("tocsin://" + std::string(52, '1') + "@host:1"),
        // Found by the text_parsers fuzz target: "[J" printed back as "[[J]".
        Text("tocsin://" + pin + "@[[J]:5"), Text("tocsin://" + pin + "@[relay.org]:5"),
        Text("tocsin://" + pin + "@ho st:1"), Text("tocsin://" + pin + "@host%0a:1"),
        Text("tocsin://" + pin + "@ho_st:1"),
        Text("tocsin://" + pin + "@" + std::string(254, 'h') + ":1")}) {
    INFO(bad);
    CHECK(ParseRelayAddress(bad).status().code() == Code::kInvalidArgument);
  }
}
