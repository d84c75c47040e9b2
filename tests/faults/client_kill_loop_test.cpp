// Clients killed with SIGKILL at random moments while they send and receive: every
// message the sender's client accepted reaches the receiving application exactly once.
// The devices run as separate processes (fault_device.cpp), so a kill stops them
// wherever they are: sealing, committing, on the wire, decrypting, acking.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "fault_test_util.h"

extern char** environ;

namespace tocsin::testing {
namespace {

constexpr int kClientKills = 60;

// A fault_device process, killed with SIGKILL (and reaped) when destroyed.
class Device {
 public:
  explicit Device(std::vector<std::string> args) : args_(std::move(args)) { Start(); }
  ~Device() { Kill(); }
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  void Start() {
    std::vector<std::string> all{TOCSIN_FAULT_DEVICE};
    all.insert(all.end(), args_.begin(), args_.end());
    std::vector<char*> argv;
    for (auto& arg : all) argv.push_back(arg.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, TOCSIN_FAULT_DEVICE, nullptr, nullptr, argv.data(), environ) == 0);
  }
  // SIGKILL and reap. Returns false when the process had already ended by itself (it
  // must not: it runs until killed).
  bool Kill() {
    if (pid_ <= 0) return true;
    int status = 0;
    const bool was_running = ::waitpid(pid_, &status, WNOHANG) == 0;
    if (was_running) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return was_running;
  }

 private:
  std::vector<std::string> args_;
  pid_t pid_ = -1;
};

std::vector<std::string> Lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The sender's log: texts it tried to send, and those its client accepted.
struct SenderLog {
  std::set<std::string> attempted;
  std::set<std::string> accepted;
};

SenderLog ReadSenderLog(const std::filesystem::path& path) {
  SenderLog log;
  for (const std::string& line : Lines(path)) {
    if (line.rfind("attempt ", 0) == 0) log.attempted.insert(line.substr(8));
    if (line.rfind("accepted ", 0) == 0) log.accepted.insert(line.substr(9));
  }
  return log;
}

// The receiving application's log: for each text, the event ids it came under (an
// event not yet Done when the process died comes again with the same id).
std::map<std::string, std::set<std::string>> ReadReceiverLog(const std::filesystem::path& path) {
  std::map<std::string, std::set<std::string>> events;
  for (const std::string& line : Lines(path)) {
    std::istringstream in(line);
    std::string event_id;
    std::string message_id;
    std::string text;
    in >> event_id >> message_id >> text;
    events[text].insert(event_id);
  }
  return events;
}

TEST_CASE("clients killed 60 times while sending and receiving lose and repeat nothing",
          "[faults][client][kill]") {
  auto relay = StartRelay();
  TempFolder folder;
  const auto sender_dir = folder.path() / "sender";
  const auto receiver_dir = folder.path() / "receiver";
  ContactId receiver_at_sender;
  {
    auto receiver =
        Take(Client::Create(receiver_dir, TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
    auto sender =
        Take(Client::Create(sender_dir, TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
    EventLog receiver_log(*receiver);
    EventLog sender_log(*sender);
    receiver_at_sender = Introduce(*sender, sender_log, *receiver, receiver_log).b_at_a;
    REQUIRE(WaitOutboxEmpty(*sender));
    REQUIRE(WaitOutboxEmpty(*receiver));
  }
  const auto sent_log = folder.path() / "sent.log";
  const auto received_log = folder.path() / "received.log";
  Device sender({sender_dir.string(), "send", receiver_at_sender, "m", sent_log.string()});
  Device receiver({receiver_dir.string(), "receive", received_log.string()});

  std::mt19937 rng(20261205);
  std::uniform_int_distribution<int> run_ms(50, 900);
  int sender_kills = 0;
  for (int kill = 0; kill < kClientKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(run_ms(rng)));
    Device& victim = rng() % 2 == 0 ? sender : receiver;
    sender_kills += &victim == &sender;
    INFO("kill " << kill);
    REQUIRE(victim.Kill());  // it was still running: no crash of its own
    victim.Start();
  }
  REQUIRE(sender.Kill());
  CHECK(sender_kills > kClientKills / 4);
  CHECK(sender_kills < kClientKills * 3 / 4);

  // Only the outbox is left to go: a sender that sends nothing new.
  const SenderLog sent = ReadSenderLog(sent_log);
  REQUIRE(sent.accepted.size() > 100);
  Device flushing({sender_dir.string(), "flush"});
  std::map<std::string, std::set<std::string>> received;
  const bool all_came = WaitUntil(
      [&] {
        received = ReadReceiverLog(received_log);
        for (const std::string& text : sent.accepted) {
          if (received.count(text) == 0) return false;
        }
        return true;
      },
      std::chrono::seconds(120));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // anything late comes now
  received = ReadReceiverLog(received_log);
  REQUIRE(flushing.Kill());
  REQUIRE(receiver.Kill());

  int missing = 0;
  for (const std::string& text : sent.accepted) missing += received.count(text) == 0;
  int twice = 0;
  int unknown = 0;
  for (const auto& [text, event_ids] : received) {
    twice += event_ids.size() > 1;
    unknown += sent.attempted.count(text) == 0;
  }
  WARN(sent.accepted.size() << " messages accepted, " << received.size() << " received, over "
                            << sender_kills << " sender and " << kClientKills - sender_kills
                            << " receiver kills");
  CHECK(all_came);
  CHECK(missing == 0);
  CHECK(twice == 0);    // never two events for one message
  CHECK(unknown == 0);  // nothing the sender did not write
  RequireStoreConsistent(*relay);
}

}  // namespace
}  // namespace tocsin::testing
