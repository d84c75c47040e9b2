// Backup and restore as docs/operators.md tells an operator to do them: `tocsin-relay
// backup DIR` while the relay serves and clients send; restore = stop the relay, replace
// the data folder with the backup, start. Every envelope answered Stored before the
// backup began must then be delivered.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "relay_process.h"
#include "test_client.h"

namespace tocsin::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSenders = 3;
constexpr auto kBackupDeadline = std::chrono::seconds(120);

// Envelopes answered Stored, in the order the answers came.
class StoredLog {
 public:
  void Add(std::string envelope) {
    std::lock_guard<std::mutex> lock(mutex_);
    stored_.push_back(std::move(envelope));
  }
  std::vector<std::string> Snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stored_;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stored_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> stored_;
};

std::unique_ptr<TestClient> Connect(const RelayProcess& relay, wire::ConnectionKind kind) {
  auto client = TestClient::Connect(relay.address());
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  REQUIRE((*client)->Hello(kind).ok());
  return std::move(*client);
}

// One sender: Send until `stop`, logging each envelope answered Stored. A failed send
// (other than the connection ending with the test) is counted.
void SendUntilStopped(const RelayAddress& address, const std::string& mailbox,
                      const std::string& token, int sender, const std::atomic<bool>& stop,
                      StoredLog& log, std::atomic<int>& failures) {
  auto client = TestClient::Connect(address);
  if (!client.ok() || !(*client)->Hello(wire::SEND).ok()) {
    ++failures;
    return;
  }
  for (int n = 0; !stop.load(); ++n) {
    std::string envelope = "sender " + std::to_string(sender) + " envelope " + std::to_string(n);
    envelope.resize(256, '.');
    if (!(*client)->Send(mailbox, token, envelope).ok()) {
      ++failures;
      return;
    }
    log.Add(std::move(envelope));
  }
}

bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = Clock::now() + kBackupDeadline;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Reads the mailbox until every envelope of `expected` has come (acking as it goes),
// and returns those that did not come before the deadline.
std::set<std::string> Undelivered(TestClient& owner, const std::string& mailbox,
                                  std::set<std::string> expected) {
  const auto deadline = Clock::now() + kBackupDeadline;
  while (!expected.empty() && Clock::now() < deadline) {
    auto delivery = owner.NextDelivery(std::chrono::seconds(10));
    if (!delivery.ok()) continue;
    expected.erase(delivery->envelope());
    CHECK(owner.Ack(mailbox, {delivery->seq()}).ok());
  }
  return expected;
}

TEST_CASE("a backup taken while clients send restores every envelope stored before it",
          "[deploy][backup]") {
  RelayProcess relay({{"rate_limits.token_envelopes_per_second", "1000000"},
                      {"rate_limits.token_burst", "1000000"},
                      {"rate_limits.mailbox_total_envelopes_per_second", "1000000"},
                      {"rate_limits.mailbox_total_burst", "1000000"},
                      {"tokens.contact.max_queued_messages", "0"},
                      {"tokens.contact.max_queued_bytes", "0"}});
  REQUIRE(relay.init_status().ok());
  REQUIRE(relay.Start().ok());
  auto owner = Connect(relay, wire::OWNER);
  const AuthKeyPair key = AuthKeyPair::Generate();
  auto mailbox = owner->CreateMailbox(relay.CreateInvite(), key);
  REQUIRE(mailbox.ok());
  const std::string token = RandomToken();
  REQUIRE(owner->SetToken(*mailbox, wire::CONTACT, token).ok());
  owner.reset();

  StoredLog log;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.emplace_back(SendUntilStopped, relay.address(), *mailbox, token, i, std::cref(stop),
                         std::ref(log), std::ref(failures));
  }
  // Sends before, during and after the backup.
  REQUIRE(WaitFor([&] { return log.size() >= 100 || failures.load() > 0; }));
  const std::vector<std::string> before = log.Snapshot();
  const std::string backup_dir = RelayProcess::MakeTempDir("tocsin-backup-test-") + "/backup";
  CommandResult backup = relay.RunCommand({"backup", backup_dir});
  const std::size_t at_backup_end = log.size();
  WaitFor([&] { return log.size() >= at_backup_end + 50 || failures.load() > 0; });
  stop = true;
  for (std::thread& t : senders) t.join();
  INFO(backup.errors);
  REQUIRE(backup.exit_code == 0);
  REQUIRE(failures.load() == 0);
  REQUIRE(before.size() >= 100);

  // Restore: stop, replace the data folder, start.
  REQUIRE(relay.Terminate() == 0);
  fs::remove_all(relay.data_dir());
  fs::rename(backup_dir, relay.data_dir());
  fs::remove(fs::path(backup_dir).parent_path());
  const Status restarted = relay.Start();
  INFO(restarted.ToString() << "\n" << relay.Log());
  REQUIRE(restarted.ok());

  auto reader = Connect(relay, wire::OWNER);
  REQUIRE(reader->Authenticate(*mailbox, key).ok());
  REQUIRE(reader->Subscribe(*mailbox, 1024).ok());
  const std::set<std::string> missing =
      Undelivered(*reader, *mailbox, std::set<std::string>(before.begin(), before.end()));
  INFO(before.size() << " envelopes stored before the backup, " << log.size() << " in all");
  CHECK(missing.empty());
  CommandResult check = relay.RunCommand({"check"});
  INFO(check.output << check.errors);
  CHECK(check.exit_code == 0);
}

}  // namespace
}  // namespace tocsin::testing
