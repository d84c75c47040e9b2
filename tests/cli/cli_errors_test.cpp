// Every error path of the `tocsin` binary: its exit code and a clear message.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "cli_fixture.h"

namespace tocsin::testing {
namespace {

TEST_CASE("bad usage exits 1 with a message", "[cli]") {
  CliResult none = RunCli({});
  CHECK(none.exit_code == 1);
  CliResult unknown = RunCli({"frobnicate"});
  CHECK(unknown.exit_code == 1);
  CHECK(!unknown.err.empty());
  CliResult missing = RunCli({"init"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("--relay") != std::string::npos);
  CliResult bad_invite = RunCli({"--data", "/nonexistent/x", "init", "--relay",
                                 "tocsin://aaaa@127.0.0.1:1", "--invite", "not an invite!"},
                                {{"TOCSIN_PASSPHRASE", kTestPassphrase}});
  CHECK(bad_invite.exit_code == 1);
  CHECK(bad_invite.err.find("invite") != std::string::npos);
}

TEST_CASE("the passphrase is never taken from the command line", "[cli]") {
  CliResult r = RunCli({"--passphrase", "hunter2", "card"});
  CHECK(r.exit_code == 1);
  CliResult help = RunCli({"--help"});
  CHECK(help.out.find("--passphrase-file") != std::string::npos);
  CHECK(help.out.find("--passphrase ") == std::string::npos);
}

TEST_CASE("no device, wrong passphrase, unknown contact, unreachable relay", "[cli]") {
  auto relay = StartedRelay();
  TestDevice ana("Ana");

  SECTION("a data folder without a device is not found: 3") {
    CliResult r = ana.Run({"card"});
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("tocsin init") != std::string::npos);
  }
  SECTION("wrong passphrase: 2, with --json an error object") {
    ana.Init({relay.get()});
    CliResult r = RunCli({"--data", ana.data(), "--json", "contact", "list"},
                         {{"TOCSIN_PASSPHRASE", "not the passphrase"}});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("wrong passphrase") != std::string::npos);
    CHECK(r.out.find("\"exit_code\":2") != std::string::npos);
  }
  SECTION("the passphrase from a file and from a descriptor") {
    ana.Init({relay.get()});
    const std::string file = ana.data() + "/../pass";
    std::ofstream(file) << kTestPassphrase << "\n";
    CHECK(RunCli({"--data", ana.data(), "--passphrase-file", file, "contact", "list"}).exit_code ==
          0);
    CHECK(RunCli({"--data", ana.data(), "--passphrase-fd", "0", "contact", "list"}, {},
                 std::string(kTestPassphrase) + "\n")
              .exit_code == 0);
    CHECK(RunCli({"--data", ana.data(), "--passphrase-fd", "0", "contact", "list"}, {}, "wrong\n")
              .exit_code == 2);
    // A source that cannot be read is a passphrase problem too, not a network one.
    const CliResult missing =
        RunCli({"--data", ana.data(), "--passphrase-file", file + ".gone", "contact", "list"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("--passphrase-file") != std::string::npos);
    std::ofstream(file, std::ios::trunc).flush();  // empty
    CHECK(RunCli({"--data", ana.data(), "--passphrase-file", file, "contact", "list"}).exit_code ==
          2);
    CHECK(RunCli({"--data", ana.data(), "--passphrase-fd", "9", "contact", "list"}).exit_code == 2);
  }
  SECTION("no passphrase source and no terminal: 2") {
    ana.Init({relay.get()});
    CliResult r = RunCli({"--data", ana.data(), "contact", "list"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("passphrase") != std::string::npos);
  }
  SECTION("unknown contact: 3") {
    ana.Init({relay.get()});
    CliResult r = ana.Run({"send", "nobody", "hello"});
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("unknown contact: nobody") != std::string::npos);
  }
  SECTION("a malformed card: 1") {
    ana.Init({relay.get()});
    CHECK(ana.Run({"contact", "add", "TOCSIN1:NOTACARD"}).exit_code == 1);
  }
  SECTION("relay unreachable at init: 4") {
    const std::string address = relay->address().ToString();
    const std::string invite = InviteCode(*relay);
    REQUIRE(relay->Terminate() == 0);
    CliResult r = ana.Run({"init", "--insecure-fast-kdf", "--relay", address, "--invite", invite});
    INFO(r.err);
    CHECK(r.exit_code == 4);
    CHECK(r.err.find("relay") != std::string::npos);
    CHECK(ana.Run({"card"}).exit_code == 3);  // nothing was left behind
  }
  SECTION("a message no relay took says so, and waits in the outbox") {
    TestDevice ben("Ben");
    ana.Init({relay.get()});
    ben.Init({relay.get()});
    REQUIRE(ana.Run({"contact", "add", ben.Card()}).exit_code == 0);
    const CliResult sent = ana.Run({"--json", "send", "ben", "reached"});
    INFO(sent.err);
    REQUIRE(sent.exit_code == 0);
    CHECK(sent.out.find("\"recipients_waiting\":0") != std::string::npos);
    REQUIRE(relay->Terminate() == 0);
    const CliResult queued = ana.Run({"send", "ben", "not yet"});
    INFO(queued.err);
    CHECK(queued.exit_code == 0);  // it is in the outbox: sending it again would repeat it
    CHECK(queued.out.find("NOT YET ON A RELAY for 1 recipient(s)") != std::string::npos);
    CHECK(queued.out.find("tocsin listen") != std::string::npos);
  }
  SECTION("a second init in the same folder: 1") {
    ana.Init({relay.get()});
    CliResult r = ana.Run({"init", "--insecure-fast-kdf", "--relay", relay->address().ToString(),
                           "--invite", InviteCode(*relay)});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("already exists") != std::string::npos);
  }
}

}  // namespace
}  // namespace tocsin::testing
