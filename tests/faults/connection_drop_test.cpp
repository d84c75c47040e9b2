// Connections that break: inside the TLS handshake, inside a frame, and between a Send
// and its Stored (the relay stored it, the answer never came). Everything the sender's
// application handed over must reach the recipient's application once.
#include <algorithm>
#include <map>
#include <random>

#include "fault_proxy.h"
#include "fault_test_util.h"

namespace tocsin::testing {
namespace {

// Bytes a client sends in a TLS 1.3 handshake here (ClientHello, then Finished): a cut
// below it is inside the handshake, one above it inside the frames.
constexpr std::uint64_t kHandshakeUp = 600;

enum class Fault { kNone, kMidHandshake, kMidFrame, kLostAnswer };

// The n-th faulty connection's fault: every fourth one goes through, so that the test
// moves on; the others break in turn, at a random byte of their kind.
Cut PlanFor(int n, Fault* fault, std::mt19937* rng) {
  *fault = static_cast<Fault>((n + 1) % 4);
  switch (*fault) {
    case Fault::kNone:
      return {};
    case Fault::kMidHandshake:
      return {std::uniform_int_distribution<std::uint64_t>(1, 300)(*rng), std::nullopt};
    case Fault::kMidFrame:
      return {std::uniform_int_distribution<std::uint64_t>(kHandshakeUp, 4000)(*rng), std::nullopt};
    case Fault::kLostAnswer:
      // The requests all go through; the answers stop somewhere after the handshake.
      return {std::nullopt, std::uniform_int_distribution<std::uint64_t>(1200, 6000)(*rng)};
  }
  return {};
}

TEST_CASE("connections cut in the handshake, in a frame and before Stored lose and repeat nothing",
          "[faults][relay][network]") {
  auto relay = StartRelay();
  std::mutex mutex;
  std::mt19937 rng(20261206);
  std::map<Fault, int> planned;
  int armed_at = -1;  // the introduction goes through whole
  FaultProxy proxy(relay->port(), [&](int n) {
    std::lock_guard lock(mutex);
    if (armed_at < 0 || n < armed_at) return Cut{};
    Fault fault;
    const Cut cut = PlanFor(n - armed_at, &fault, &rng);
    ++planned[fault];
    return cut;
  });
  RelayAddress through = relay->address();
  through.port = proxy.port();

  TempFolder folder;
  // The recipient's mailbox is reached only through the proxy: the sender's sends and
  // the recipient's own owner connection both break.
  auto a = CreateClient(folder, "a", *relay);
  auto b = Take(Client::Create(folder.path() / "b", TestPassphrase(),
                               {RelaySpec{through.ToString(), Invite(*relay, 10)}}, FastOptions()));
  EventLog a_log(*a);
  EventLog b_log(*b);
  const Pair pair = Introduce(*a, a_log, *b, b_log);
  REQUIRE(WaitOutboxEmpty(*a));
  {
    std::lock_guard lock(mutex);
    armed_at = proxy.connections();
  }
  // A planned cut happens only if its connection carries that many bytes first: one
  // that ends sooner (broken by the next round, or idle) is planned but never cut.
  const auto every_kind_met = [&] {
    std::lock_guard lock(mutex);
    return planned[Fault::kMidHandshake] >= 2 && planned[Fault::kMidFrame] >= 2 &&
           planned[Fault::kLostAnswer] >= 2 && proxy.cuts() >= 6;
  };

  // Rounds of sends, each after every connection was broken, until each kind of fault
  // was planned twice and six connections were really cut (a slow build reuses one
  // connection for more of the sends).
  std::vector<std::string> sent;
  for (int round = 0; round < 24 && (round < 3 || !every_kind_met()); ++round) {
    proxy.BreakAll();
    for (int i = 0; i < 20; ++i) {
      sent.push_back("through the cuts " + std::to_string(sent.size()));
      Take(a->SendText(pair.b_at_a, sent.back()));
    }
    REQUIRE(b_log.WaitForText(sent.back(), std::chrono::seconds(120)));
  }
  REQUIRE(WaitUntil([&] {
    const auto texts = b_log.Texts();
    return std::all_of(sent.begin(), sent.end(), [&](const std::string& t) {
      return std::count(texts.begin(), texts.end(), t) > 0;
    });
  }));
  REQUIRE(WaitOutboxEmpty(*a));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // a late copy would come now
  const auto texts = b_log.Texts();
  for (const std::string& t : sent) {
    INFO(t);
    CHECK(std::count(texts.begin(), texts.end(), t) == 1);
  }
  // Every kind of fault was met, more than once.
  std::lock_guard lock(mutex);
  CHECK(planned[Fault::kMidHandshake] >= 2);
  CHECK(planned[Fault::kMidFrame] >= 2);
  CHECK(planned[Fault::kLostAnswer] >= 2);
  CHECK(proxy.cuts() >= 6);
  WARN(proxy.connections() << " connections, " << proxy.cuts() << " cut; the recipient dropped "
                           << Stats(*b).duplicates << " copies");
  RequireStoreConsistent(*relay);
}

}  // namespace
}  // namespace tocsin::testing
