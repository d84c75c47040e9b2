// An alert through the `tocsin` binary: a dispatcher makes a tree, adds a responder from
// its card, sends an alert that the responder's `listen --json` prints (with its
// banners), the responder acks from another process (through listen's control socket),
// and the dispatcher's `alert status --json` counts it.
#include <algorithm>
#include <catch2/catch.hpp>

#include "cli_fixture.h"
#include "cli_json.h"

namespace tocsin::testing {
namespace {

#ifdef TOCSIN_CLI_ALERTS

std::string FieldAfter(const std::string& text, const std::string& key) {
  const auto at = text.find("\"" + key + "\":\"");
  if (at == std::string::npos) return "";
  const auto start = at + key.size() + 4;
  return text.substr(start, text.find('"', start) - start);
}

TEST_CASE("an alert reaches a listening responder, who acks from another terminal", "[cli]") {
  auto relay = StartedRelay();
  TestDevice dispatcher("Dispatch"), rosa("Rosa");
  dispatcher.Init({relay.get()});
  rosa.Init({relay.get()});
  CliProcess& rosa_listen = rosa.Listen();
  CliProcess& dispatch_listen = dispatcher.Listen();

  CliResult tree = RunCli({"--data", dispatcher.data(), "--json", "tree", "create", "eastside",
                           "--zone", "boyle-heights", "--ack-timeout", "30"});
  INFO(tree.err);
  REQUIRE(tree.exit_code == 0);
  CliResult added = RunCli({"--data", dispatcher.data(), "tree", "add", rosa.Card(), "--name",
                            "Rosa", "--role", "responder", "--parent", "dispatcher", "--zone",
                            "boyle-heights", "--skill", "legal_observer"});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  REQUIRE(rosa_listen.WaitForOutput("view_accepted"));

  CliResult sent =
      RunCli({"--data", dispatcher.data(), "--json", "alert", "send", "--zone", "boyle-heights",
              "--role", "legal_observer", "--mode", "exercise", "--es",
              "ALERTA: agentes en el lavado de autos", "--en", "ALERT: agents at the car wash"});
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  const std::string alert = FieldAfter(sent.out, "alert");
  REQUIRE(alert.size() == 32);
  REQUIRE(rosa_listen.WaitForOutput("agentes en el lavado"));
  CHECK(rosa_listen.Output().find("EXERCISE") != std::string::npos);
  CHECK(rosa_listen.Output().find("\"asked_to_respond\":true") != std::string::npos);

  CliResult ack =
      RunCli({"--data", rosa.data(), "--json", "ack", "--kind", "responding", "--eta", "12"});
  INFO(ack.err);
  REQUIRE(ack.exit_code == 0);
  REQUIRE(dispatch_listen.WaitForOutput("\"kind\":\"responding\""));
  CliResult status = RunCli({"--data", dispatcher.data(), "--json", "alert", "status", alert});
  REQUIRE(status.exit_code == 0);
  CHECK(status.out.find("\"kind\":\"responding\"") != std::string::npos);

  REQUIRE(RunCli({"--data", dispatcher.data(), "alert", "all-clear", alert, "--es", "Despejado",
                  "--en", "All clear"})
              .exit_code == 0);
  REQUIRE(rosa_listen.WaitForOutput("all_clear"));
}

TEST_CASE("alert commands refuse what the device may not do, with clear codes", "[cli]") {
  auto relay = StartedRelay();
  TestDevice rosa("Rosa");
  rosa.Init({relay.get()});
  CliResult no_tree = rosa.Run({"report", "--zone", "x", "agents"});
  CHECK(no_tree.exit_code == 3);
  CHECK(no_tree.err.find("no tree") != std::string::npos);
  CHECK(rosa.Run({"ack", "ffffffff"}).exit_code == 3);
  CHECK(rosa.Run({"ack", "--kind", "maybe"}).exit_code == 1);
}

TEST_CASE("tree replace gives a member's new phone its place and revokes the old key", "[cli]") {
  auto relay = StartedRelay();
  TestDevice dispatcher("Dispatch"), rosa("Rosa"), phone("Rosa phone 2");
  for (TestDevice* d : {&dispatcher, &rosa, &phone}) d->Init({relay.get()});
  dispatcher.Listen();
  CliProcess& rosa_listen = rosa.Listen();
  CliProcess& phone_listen = phone.Listen();
  REQUIRE(dispatcher.Run({"tree", "create", "eastside", "--zone", "bh"}).exit_code == 0);
  CliResult added =
      dispatcher.Run({"--json", "tree", "add", rosa.Card(), "--name", "Rosa", "--parent",
                      "dispatcher", "--zone", "bh", "--skill", "legal_observer"});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  const std::string old_key = Str(ParseObject(added.out), "key");
  REQUIRE(old_key.size() == 64);
  REQUIRE(Eventually([&] { return !Events(rosa_listen.Output(), "view_accepted").empty(); }));

  CliResult replaced =
      dispatcher.Run({"--json", "tree", "replace", "rosa", "--card", phone.Card()});
  INFO(replaced.err);
  REQUIRE(replaced.exit_code == 0);
  const JsonObject moved = ParseObject(replaced.out);
  CHECK(Str(moved, "revoked") == old_key);
  CHECK(Str(moved, "name") == "Rosa");
  CHECK(Str(moved, "role") == "responder");
  CHECK(Strings(moved, "skills") == std::vector<std::string>{"legal_observer"});
  CHECK(Strings(moved, "zones") == std::vector<std::string>{"bh"});
  const std::string new_key = Str(moved, "key");
  CHECK(new_key.size() == 64);
  CHECK(new_key != old_key);
  REQUIRE(Eventually([&] { return !Events(phone_listen.Output(), "view_accepted").empty(); }));

  const JsonObject roster = ParseObject(dispatcher.Run({"--json", "tree", "show"}).out);
  std::vector<std::string> keys;
  for (const auto& member : List(roster, "members")) {
    keys.push_back(member.struct_value().fields().at("key").string_value());
  }
  CHECK(std::count(keys.begin(), keys.end(), new_key) == 1);
  CHECK(std::count(keys.begin(), keys.end(), old_key) == 0);

  CliResult sent = dispatcher.Run({"--json", "alert", "send", "--zone", "bh", "--role",
                                   "legal_observer", "--es", "ALERTA", "--en", "ALERT"});
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  const std::string alert = Str(ParseObject(sent.out), "alert");
  REQUIRE(Eventually([&] { return !Events(phone_listen.Output(), "alert").empty(); }));
  const JsonObject shown = Events(phone_listen.Output(), "alert").front();
  CHECK(Str(shown, "alert") == alert);
  CHECK(Bool(shown, "info.asked_to_respond"));           // the skills came with the place
  CHECK(Events(rosa_listen.Output(), "alert").empty());  // the old phone is out

  CliResult unknown =
      dispatcher.Run({"--json", "tree", "replace", "nobody", "--card", phone.Card()});
  CHECK(unknown.exit_code == 3);
  CHECK(Num(ParseObject(unknown.out), "exit_code") == 3);
}

#endif  // TOCSIN_CLI_ALERTS

}  // namespace
}  // namespace tocsin::testing
