// Crash points (docs/design.md, "Crash safety is transactional"): a client process is killed
// with SIGKILL exactly at each point; a fresh client on the same folder must deliver the
// message exactly once, and the sessions must keep working.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <thread>

#include "client_test_util.h"
#include "core/crash_points.h"

extern char** environ;

namespace tocsin::testing {
namespace {

class Helper {
 public:
  explicit Helper(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    std::vector<std::string> all{TOCSIN_CRASH_HELPER};
    all.insert(all.end(), args.begin(), args.end());
    for (auto& arg : all) argv.push_back(arg.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, TOCSIN_CRASH_HELPER, nullptr, nullptr, argv.data(), environ) == 0);
  }
  ~Helper() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // True when the process died of SIGKILL (the crash point) within the deadline.
  bool KilledAtCrashPoint() {
    int status = 0;
    const bool exited = WaitUntil([&] {
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      return done == pid_;
    });
    if (!exited) return false;
    pid_ = -1;
    UNSCOPED_INFO("helper status " << status);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

 private:
  pid_t pid_ = -1;
};

struct World {
  std::unique_ptr<RelayProcess> relay = StartRelay();
  TempFolder folder;
  std::filesystem::path a_dir = folder.path() / "a";
  std::filesystem::path b_dir = folder.path() / "b";
  Pair pair;

  World() {
    auto a = Take(Client::Create(a_dir, TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
    auto b = Take(Client::Create(b_dir, TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
    EventLog a_log(*a);
    EventLog b_log(*b);
    pair = Introduce(*a, a_log, *b, b_log);
    REQUIRE(WaitOutboxEmpty(*a));
    REQUIRE(WaitOutboxEmpty(*b));
  }

  std::unique_ptr<Client> Open(const std::filesystem::path& dir) {
    return Take(Client::Open(dir, TestPassphrase(), FastOptions()));
  }
};

std::size_t CountText(const EventLog& log, const std::string& text) {
  const auto texts = log.Texts();
  return static_cast<std::size_t>(std::count(texts.begin(), texts.end(), text));
}

// After the crash: both clients run again, the message arrived once, and messages
// still go both ways (the sessions survived).
// `copies`: how many copies of the crash message B's relay handed it after the crash
// (a resend or a redelivery comes as a second, dropped one).
void CheckExactlyOnceAndAlive(World& world, std::unique_ptr<Client> a, std::unique_ptr<Client> b,
                              EventLog& a_log, EventLog& b_log, std::uint64_t duplicates) {
  REQUIRE(b_log.WaitForText("crash message"));
  Take(a->SendText(world.pair.b_at_a, "after crash from A"));
  Take(b->SendText(world.pair.a_at_b, "after crash from B"));
  REQUIRE(b_log.WaitForText("after crash from A"));
  REQUIRE(a_log.WaitForText("after crash from B"));
  REQUIRE(WaitOutboxEmpty(*a));
  REQUIRE(WaitOutboxEmpty(*b));
  CHECK(CountText(b_log, "crash message") == 1);
  CHECK(CountText(b_log, "after crash from A") == 1);
  CHECK(Stats(*b).duplicates == duplicates);
}

void SenderCrash(core::CrashPoint point, std::uint64_t duplicates) {
  World world;
  {
    Helper helper({world.a_dir.string(), std::string(core::CrashPointName(point)), "send",
                   world.pair.b_at_a, "crash message"});
    REQUIRE(helper.KilledAtCrashPoint());
  }
  auto b = world.Open(world.b_dir);
  EventLog b_log(*b);
  auto a = world.Open(world.a_dir);
  EventLog a_log(*a);
  CheckExactlyOnceAndAlive(world, std::move(a), std::move(b), a_log, b_log, duplicates);
}

void ReceiverCrash(core::CrashPoint point, std::uint64_t duplicates) {
  World world;
  auto a = world.Open(world.a_dir);
  EventLog a_log(*a);
  {
    Helper helper({world.b_dir.string(), std::string(core::CrashPointName(point)), "receive"});
    // The helper subscribes in its own time; the relay keeps the message until then.
    Take(a->SendText(world.pair.b_at_a, "crash message"));
    REQUIRE(helper.KilledAtCrashPoint());
  }
  auto b = world.Open(world.b_dir);
  EventLog b_log(*b);
  CheckExactlyOnceAndAlive(world, std::move(a), std::move(b), a_log, b_log, duplicates);
}

TEST_CASE("a sender killed after the outbox commit sends the message once on restart",
          "[crash][relay]") {
  SenderCrash(core::CrashPoint::kAfterOutboxCommit, 0);
}

TEST_CASE("a sender killed after Stored but before the outbox delete causes no duplicate",
          "[crash][relay]") {
  SenderCrash(core::CrashPoint::kAfterStoredBeforeDelete, 1);  // the resend, dropped
}

// The group send path: killed after its outbox rows (the blob and the views) were
// committed and before anything left. On restart the outbox sends them; the member
// shows the message once and the group goes on.
TEST_CASE("a group sender killed after the outbox commit sends the message once on restart",
          "[crash][relay][groups]") {
  World world;
  GroupId group;
  {
    auto a = world.Open(world.a_dir);
    auto b = world.Open(world.b_dir);
    EventLog a_log(*a);
    EventLog b_log(*b);
    group = Take(a->CreateGroup("zone 4", {world.pair.b_at_a}));
    REQUIRE(b_log.WaitFor([&](const Event& e) { return e.kind == EventKind::kGroupInvite; }));
    Check(b->JoinGroup(group, "zone 4", {world.pair.a_at_b}));
    Take(a->SendGroupText(group, "group ready"));
    REQUIRE(b_log.WaitForText("group ready"));
    REQUIRE(WaitOutboxEmpty(*a));
    REQUIRE(WaitOutboxEmpty(*b));
    // B's ack of "group ready" may still be on its way; closing B before the relay has
    // it would bring the message back after the restart, as a duplicate.
    REQUIRE(world.relay->WaitForStat("queued envelopes: 0"));
  }
  {
    Helper helper({world.a_dir.string(),
                   std::string(core::CrashPointName(core::CrashPoint::kAfterOutboxCommit)),
                   "send-group", group, "crash message"});
    REQUIRE(helper.KilledAtCrashPoint());
  }
  auto b = world.Open(world.b_dir);
  EventLog b_log(*b);
  auto a = world.Open(world.a_dir);
  EventLog a_log(*a);
  REQUIRE(b_log.WaitForText("crash message"));
  auto event = b_log.Find([](const Event& e) { return e.text == "crash message"; });
  CHECK(event->group == group);
  Take(a->SendGroupText(group, "after crash to the group"));
  REQUIRE(b_log.WaitForText("after crash to the group"));
  CHECK(CountText(b_log, "after crash to the group") == 1);
  CheckExactlyOnceAndAlive(world, std::move(a), std::move(b), a_log, b_log, 0);
}

TEST_CASE("a receiver killed after decrypting but before committing decrypts again",
          "[crash][relay]") {
  ReceiverCrash(core::CrashPoint::kAfterDecryptBeforeCommit, 0);
}

TEST_CASE("a receiver killed after committing but before the ack shows the message once",
          "[crash][relay]") {
  ReceiverCrash(core::CrashPoint::kAfterCommitBeforeAck, 1);  // the redelivery, dropped
}

}  // namespace
}  // namespace tocsin::testing
