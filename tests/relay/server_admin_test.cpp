// Operating the relay: init, admin commands while serving and while stopped, backup and
// restore, restart, SIGTERM, config errors, metrics.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server_test_util.h"

namespace tocsin::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// Runs the admin commands and checks what they print.
void ExerciseAdmin(const RelayProcess& relay, const std::string& backup_dir) {
  CommandResult invite = relay.RunCommand({"invite", "create", "--uses", "3", "--expires", "2d"});
  INFO(invite.errors);
  REQUIRE(invite.exit_code == 0);
  CHECK(invite.output.size() == 27);  // 26 base32 characters and a newline
  CommandResult stats = relay.RunCommand({"stats"});
  REQUIRE(stats.exit_code == 0);
  CHECK(stats.output.find("mailboxes: 1\n") != std::string::npos);
  CHECK(stats.output.find("queued envelopes: 2\n") != std::string::npos);
  for (const char* line :
       {"store memtable bytes: ", "store block cache bytes: ", "store table reader bytes: "}) {
    CHECK(stats.output.find(line) != std::string::npos);
  }
  RequireCheckPasses(relay);
  CommandResult backup = relay.RunCommand({"backup", backup_dir});
  INFO(backup.errors);
  REQUIRE(backup.exit_code == 0);
  CHECK(fs::exists(backup_dir + "/store"));
  CHECK(fs::exists(backup_dir + "/relay.key"));
  CommandResult again = relay.RunCommand({"backup", backup_dir});
  CHECK(again.exit_code != 0);  // never overwrites
}

TEST_CASE("init prints the address and never overwrites an identity", "[relay][admin]") {
  const std::string dir = RelayProcess::MakeTempDir("tocsin-init-");
  CommandResult first = RelayProcess::RunBinary(
      {"init", "--data", dir + "/d", "--listen", "127.0.0.1:7443", "--address", "relay.example"});
  REQUIRE(first.exit_code == 0);
  auto address = ParseRelayAddress(first.output.substr(0, first.output.find('\n')));
  REQUIRE(address.ok());
  CHECK(address->host == "relay.example");
  CHECK(address->port == 7443);
  CHECK((fs::status(dir + "/d/relay.key").permissions() & fs::perms::group_all) == fs::perms::none);
  const std::string key = ReadText(dir + "/d/relay.key");
  CommandResult second = RelayProcess::RunBinary({"init", "--data", dir + "/d"});
  CHECK(second.exit_code != 0);
  CHECK(second.errors.find("refusing") != std::string::npos);
  CHECK(ReadText(dir + "/d/relay.key") == key);
  fs::remove_all(dir);
}

TEST_CASE("admin commands work while serving and while stopped", "[relay][admin]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Send(owner.mailbox, owner.token, "one").ok());
  REQUIRE(sender->Send(owner.mailbox, owner.token, "two").ok());
  const std::string backups = RelayProcess::MakeTempDir("tocsin-backup-");
  {
    INFO("serving");
    CHECK((fs::status(relay->data_dir() + "/admin.sock").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    ExerciseAdmin(*relay, backups + "/serving");
  }
  REQUIRE(relay->Terminate() == 0);
  {
    INFO("stopped");
    ExerciseAdmin(*relay, backups + "/stopped");
  }
  fs::remove_all(backups);
}

TEST_CASE("a backup restores to a relay that delivers its envelopes", "[relay][admin]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  for (const char* e : {"a", "b", "c"}) REQUIRE(sender->Send(owner.mailbox, owner.token, e).ok());
  const std::string backups = RelayProcess::MakeTempDir("tocsin-backup-");
  REQUIRE(relay->RunCommand({"backup", backups + "/b"}).exit_code == 0);
  REQUIRE(sender->Send(owner.mailbox, owner.token, "after the backup").ok());
  sender.reset();
  owner.client.reset();
  REQUIRE(relay->Terminate() == 0);
  // Restore: the backup's store replaces the relay's.
  fs::remove_all(relay->data_dir() + "/store");
  fs::copy(backups + "/b/store", relay->data_dir() + "/store", fs::copy_options::recursive);
  CHECK(ReadText(backups + "/b/relay.crt") == ReadText(relay->data_dir() + "/relay.crt"));
  REQUIRE(relay->Start().ok());
  auto restored = Connect(*relay, wire::OWNER);
  REQUIRE(restored->Authenticate(owner.mailbox, owner.key).ok());
  REQUIRE(restored->Subscribe(owner.mailbox).ok());
  for (const char* e : {"a", "b", "c"}) {
    auto d = restored->NextDelivery();
    REQUIRE(d.ok());
    CHECK(d->envelope() == e);
  }
  CHECK(restored->NoDeliveryWithin(milliseconds(300)));
  RequireCheckPasses(*relay);
  fs::remove_all(backups);
}

TEST_CASE("a restart keeps the identity / the address and the mailboxes", "[relay][admin]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  // The key the relay really served with, as a client sees it in the handshake.
  const Pin served_before = owner.client->PeerPin();
  CHECK(served_before == relay->address().pin);  // what init printed
  const std::string key_file = ReadText(relay->data_dir() + "/relay.key");
  relay->Kill9();
  REQUIRE(relay->Start().ok());
  auto again = Connect(*relay, wire::OWNER);
  CHECK(again->PeerPin() == served_before);
  CHECK(ReadText(relay->data_dir() + "/relay.key") == key_file);
  CHECK(again->Authenticate(owner.mailbox, owner.key).ok());
  // The pin check has teeth: a client expecting another key is refused.
  RelayAddress wrong = relay->address();
  wrong.pin[0] ^= 1;
  auto refused = TestClient::Connect(wrong, milliseconds(10000));
  CHECK_FALSE(refused.ok());
}

TEST_CASE("SIGTERM stops the relay cleanly with exit 0", "[relay][admin]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  CHECK(relay->Terminate() == 0);
  CHECK_FALSE(fs::exists(relay->data_dir() + "/serving.txt"));
  CHECK_FALSE(fs::exists(relay->data_dir() + "/admin.sock"));
  CHECK(relay->Log().find("stopped cleanly") != std::string::npos);
}

TEST_CASE("config errors name the setting and exit non-zero", "[relay][admin]") {
  RelayProcess relay;
  REQUIRE(relay.init_status().ok());
  const std::string good = ReadText(relay.config_path());
  SECTION("unknown key") {
    std::string text = good;
    REQUIRE(SetTomlValue(&text, "server.io_threads", "0\nbogus_setting = 5"));
    WriteText(relay.config_path(), text);
    CommandResult r = relay.RunCommand({"serve"});
    CHECK(r.exit_code != 0);
    CHECK(r.errors.find("server.bogus_setting") != std::string::npos);
  }
  SECTION("bad value") {
    std::string text = good;
    REQUIRE(SetTomlValue(&text, "server.durability", "\"sometimes\""));
    WriteText(relay.config_path(), text);
    CommandResult r = relay.RunCommand({"serve"});
    CHECK(r.exit_code != 0);
    CHECK(r.errors.find("server.durability") != std::string::npos);
  }
  SECTION("out of range") {
    std::string text = good;
    REQUIRE(SetTomlValue(&text, "limits.max_window", "0"));
    WriteText(relay.config_path(), text);
    CommandResult r = relay.RunCommand({"stats"});
    CHECK(r.exit_code != 0);
    CHECK(r.errors.find("limits.max_window") != std::string::npos);
  }
  SECTION("not TOML") {
    WriteText(relay.config_path(), good + "\n[[[\n");
    CommandResult r = relay.RunCommand({"serve"});
    CHECK(r.exit_code != 0);
    CHECK(r.errors.find("line") != std::string::npos);
  }
}

TEST_CASE("metrics are served as Prometheus text on the metrics listener", "[relay][admin]") {
  auto relay = StartRelay();
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  REQUIRE(sender->Send(owner.mailbox, owner.token, "counted").ok());
  const std::string page = HttpGet(relay->metrics_port(), "/metrics");
  CHECK(page.find("200 OK") != std::string::npos);
  CHECK(page.find("tocsin_relay_requests_total{type=\"send\",code=\"OK\"} 1") != std::string::npos);
  CHECK(page.find("tocsin_relay_connections{kind=\"send\"} 1") != std::string::npos);
  CHECK(page.find("tocsin_relay_envelopes_stored_total 1") != std::string::npos);
  CHECK(page.find("tocsin_relay_commits_total") != std::string::npos);
  CHECK(HttpGet(relay->metrics_port(), "/other").find("404") != std::string::npos);
}

TEST_CASE("every subcommand has --help and --version works", "[relay][admin]") {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"init", "--help"},
                                        {"serve", "--help"},
                                        {"invite", "create", "--help"},
                                        {"stats", "--help"},
                                        {"check", "--help"},
                                        {"backup", "--help"},
                                        {"--version"}}) {
    CommandResult r = RelayProcess::RunBinary(args);
    INFO(args.front());
    CHECK(r.exit_code == 0);
    CHECK_FALSE(r.output.empty());
  }
}

}  // namespace
}  // namespace tocsin::testing
