// The relay's connection limits against the real binary (relay.toml [limits]): an idle
// owner connection is closed, connections over max_connections are refused, a
// subscriber that stops reading is held at the byte bound of unacked deliveries while
// the others keep getting theirs, and a client that does not read its answers is cut
// off once its output passes max_outbound_bytes. Small values keep each test short.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "server_test_util.h"
#include "tocsin/frame_codec.h"

namespace tocsin::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

TEST_CASE("an idle owner connection is closed after owner_idle_timeout_seconds",
          "[relay][server][limits]") {
  auto relay = StartRelay(
      {{"limits.owner_idle_timeout_seconds", "1"}, {"limits.send_idle_timeout_seconds", "60"}});
  auto owner = Connect(*relay, wire::OWNER);
  auto sender = Connect(*relay, wire::SEND);
  const auto start = Clock::now();
  CHECK(owner->WaitClosed(milliseconds(10000)));
  // At least the timeout, and soon after it (deadlines are checked every second or so).
  CHECK(Clock::now() - start >= milliseconds(900));
  CHECK(Clock::now() - start < seconds(6));
  // The send connection, idle as long, has its own (longer) timeout.
  CHECK(sender->Ping().ok());
}

TEST_CASE("an owner connection that keeps talking outlives the idle timeout",
          "[relay][server][limits]") {
  auto relay = StartRelay({{"limits.owner_idle_timeout_seconds", "1"}});
  auto owner = Connect(*relay, wire::OWNER);
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(milliseconds(400));
    REQUIRE(owner->Ping().ok());
  }
}

TEST_CASE("the connection after max_connections is refused and a freed slot is reused",
          "[relay][server][limits]") {
  auto relay = StartRelay({{"limits.max_connections", "3"}});
  std::vector<std::unique_ptr<TestClient>> open;
  for (int i = 0; i < 3; ++i) open.push_back(Connect(*relay, wire::SEND));
  auto fourth = TestClient::Connect(relay->address(), milliseconds(5000));
  if (fourth.ok()) {
    // The handshake may complete from the kernel's queue: the relay still closes it.
    CHECK((*fourth)->WaitClosed(milliseconds(5000)));
  }
  for (auto& c : open) CHECK(c->Ping().ok());  // the three keep working

  open.pop_back();  // frees a slot once the relay sees the close
  bool reused = false;
  for (const auto until = Clock::now() + seconds(10); !reused && Clock::now() < until;) {
    auto again = TestClient::Connect(relay->address(), milliseconds(2000));
    reused = again.ok() && (*again)->Hello(wire::SEND).ok() && (*again)->Ping().ok();
    if (!reused) std::this_thread::sleep_for(milliseconds(100));
  }
  CHECK(reused);
}

// The soft "Max open files" of `pid` (/proc/<pid>/limits); -1 when unreadable.
long long OpenFilesSoftLimit(pid_t pid) {
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(limits, line);) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(14));
      long long soft = -1;
      fields >> soft;
      return soft;
    }
  }
  return -1;
}

TEST_CASE("a relay raises its open-file limit to the hard one and warns when it is short",
          "[relay][server][limits]") {
  // Soft 64, hard 4,096: without raising it, the relay would refuse connections past ~40.
  auto relay = StartRelay({{"limits.max_connections", "5000"}},
                          [](RelayProcess& r) { r.set_open_files_limit(64, 4096); });
  CHECK(OpenFilesSoftLimit(relay->pid()) == 4096);
  std::vector<std::unique_ptr<TestClient>> open;
  for (int i = 0; i < 150; ++i) open.push_back(Connect(*relay, wire::SEND));
  for (auto& c : open) CHECK(c->Ping().ok());
  // 4,096 cannot hold 5,000 connections: said once, at start.
  CHECK(relay->Log().find("open-file limit 4096 is below limits.max_connections (5000)") !=
        std::string::npos);

  // Enough for max_connections: nothing said.
  open.clear();
  REQUIRE(relay->Terminate() == 0);
  REQUIRE(relay->Reconfigure({{"limits.max_connections", "1000"}}).ok());
  const std::size_t log_before = relay->Log().size();
  REQUIRE(relay->Start().ok());
  CHECK(OpenFilesSoftLimit(relay->pid()) == 4096);
  CHECK(relay->Log().substr(log_before).find("open-file limit") == std::string::npos);
}

// Envelopes queued for `to`, pipelined; every one answered Stored.
void SendMany(TestClient& sender, const Owner& to, int count, std::size_t bytes) {
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < count; ++i) {
    wire::Request r;
    r.mutable_send()->set_mailbox_id(to.mailbox);
    r.mutable_send()->set_token(to.token);
    r.mutable_send()->set_envelope(std::string(bytes, static_cast<char>('a' + i % 26)));
    auto id = sender.SendRequest(r);
    REQUIRE(id.ok());
    ids.push_back(*id);
  }
  for (const std::uint64_t id : ids) {
    auto answer = sender.WaitResponse(id);
    REQUIRE(answer.ok());
    REQUIRE(answer->has_stored());
  }
}

TEST_CASE("a subscriber that never reads is held at the byte bound and others are not held up",
          "[relay][server][limits]") {
  auto relay = StartRelay({{"limits.max_outbound_bytes", "65536"},
                           {"rate_limits.connection_requests_per_second", "100000"},
                           {"rate_limits.connection_burst", "100000"},
                           {"rate_limits.token_envelopes_per_second", "100000"},
                           {"rate_limits.token_burst", "100000"},
                           {"rate_limits.mailbox_total_envelopes_per_second", "100000"},
                           {"rate_limits.mailbox_total_burst", "100000"},
                           {"tokens.contact.max_queued_messages", "0"},
                           {"tokens.contact.max_queued_bytes", "0"}});
  Owner slow = NewOwner(*relay);
  Owner fast = NewOwner(*relay);
  REQUIRE(fast.client->Subscribe(fast.mailbox).ok());
  // 400 x 60 KB under a window of 1,024: 24 MB if the window alone held deliveries back.
  auto sender = Connect(*relay, wire::SEND);
  SendMany(*sender, slow, 400, 60000);
  // Subscribed without reading the answer: from here on the slow client reads nothing.
  wire::Request subscribe;
  subscribe.mutable_subscribe()->set_mailbox_id(slow.mailbox);
  subscribe.mutable_subscribe()->set_window(1024);
  REQUIRE(slow.client->SendRequest(subscribe).ok());

  // Meanwhile the other subscriber gets each envelope soon after it is stored.
  std::vector<milliseconds> took;
  for (int i = 0; i < 7; ++i) {
    const auto sent = Clock::now();
    REQUIRE(sender->Send(fast.mailbox, fast.token, "prompt").ok());
    auto d = fast.client->NextDelivery(milliseconds(5000));
    REQUIRE(d.ok());
    took.push_back(std::chrono::duration_cast<milliseconds>(Clock::now() - sent));
    REQUIRE(fast.client->Ack(fast.mailbox, {d->seq()}).ok());
  }
  std::sort(took.begin(), took.end());
  CHECK(took[took.size() / 2] < milliseconds(1000));

  // The unacked deliveries of one connection stay under half of max_outbound_bytes (one
  // entry always goes): the slow subscriber got one 60 KB envelope, its connection is
  // not cut off, and the relay holds no more for it than that.
  std::vector<wire::Delivery> got;
  for (;;) {
    auto d = slow.client->NextDelivery(milliseconds(1500));
    if (!d.ok()) break;
    got.push_back(*d);
  }
  CHECK(got.size() == 1);
  CHECK(slow.client->Ping().ok());
  CHECK((!got.empty() && got[0].envelope() == std::string(60000, 'a')));
  // Acking it lets the next one come, and only one.
  REQUIRE(!got.empty());
  REQUIRE(slow.client->Ack(slow.mailbox, {got[0].seq()}).ok());
  auto next = slow.client->NextDelivery(milliseconds(5000));
  REQUIRE(next.ok());
  CHECK(next->seq() > got[0].seq());
  CHECK(next->envelope() == std::string(60000, 'b'));  // the second sent, in order
  CHECK_FALSE(slow.client->NextDelivery(milliseconds(500)).ok());
}

TEST_CASE(
    "a client that sends requests without reading the answers is cut off at "
    "max_outbound_bytes",
    "[relay][server][limits]") {
  auto relay = StartRelay({{"limits.max_outbound_bytes", "65536"},
                           {"rate_limits.connection_requests_per_second", "1000000"},
                           {"rate_limits.connection_burst", "1000000"}});
  Owner owner = NewOwner(*relay);
  wire::Frame ping;
  ping.mutable_request()->set_id(7);
  ping.mutable_request()->mutable_ping();
  auto one = EncodeFrame(ping);
  REQUIRE(one.ok());
  std::string batch;
  for (int i = 0; i < 10000; ++i) batch += *one;
  // Pongs pile up in the relay once the kernel's buffers are full: the relay closes the
  // connection when they pass 64 KiB. Writing stops failing once it did.
  int written = 0;
  for (; written < 200; ++written) {
    if (!owner.client->WriteRaw(batch).ok()) break;
  }
  CHECK(owner.client->WaitClosed(milliseconds(20000)));
  CHECK(MetricValue(HttpGet(relay->metrics_port(), "/metrics"),
                    "tocsin_relay_slow_reader_disconnects_total") == 1);
  // Another connection is served as ever.
  auto other = Connect(*relay, wire::OWNER);
  CHECK(other->Ping().ok());
}

}  // namespace
}  // namespace tocsin::testing
