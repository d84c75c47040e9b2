// relay.toml: one schema, loaded, validated and generated.
#include <catch2/catch.hpp>

#include "admin/commands.h"
#include "cat.h"
#include "config/config.h"
#include "config/config_schema.h"

namespace tocsin::relay {
namespace {

using testing::Cat;

TEST_CASE("an empty config is all defaults", "[relay][config]") {
  auto c = ParseConfig("", "relay.toml", "/base");
  REQUIRE(c.ok());
  CHECK(c->max_frame_bytes == 262144);
  CHECK(c->max_envelope_bytes == 65792);
  CHECK(c->max_ttl_seconds == 259200);
  CHECK(c->max_window == 1024);
  CHECK(c->default_window == 64);
  CHECK(c->durability == "fsync");
  CHECK(c->metrics_listen == "127.0.0.1:9090");
  CHECK(c->classes[ClassIndex(TokenClass::kIntro)].max_sends == 20);
  CHECK(c->classes[ClassIndex(TokenClass::kIntro)].max_prekey_fetches == 10);
  CHECK(c->classes[ClassIndex(TokenClass::kIntro)].max_queued_messages == 20);
  CHECK(c->classes[ClassIndex(TokenClass::kIntro)].ttl_seconds == 7 * 86400);
  CHECK(c->token_envelopes_per_second == 50);
  CHECK(c->token_burst == 200);
  CHECK(c->mailbox_total_envelopes_per_second == 2000);
  CHECK(c->mailbox_total_burst == 5000);
  CHECK(c->data_dir == "/base");
  CHECK(c->AdminSocketPath() == "/base/admin.sock");
}

TEST_CASE("the generated relay.toml holds every setting and parses back to the defaults",
          "[relay][config]") {
  const std::string text = GenerateConfigText("127.0.0.1:1234", ".");
  for (const Setting& s : ConfigSchema()) {
    INFO(s.FullName());
    CHECK(text.find(Cat("\n", s.name, " = ")) != std::string::npos);
    CHECK(text.find(Cat("# ", s.description)) != std::string::npos);
  }
  for (const RenamedSetting& r : RenamedSettings()) {
    const std::string old_key(r.old_name.substr(r.old_name.find('.') + 1));
    CHECK(text.find(Cat("\n", old_key, " = ")) == std::string::npos);
  }
  auto c = ParseConfig(text, "relay.toml", "/data");
  REQUIRE(c.ok());
  CHECK(c->listen == "127.0.0.1:1234");
  CHECK(c->data_dir == "/data");
  const Config defaults;
  CHECK(c->max_outbound_bytes == defaults.max_outbound_bytes);
  CHECK(c->classes[2].max_queued_bytes == defaults.classes[2].max_queued_bytes);
}

TEST_CASE("values are read into their settings", "[relay][config]") {
  auto c = ParseConfig(
      "[server]\ndurability = \"wal\"\nlisten = \"[::1]:7000\"\n"
      "[limits]\nmax_window = 10\ndefault_window = 5\n"
      "[tokens.contact]\nmax_queued_messages = 7\n",
      "relay.toml", "");
  REQUIRE(c.ok());
  CHECK(c->durability == "wal");
  CHECK(c->MakeStoreOptions().durability == Durability::kWal);
  CHECK(c->max_window == 10);
  CHECK(c->MakeStoreOptions().quotas[ClassIndex(TokenClass::kContact)].max_queued_messages == 7);
}

TEST_CASE("a renamed setting is read under its old name, but not under both", "[relay][config]") {
  // The per-mailbox rate of older relay.toml files became the per-token one.
  auto old = ParseConfig("[rate_limits]\nmailbox_envelopes_per_second = 7\nmailbox_burst = 9\n",
                         "relay.toml", "");
  REQUIRE(old.ok());
  CHECK(old->token_envelopes_per_second == 7);
  CHECK(old->token_burst == 9);
  CHECK(old->mailbox_total_envelopes_per_second == Config{}.mailbox_total_envelopes_per_second);
  CHECK(old->mailbox_total_burst == Config{}.mailbox_total_burst);
  auto both = ParseConfig("[rate_limits]\nmailbox_burst = 9\ntoken_burst = 10\n", "relay.toml", "");
  REQUIRE_FALSE(both.ok());
  CHECK(both.status().code() == Code::kInvalidArgument);
  CHECK(both.status().message().find("rate_limits.token_burst is set twice") != std::string::npos);
  // An old name is still checked against the new setting's range.
  auto zero = ParseConfig("[rate_limits]\nmailbox_burst = 0\n", "relay.toml", "");
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.status().message().find("out of range") != std::string::npos);
}

TEST_CASE("bad configs are refused with the setting's name", "[relay][config]") {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"[server]\nlisten_port = 1\n", "server.listen_port"},
      {"[nonsense]\nkey = 1\n", "nonsense"},
      {"[tokens.vip]\nmax_sends = 1\n", "tokens.vip"},
      {"[limits]\nmax_window = \"big\"\n", "limits.max_window: expected a whole number"},
      {"[limits]\nmax_window = 0\n", "limits.max_window"},
      {"[limits]\nmax_window = -4\n", "limits.max_window"},
      {"[server]\ndurability = \"maybe\"\n", "server.durability"},
      {"[server]\nlisten = \"nohostport\"\n", "server.listen"},
      {"[server]\nlisten = \"localhost:7443\"\n", "server.listen: not an IP address"},
      {"[server]\nmetrics_listen = \"localhost:9464\"\n", "server.metrics_listen: not an IP"},
      {"[server]\nlog_level = 3\n", "server.log_level: expected a string"},
      {"[limits]\ndefault_window = 20\nmax_window = 10\n", "default_window"},
      {"[limits\n", "line 1"},
  };
  for (const Case& k : cases) {
    auto c = ParseConfig(k.text, "relay.toml", "");
    INFO(k.text);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == Code::kInvalidArgument);
    CHECK(c.status().message().find(k.expect) != std::string::npos);
    CHECK(c.status().message().find("relay.toml") == 0);
  }
}

TEST_CASE("host:port and durations parse", "[relay][config]") {
  auto v4 = ParseHostPort("10.0.0.1:80");
  REQUIRE(v4.ok());
  CHECK(v4->host == "10.0.0.1");
  CHECK(v4->port == 80);
  auto v6 = ParseHostPort("[::]:0");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::");
  CHECK_FALSE(ParseHostPort("host:70000").ok());
  CHECK_FALSE(ParseHostPort(":80").ok());
  // The relay binds an address of its own host, never a name to look up.
  const auto name = ParseHostPort("localhost:7443");
  REQUIRE_FALSE(name.ok());
  CHECK(name.status().message().find("not an IP address: \"localhost\"") != std::string::npos);
  CHECK_FALSE(ParseHostPort("[relay.example]:7443").ok());
  CHECK(ParseHostPort("[2001:db8::1]:7443").ok());
  CHECK(*ParseDurationSeconds("7d") == 7 * 86400);
  CHECK(*ParseDurationSeconds("12h") == 12 * 3600);
  CHECK(*ParseDurationSeconds("90") == 90);
  CHECK(*ParseDurationSeconds("never") == 0);
  CHECK_FALSE(ParseDurationSeconds("7y").ok());
  CHECK_FALSE(ParseDurationSeconds("d").ok());
  // Zero is refused with or without a unit: only "never" means no expiry.
  CHECK_FALSE(ParseDurationSeconds("0").ok());
  CHECK_FALSE(ParseDurationSeconds("0s").ok());
  CHECK(ParseDurationSeconds("0h").status().message().find("never") != std::string::npos);
}

}  // namespace
}  // namespace tocsin::relay
