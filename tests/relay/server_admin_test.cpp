// Operating the relay: init, admin commands while serving and while stopped, backup and
// restore, restart, SIGTERM, config errors, metrics.
#include <sys/stat.h>
#include <unistd.h>

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

TEST_CASE("admin commands on a stopped relay refuse what would harm its folder", "[relay][admin]") {
  RelayProcess relay;
  REQUIRE(relay.init_status().ok());
  SECTION("a folder with no relay identity: no store is made there") {
    const std::string dir = RelayProcess::MakeTempDir("tocsin-noid-");
    const CommandResult reference = RelayProcess::RunBinary(
        {"config-reference", "--toml", "--listen", "127.0.0.1:7443", "--data-dir", "."});
    REQUIRE(reference.exit_code == 0);
    WriteText(dir + "/relay.toml", reference.output);
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"invite", "create"}, {"stats"}, {"check"}}) {
      std::vector<std::string> args = command;
      args.insert(args.end(), {"--config", dir + "/relay.toml"});
      const CommandResult r = RelayProcess::RunBinary(args);
      INFO(command[0]);
      CHECK(r.exit_code == 2);
      CHECK(r.output.empty());
      CHECK(r.errors.find("holds no relay identity") != std::string::npos);
    }
    CHECK_FALSE(fs::exists(dir + "/store"));
    fs::remove_all(dir);
  }
  SECTION("root in a folder the relay's user owns leaves no file of root's there") {
    if (::geteuid() != 0) {
      WARN("not root: the owner check applies to root only");
      return;
    }
    const uid_t nobody = 65534;
    const auto chown_all = [&](uid_t uid) {
      for (const auto& entry : fs::recursive_directory_iterator(relay.data_dir())) {
        REQUIRE(::lchown(entry.path().c_str(), uid, uid) == 0);
      }
      REQUIRE(::chown(relay.data_dir().c_str(), uid, uid) == 0);
    };
    chown_all(nobody);
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"invite", "create"}, {"stats"}, {"check"}}) {
      const CommandResult r = relay.RunCommand(command);
      INFO(command[0]);
      CHECK(r.exit_code == 1);
      CHECK(r.errors.find("belongs to") != std::string::npos);
      CHECK(r.errors.find("sudo -u") != std::string::npos);
    }
    for (const auto& entry : fs::recursive_directory_iterator(relay.data_dir())) {
      struct stat st {};
      REQUIRE(::lstat(entry.path().c_str(), &st) == 0);
      INFO(entry.path());
      CHECK(st.st_uid == nobody);
    }
    chown_all(0);
  }
}

TEST_CASE("admin commands print only their answer on stdout, warnings on stderr",
          "[relay][admin]") {
  RelayProcess relay;
  REQUIRE(relay.init_status().ok());
  std::string text = ReadText(relay.config_path());
  const std::string current = "\ntoken_burst = ";
  REQUIRE(text.find(current) != std::string::npos);
  text.replace(text.find(current), current.size(), "\nmailbox_burst = ");  // its old name
  WriteText(relay.config_path(), text);
  const CommandResult invite = relay.RunCommand({"invite", "create"});
  INFO(invite.errors);
  REQUIRE(invite.exit_code == 0);
  CHECK(invite.output.size() == 27);  // the invite alone: 26 base32 characters and a newline
  CHECK(invite.errors.find("mailbox_burst is the old name") != std::string::npos);
}

TEST_CASE("init keeps a relay.toml already in the folder and prints the address it listens on",
          "[relay][admin]") {
  const std::string dir = RelayProcess::MakeTempDir("tocsin-kept-");
  const CommandResult reference = RelayProcess::RunBinary(
      {"config-reference", "--toml", "--listen", "127.0.0.1:7555", "--data-dir", "."});
  REQUIRE(reference.exit_code == 0);
  for (const char* folder : {"/a", "/b"}) {
    fs::create_directories(dir + folder);
    WriteText(dir + folder + "/relay.toml", reference.output);
  }
  const CommandResult kept = RelayProcess::RunBinary({"init", "--data", dir + "/a"});
  INFO(kept.errors);
  REQUIRE(kept.exit_code == 0);
  auto address = ParseRelayAddress(kept.output.substr(0, kept.output.find('\n')));
  REQUIRE(address.ok());
  CHECK(address->host == "127.0.0.1");
  CHECK(address->port == 7555);
  CHECK(ReadText(dir + "/a/relay.toml") == reference.output);
  // Another --listen than the kept file's would print an address the relay never serves.
  const CommandResult other =
      RelayProcess::RunBinary({"init", "--data", dir + "/b", "--listen", "127.0.0.1:7000"});
  CHECK(other.exit_code != 0);
  CHECK(other.errors.find("listens on 127.0.0.1:7555") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/b/relay.key"));
  // A host name is not an address to bind: refused before anything is made.
  const CommandResult name =
      RelayProcess::RunBinary({"init", "--data", dir + "/c", "--listen", "localhost:7443"});
  CHECK(name.exit_code != 0);
  CHECK(name.errors.find("not an IP address") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/c"));
  fs::remove_all(dir);
}

TEST_CASE("a relative admin_socket is the config file's, and a backup folder may hold spaces",
          "[relay][admin]") {
  RelayProcess relay;
  REQUIRE(relay.init_status().ok());
  REQUIRE(relay.Reconfigure({{"server.admin_socket", "\"adm.sock\""}}).ok());
  REQUIRE(relay.Start().ok());
  CHECK(fs::exists(relay.data_dir() + "/adm.sock"));
  // This process's working folder is not the data folder: the command still finds the
  // socket (opening the store itself would fail on the serving relay's lock).
  REQUIRE(fs::current_path() != fs::path(relay.data_dir()));
  const CommandResult stats = relay.RunCommand({"stats"});
  INFO(stats.errors);
  CHECK(stats.exit_code == 0);
  const std::string backups = RelayProcess::MakeTempDir("tocsin-backup-");
  const std::string spaced = backups + "/monday morning";
  const CommandResult backup = relay.RunCommand({"backup", spaced});
  INFO(backup.errors);
  CHECK(backup.exit_code == 0);
  CHECK(fs::exists(spaced + "/relay.key"));
  CHECK(fs::exists(spaced + "/store"));
  CHECK(relay.Terminate() == 0);
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
