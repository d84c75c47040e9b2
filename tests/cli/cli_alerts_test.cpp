// An alert through the `tocsin` binary: a dispatcher makes a tree, adds a responder from
// its card, sends an alert that the responder's `listen --json` prints (with its
// banners), the responder acks from another process (through listen's control socket),
// and the dispatcher's `alert status --json` counts it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "cli_fixture.h"
#include "cli_json.h"

namespace tocsin::testing {
namespace {

#ifdef TOCSIN_CLI_ALERTS

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

  // Instructions in a language without its text are refused before anything is sent.
  CHECK(dispatcher
            .Run({"alert", "send", "--zone", "boyle-heights", "--es", "x", "--en", "x",
                  "--instructions", "ko=..."})
            .exit_code == 1);
  CliResult sent = RunCli({"--data",
                           dispatcher.data(),
                           "--json",
                           "alert",
                           "send",
                           "--zone",
                           "boyle-heights",
                           "--role",
                           "legal_observer",
                           "--mode",
                           "exercise",
                           "--es",
                           "ALERTA: agentes en el lavado de autos",
                           "--en",
                           "ALERT: agents at the car wash",
                           "--text",
                           "ko=경보",
                           "--es-instructions",
                           "Traigan cámaras; quédense en la acera",
                           "--en-instructions",
                           "Bring cameras; stay on the sidewalk",
                           "--instructions",
                           "ko=카메라를 가져오세요"});
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  const std::string alert = Str(ParseObject(sent.out), "alert");
  REQUIRE(alert.size() == 32);
  REQUIRE(Eventually([&] { return !Events(rosa_listen.Output(), "alert").empty(); }));
  const JsonObject shown = Events(rosa_listen.Output(), "alert").front();
  CHECK(Str(shown, "alert") == alert);
  CHECK(Str(shown, "info.mode") == "exercise");
  CHECK(Strings(shown, "info.banners").front() == "EXERCISE");
  CHECK(Bool(shown, "info.asked_to_respond"));
  std::map<std::string, std::pair<std::string, std::string>> texts;
  for (const auto& text : List(shown, "info.texts")) {
    const auto& fields = text.struct_value().fields();
    texts[fields.at("language").string_value()] = {fields.at("text").string_value(),
                                                   fields.at("instructions").string_value()};
  }
  CHECK(texts["es"] == std::make_pair(std::string("ALERTA: agentes en el lavado de autos"),
                                      std::string("Traigan cámaras; quédense en la acera")));
  CHECK(texts["en"].second == "Bring cameras; stay on the sidewalk");
  CHECK(texts["ko"] == std::make_pair(std::string("경보"), std::string("카메라를 가져오세요")));

  CliResult ack =
      RunCli({"--data", rosa.data(), "--json", "ack", "--kind", "responding", "--eta", "12"});
  INFO(ack.err);
  REQUIRE(ack.exit_code == 0);
  REQUIRE(dispatch_listen.WaitForOutput("\"kind\":\"responding\""));
  CliResult status = RunCli({"--data", dispatcher.data(), "--json", "alert", "status", alert});
  REQUIRE(status.exit_code == 0);
  const auto acks = List(ParseObject(status.out), "acks");
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].struct_value().fields().at("kind").string_value() == "responding");
  CHECK(acks[0].struct_value().fields().at("eta_minutes").number_value() == 12);

  REQUIRE(RunCli({"--data", dispatcher.data(), "alert", "all-clear", alert, "--es", "Despejado",
                  "--en", "All clear"})
              .exit_code == 0);
  REQUIRE(rosa_listen.WaitForOutput("all_clear"));
}

TEST_CASE("what the tree does not allow exits 5, never like a wrong passphrase", "[cli]") {
  auto relay = StartedRelay();
  TestDevice dispatcher("Dispatch"), rosa("Rosa");
  dispatcher.Init({relay.get()});
  rosa.Init({relay.get()});
  CliProcess& rosa_listen = rosa.Listen();
  REQUIRE(dispatcher.Run({"tree", "create", "eastside", "--zone", "bh"}).exit_code == 0);
  REQUIRE(dispatcher
              .Run({"tree", "add", rosa.Card(), "--name", "Rosa", "--parent", "dispatcher",
                    "--zone", "bh"})
              .exit_code == 0);
  REQUIRE(Eventually([&] { return !Events(rosa_listen.Output(), "view_accepted").empty(); }));
  rosa.StopListening();  // the device is opened by each command (with its passphrase)

  CliResult send = rosa.Run({"--json", "alert", "send", "--zone", "bh", "--es", "x", "--en", "x"});
  CHECK(send.exit_code == 5);
  const JsonObject error = ParseObject(send.out);
  CHECK(Num(error, "exit_code") == 5);
  CHECK(Str(error, "code") == "UNAUTHORIZED");
  CHECK(send.err.find("not let us send Alert") != std::string::npos);
  CHECK(rosa.Run({"tree", "add", dispatcher.Card(), "--name", "x", "--parent", "dispatcher"})
            .exit_code == 5);  // not an admin
  // The same device with a wrong passphrase: 2.
  CliResult locked = RunCli(
      {"--data", rosa.data(), "--json", "alert", "send", "--zone", "bh", "--es", "x", "--en", "x"},
      {{"TOCSIN_PASSPHRASE", "not the passphrase"}});
  CHECK(locked.exit_code == 2);
  CHECK(Num(ParseObject(locked.out), "exit_code") == 2);
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

std::string KeyOf(const TestDevice& device) {
  CliResult card = device.Run({"--json", "card"});
  REQUIRE(card.exit_code == 0);
  return Str(ParseObject(card.out), "identity_key");
}

TEST_CASE("two of two admins: views wait for the co-admin's signature, then the set changes",
          "[cli]") {
  auto relay = StartedRelay();
  TestDevice admin("Admin"), coadmin("Coadmin"), rosa("Rosa");
  for (TestDevice* d : {&admin, &coadmin, &rosa}) d->Init({relay.get()});
  admin.Listen();
  CliProcess& rosa_listen = rosa.Listen();
  const std::string admin_key = KeyOf(admin), coadmin_key = KeyOf(coadmin);
  CliResult created = admin.Run({"--json", "tree", "create", "eastside", "--zone", "bh", "--admin",
                                 coadmin_key, "--threshold", "2"});
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  CliResult added = admin.Run({"--json", "tree", "add", rosa.Card(), "--name", "Rosa", "--parent",
                               "dispatcher", "--zone", "bh"});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  const JsonObject add = ParseObject(added.out);
  CHECK(Num(add, "views_sent") == 0);
  CHECK(Num(add, "pending") >= 1);

  // The bundle goes to the co-admin, who reads it, then signs it.
  CliResult exported = admin.Run({"--json", "tree", "export-pending"});
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  const std::string bundle = Str(ParseObject(exported.out), "bundle");
  REQUIRE(bundle.rfind("TOCSINCOSIGN1:", 0) == 0);
  const std::string file = coadmin.data() + "/../bundle.txt";
  REQUIRE(RunProgram("/bin/sh", {"-c", "cat > " + file}, {}, bundle).exit_code == 0);
  CliResult shown = coadmin.Run({"--json", "tree", "cosign", file});
  INFO(shown.err);
  REQUIRE(shown.exit_code == 0);
  const JsonObject review = ParseObject(shown.out);
  CHECK_FALSE(Bool(review, "signed"));
  bool rosa_view = false;
  for (const auto& item : List(review, "items")) {
    const auto& fields = item.struct_value().fields();
    if (fields.at("kind").string_value() == "view" &&
        fields.at("member_name").string_value() == "Rosa") {
      rosa_view = true;
      CHECK(fields.at("signatures").number_value() == 1);
      CHECK(fields.at("needed").number_value() == 2);
    }
  }
  CHECK(rosa_view);
  CliResult signed_bundle = coadmin.Run({"--json", "tree", "cosign", "-", "--confirm"}, bundle);
  INFO(signed_bundle.err);
  REQUIRE(signed_bundle.exit_code == 0);
  const JsonObject cosigned = ParseObject(signed_bundle.out);
  CHECK(Bool(cosigned, "signed"));
  const std::string back = Str(cosigned, "bundle");
  CHECK(Events(rosa_listen.Output(), "view_accepted").empty());

  CliResult imported = admin.Run({"--json", "tree", "import-signatures", back});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK(Num(ParseObject(imported.out), "done") >= 1);
  CHECK(Num(ParseObject(imported.out), "pending") == 0);
  REQUIRE(Eventually([&] { return !Events(rosa_listen.Output(), "view_accepted").empty(); }));
  const JsonObject held = ParseObject(rosa.Run({"--json", "tree", "show"}).out);
  CHECK(Num(held, "threshold") == 2);
  CHECK(Strings(held, "admins") == std::vector<std::string>{admin_key, coadmin_key});

  // Back to one admin: the co-admin must sign that too.
  CliResult change =
      admin.Run({"--json", "tree", "admins", "--admin", admin_key, "--threshold", "1"});
  INFO(change.err);
  REQUIRE(change.exit_code == 0);
  CHECK_FALSE(Bool(ParseObject(change.out), "applied"));
  const std::string proposal =
      Str(ParseObject(admin.Run({"--json", "tree", "export-pending"}).out), "bundle");
  CHECK(rosa.Run({"tree", "cosign", proposal, "--confirm"}).exit_code == 5);  // not an admin
  const std::string agreed = Str(
      ParseObject(coadmin.Run({"--json", "tree", "cosign", proposal, "--confirm"}).out), "bundle");
  REQUIRE(admin.Run({"tree", "import-signatures", agreed}).exit_code == 0);
  const JsonObject after = ParseObject(admin.Run({"--json", "tree", "show"}).out);
  CHECK(Num(after, "threshold") == 1);
  CHECK(Num(after, "admin_set_version") == 1);
  CHECK(Strings(after, "admins") == std::vector<std::string>{admin_key});
  REQUIRE(Eventually([&] {
    return Num(ParseObject(rosa.Run({"--json", "tree", "show"}).out), "admin_set_version") == 1;
  }));
}

#endif  // TOCSIN_CLI_ALERTS

}  // namespace
}  // namespace tocsin::testing
