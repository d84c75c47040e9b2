// A relay killed with SIGKILL over and over while several clients keep sending: every
// message a client put in its outbox reaches the recipient's application exactly once.
// kill -9 loses what was not fsync'd by the relay (nothing answered Stored) and whatever
// was on the wire; the clients' outboxes resend with the same bytes and the recipient
// drops the copies it already has.
#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "fault_test_util.h"
#include "under_sanitizer.h"

namespace tocsin::testing {
namespace {

constexpr int kSenders = 3;
// Under a sanitizer a restart of the relay takes seconds (50 kills took 3.5 minutes of
// the ASan build's tests); the Release build of `make test` runs all 50.
constexpr int kRelayKills = kUnderSanitizer ? 15 : 50;

// One sender device: sends numbered texts to its contact until told to stop, a few
// milliseconds apart, and remembers every text its client accepted into the outbox.
class SteadySender {
 public:
  SteadySender(Client& client, ContactId to, std::string prefix)
      : client_(client), to_(std::move(to)), prefix_(std::move(prefix)) {}
  ~SteadySender() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const std::vector<std::string>& accepted() const { return accepted_; }
  int refused() const { return refused_; }

 private:
  void Run() {
    for (int n = 0; !stop_; ++n) {
      std::string text = prefix_ + std::to_string(n);
      // Accepted means committed to the outbox: from then on it must arrive.
      if (client_.SendText(to_, text).ok()) {
        accepted_.push_back(std::move(text));
      } else {
        ++refused_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
  }

  Client& client_;
  const ContactId to_;
  const std::string prefix_;
  std::atomic<bool> stop_{false};
  std::vector<std::string> accepted_;  // written by the thread until Stop
  std::atomic<int> refused_{0};
  std::thread thread_;
};

TEST_CASE("a relay killed over and over under sustained sends delivers every message exactly once",
          "[faults][relay][kill]") {
  auto relay = StartRelay();
  TempFolder folder;
  auto receiver = CreateClient(folder, "r", *relay);
  EventLog receiver_log(*receiver);
  std::vector<std::unique_ptr<Client>> senders;
  std::vector<std::unique_ptr<EventLog>> sender_logs;
  std::vector<std::unique_ptr<SteadySender>> loops;
  for (int i = 0; i < kSenders; ++i) {
    std::string name = "s";
    name += std::to_string(i);
    senders.push_back(CreateClient(folder, name, *relay));
    sender_logs.push_back(std::make_unique<EventLog>(*senders.back()));
    // The receiver takes each sender's card (a card's intro token is good for one
    // session), so the sender knows the receiver as the one who wrote first.
    const Pair pair = Introduce(*receiver, receiver_log, *senders.back(), *sender_logs.back());
    loops.push_back(std::make_unique<SteadySender>(*senders.back(), pair.a_at_b, name + "-"));
  }
  for (auto& loop : loops) loop->Start();

  std::mt19937 rng(20261205);
  std::uniform_int_distribution<int> up_ms(100, 600);
  std::uniform_int_distribution<int> down_ms(0, 150);
  for (int kill = 0; kill < kRelayKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(up_ms(rng)));
    relay->Kill9();
    std::this_thread::sleep_for(std::chrono::milliseconds(down_ms(rng)));
    const Status restarted = relay->Start();
    INFO("restart " << kill << ": " << restarted.ToString());
    REQUIRE(restarted.ok());
  }
  for (auto& loop : loops) loop->Stop();

  std::map<std::string, int> expected;
  for (const auto& loop : loops) {
    CHECK(loop->refused() == 0);  // the outbox takes a message whatever the relay does
    for (const std::string& text : loop->accepted()) expected[text] = 0;
  }
  REQUIRE(expected.size() > static_cast<std::size_t>(kSenders * kRelayKills));
  for (auto& sender : senders) REQUIRE(WaitOutboxEmpty(*sender, std::chrono::seconds(120)));
  REQUIRE(WaitUntil([&] { return receiver_log.Texts().size() >= expected.size() + kSenders; },
                    std::chrono::seconds(120)));
  // Anything late would come now.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  int unexpected = 0;
  for (const std::string& text : receiver_log.Texts()) {
    if (text.rfind("hello from", 0) == 0) continue;  // the introductions' replies
    auto it = expected.find(text);
    if (it == expected.end()) {
      ++unexpected;
    } else {
      ++it->second;
    }
  }
  CHECK(unexpected == 0);
  int missing = 0;
  int twice = 0;
  for (const auto& [text, count] : expected) {
    missing += count == 0;
    twice += count > 1;
  }
  WARN(expected.size() << " messages sent over " << kRelayKills << " relay kills; receiver dropped "
                       << Stats(*receiver).duplicates << " duplicates");
  CHECK(missing == 0);
  CHECK(twice == 0);
  for (const auto& log : sender_logs) CHECK(log->Count(EventKind::kUndelivered) == 0);
  RequireStoreConsistent(*relay);
}

}  // namespace
}  // namespace tocsin::testing
