// The `tocsin` binary end to end: help on every command, a device made and shown, two
// devices introduced by card, and a message that `listen --json` prints as it arrives.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli_fixture.h"
#include "cli_json.h"

namespace tocsin::testing {
namespace {

const std::vector<std::vector<std::string>> kCommands = {
    {},
    {"init"},
    {"card"},
    {"contact"},
    {"contact", "add"},
    {"contact", "list"},
    {"contact", "verify"},
    {"contact", "remove"},
    {"send"},
    {"listen"},
    {"tree"},
    {"tree", "create"},
    {"tree", "add"},
    {"tree", "remove"},
    {"tree", "replace"},
    {"tree", "admins"},
    {"tree", "export-pending"},
    {"tree", "cosign"},
    {"tree", "import-signatures"},
    {"tree", "show"},
    {"tree", "push"},
    {"report"},
    {"verify"},
    {"verify", "request"},
    {"verify", "answer"},
    {"alert"},
    {"alert", "send"},
    {"alert", "update"},
    {"alert", "all-clear"},
    {"alert", "cancel"},
    {"alert", "status"},
    {"alert", "list"},
    {"ack"},
};

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += " " + word;
  return out;
}

TEST_CASE("every command answers --help with its own usage and exit code 0", "[cli]") {
  for (std::vector<std::string> args : kCommands) {
    const std::string usage = "Usage: tocsin" + Joined(args);
    args.push_back("--help");
    CliResult r = RunCli(args);
    INFO(usage << ": " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(usage) != std::string::npos);
    // Subcommands list only their own options; the global ones are named in the footer.
    if (args.size() > 1) CHECK(r.out.find("Global options") != std::string::npos);
  }
}

// Each command with the arguments it needs, run with --json against a data folder
// without a device (or, for init, with a malformed invite): its error is one JSON object
// whose exit code is the process's.
const std::vector<std::vector<std::string>> kRunnable = {
    {"init", "--relay", "tocsin://x@127.0.0.1:1", "--invite", "not-an-invite"},
    {"card"},
    {"contact", "add", "TOCSIN1:AAAA"},
    {"contact", "list"},
    {"contact", "verify", "ana"},
    {"contact", "remove", "ana"},
    {"send", "ana", "hello"},
    {"listen", "--timeout", "1"},
    {"tree", "create", "eastside"},
    {"tree", "add", "TOCSIN1:AAAA", "--name", "ana"},
    {"tree", "remove", "ana"},
    {"tree", "replace", "ana", "--card", "TOCSIN1:AAAA"},
    {"tree", "show"},
    {"tree", "push"},
    {"tree", "admins", "--admin", std::string(64, 'a')},
    {"tree", "export-pending"},
    {"tree", "cosign", "TOCSINCOSIGN1:AAAA"},
    {"tree", "import-signatures", "TOCSINCOSIGN1:AAAA"},
    {"report", "--zone", "bh", "vans"},
    {"verify", "request"},
    {"verify", "answer", "confirmed"},
    {"alert", "send", "--zone", "bh", "--es", "a", "--en", "b"},
    {"alert", "update", "--es", "a", "--en", "b"},
    {"alert", "all-clear", "--es", "a", "--en", "b"},
    {"alert", "cancel", "--reason", "duplicate"},
    {"alert", "status"},
    {"alert", "list"},
    {"ack"},
};

TEST_CASE("every command answers --json with a JSON object, its errors included", "[cli]") {
  const std::string empty = RelayProcess::MakeTempDir("tocsin-cli-empty-");
  for (std::vector<std::string> args : kRunnable) {
    args.insert(args.begin(), {"--data", empty + "/data", "--json"});
    CliResult r = RunCli(args);
    INFO(Joined(args) << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code > 0);
    const auto lines = JsonLines(r.out);
    REQUIRE(lines.size() == 1);
    CHECK(Num(lines[0], "exit_code") == r.exit_code);
    CHECK_FALSE(Str(lines[0], "error").empty());
    CHECK(r.err.rfind("tocsin: ", 0) == 0);  // and one clear line for people
  }
  std::filesystem::remove_all(empty);
}

TEST_CASE("init makes a device whose card another device imports", "[cli]") {
  auto relay = StartedRelay();
  TestDevice ana("Ana"), ben("Ben");
  ana.Init({relay.get()});
  ben.Init({relay.get()});

  CliResult card = ana.Run({"--json", "card"});
  REQUIRE(card.exit_code == 0);
  CHECK(card.out.find("\"card\":\"TOCSIN1:") != std::string::npos);
  CliResult qr = ana.Run({"card", "--qr"});
  REQUIRE(qr.exit_code == 0);
  CHECK(qr.out.find("\u2580") != std::string::npos);  // drawn with half blocks

  CliResult added = ben.Run({"--json", "contact", "add", ana.Card()});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  CHECK(added.out.find("\"name\":\"Ana\"") != std::string::npos);
  CHECK(added.out.find("\"verified\":false") != std::string::npos);

  CliResult list = ben.Run({"contact", "list"});
  CHECK(list.out.find("Ana") != std::string::npos);
  CliResult number = ben.Run({"--json", "contact", "verify", "ana"});
  REQUIRE(number.exit_code == 0);
  CHECK(number.out.find("\"safety_number\"") != std::string::npos);
  CHECK(ben.Run({"contact", "verify", "ana", "--confirm"}).exit_code == 0);
  CHECK(ben.Run({"--json", "contact", "list"}).out.find("\"verified\":true") != std::string::npos);
}

TEST_CASE("text from other devices reaches the terminal with no control character", "[cli]") {
  auto relay = StartedRelay();
  // A hostile member's name: clear the screen, retitle the window, ring, fake a line.
  TestDevice ana("Ana"), mal("Mal\x1b[2J\x1b]0;pwned\x07\nAna: ALL CLEAR");
  ana.Init({relay.get()});
  mal.Init({relay.get()});
  const auto no_controls = [](const std::string& out) {
    INFO(out);
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find('\x07') == std::string::npos);
    CHECK(out.find("\nAna: ALL CLEAR") == std::string::npos);
  };
  const CliResult added = ana.Run({"contact", "add", mal.Card()});
  REQUIRE(added.exit_code == 0);
  no_controls(added.out);
  CHECK(added.out.find("Mal^[[2J^[]0;pwned^G\u23CEAna: ALL CLEAR") != std::string::npos);
  no_controls(ana.Run({"contact", "list"}).out);
  // --json keeps the name as it is, escaped the JSON way.
  CHECK(ana.Run({"--json", "contact", "list"}).out.find("\\u001b[2J") != std::string::npos);

  REQUIRE(mal.Run({"contact", "add", ana.Card()}).exit_code == 0);
  CliProcess& listen = ana.Listen({"--no-bell"});  // the bell is the one control of its own
  const CliResult sent =
      mal.Run({"send", "ana", "hi\x1b[1A\x1b[2K\u202e FAKE\nAna: ALL CLEAR\u009b2J"});
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  REQUIRE(listen.WaitForOutput("FAKE"));
  no_controls(listen.Output());
  CHECK(listen.Output().find("hi^[[1A^[[2K<U+202E> FAKE\u23CEAna: ALL CLEAR<U+009B>2J") !=
        std::string::npos);
  CHECK(listen.Output().find("\u202e") == std::string::npos);
  CHECK(ana.listener()->Stop() == 0);
}

TEST_CASE("a message sent to a listening device is printed by listen --json", "[cli]") {
  auto relay = StartedRelay();
  TestDevice ana("Ana"), ben("Ben");
  ana.Init({relay.get()});
  ben.Init({relay.get()});
  REQUIRE(ben.Run({"contact", "add", ana.Card()}).exit_code == 0);

  CliProcess& listen = ana.Listen();
  CliResult sent = ben.Run({"--json", "send", "ana", "Agents at 5th and Main"});
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  REQUIRE(listen.WaitForOutput("Agents at 5th and Main"));
  CHECK(listen.Output().find("\"type\":\"message\"") != std::string::npos);
  CHECK(listen.Output().find("\"type\":\"contact_request\"") != std::string::npos);

  // While listen holds the device, other commands are served through its socket.
  CliResult contacts = RunCli({"--data", ana.data(), "--json", "contact", "list"});
  INFO(contacts.err);
  CHECK(contacts.exit_code == 0);
  CHECK(contacts.out.find("\"origin\":\"requested\"") != std::string::npos);
  CHECK(ana.listener()->Stop() == 0);
}

TEST_CASE("listen --exec runs the hook with the event as JSON on stdin", "[cli]") {
  auto relay = StartedRelay();
  TestDevice ana("Ana"), ben("Ben");
  ana.Init({relay.get()});
  ben.Init({relay.get()});
  REQUIRE(ben.Run({"contact", "add", ana.Card()}).exit_code == 0);
  const std::string hooked = ana.data() + "/../hooked.json";
  const std::string fds = ana.data() + "/../hook-fds.txt";
  // The hook also lists the descriptors it was given (ls's own directory is the last).
  ana.Listen({"--exec", "cat >> " + hooked + "; ls /proc/self/fd > " + fds});
  REQUIRE(ben.Run({"send", "ana", "hook me"}).exit_code == 0);
  REQUIRE(Eventually([&] {
    CliResult cat = RunProgram("/bin/cat", {hooked});
    return cat.out.find("\"text\":\"hook me\"") != std::string::npos;
  }));
  // Standard input, output and error, and ls's directory: nothing of the device (its
  // relay connections, its store's files).
  REQUIRE(Eventually([&] { return !RunProgram("/bin/cat", {fds}).out.empty(); }));
  CHECK(RunProgram("/bin/cat", {fds}).out == "0\n1\n2\n3\n");
}

}  // namespace
}  // namespace tocsin::testing
