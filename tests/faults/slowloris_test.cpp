// Slowloris: connections that keep the relay waiting by sending a byte now and then,
// inside the TLS handshake or inside a frame, never finishing either. Each must be closed
// at its deadline even though bytes keep coming, and the relay must keep answering a
// legitimate sender and subscriber meanwhile.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "server_test_util.h"

namespace tocsin::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kEach = 12;  // trickling connections of each kind
constexpr auto kTrickle = milliseconds(300);

// A TCP connection that sends the start of a TLS record (a handshake record of 512
// bytes) one byte at a time; true once the relay closed it.
class HandshakeTrickler {
 public:
  explicit HandshakeTrickler(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~HandshakeTrickler() { ::close(fd_); }
  bool connected() const { return connected_; }
  // Sends one more byte; false when the relay has closed the connection.
  bool Trickle() {
    static const char kRecord[] = {'\x16', '\x03', '\x01', '\x02', '\x00', '\x01'};
    const char byte = sent_ < sizeof kRecord ? kRecord[sent_] : 'h';
    ++sent_;
    char sink[64];
    if (::recv(fd_, sink, sizeof sink, MSG_DONTWAIT) == 0) return false;  // orderly close
    return ::send(fd_, &byte, 1, MSG_NOSIGNAL) == 1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::size_t sent_ = 0;
};

std::string FrameHeader(std::uint32_t size) {
  return std::string{static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                     static_cast<char>(size >> 8), static_cast<char>(size)};
}

TEST_CASE("connections that trickle their handshake or a frame are closed on time, others served",
          "[faults][relay][slowloris]") {
  constexpr int kDeadlineSeconds = 2;
  auto relay = StartRelay({{"limits.handshake_timeout_seconds", std::to_string(kDeadlineSeconds)},
                           {"limits.send_idle_timeout_seconds", std::to_string(kDeadlineSeconds)},
                           {"limits.max_connections", "64"}});
  Owner owner = NewOwner(*relay);
  REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
  auto sender = Connect(*relay, wire::SEND);

  std::vector<std::unique_ptr<HandshakeTrickler>> in_handshake;
  std::vector<std::unique_ptr<TestClient>> in_frame;
  for (int i = 0; i < kEach; ++i) {
    in_handshake.push_back(std::make_unique<HandshakeTrickler>(relay->port()));
    REQUIRE(in_handshake.back()->connected());
    in_frame.push_back(Connect(*relay, wire::SEND));
    REQUIRE(in_frame.back()->WriteRaw(FrameHeader(200)).ok());
  }
  const auto start = Clock::now();
  std::vector<std::optional<Clock::duration>> handshake_closed(kEach);
  std::vector<std::optional<Clock::duration>> frame_closed(kEach);
  std::vector<milliseconds> legit;
  int round = 0;
  while (Clock::now() - start < std::chrono::seconds(4 * kDeadlineSeconds)) {
    for (int i = 0; i < kEach; ++i) {
      if (!handshake_closed[i] && !in_handshake[i]->Trickle()) {
        handshake_closed[i] = Clock::now() - start;
      }
      if (!frame_closed[i] && !in_frame[i]->WriteRaw("x").ok()) {
        frame_closed[i] = Clock::now() - start;
      }
    }
    // A legitimate send and its delivery, every round.
    const auto sent = Clock::now();
    REQUIRE(sender->Send(owner.mailbox, owner.token, "round " + std::to_string(round)).ok());
    auto delivery = owner.client->NextDelivery(milliseconds(5000));
    REQUIRE(delivery.ok());
    REQUIRE(owner.client->Ack(owner.mailbox, {delivery->seq()}).ok());
    legit.push_back(std::chrono::duration_cast<milliseconds>(Clock::now() - sent));
    ++round;
    std::this_thread::sleep_for(kTrickle);
  }
  // Every trickler was closed at its deadline (checked once a second), not kept alive by
  // its bytes; a write may notice the close one trickle later.
  const auto latest = std::chrono::seconds(kDeadlineSeconds + 2) + 2 * kTrickle;
  for (int i = 0; i < kEach; ++i) {
    INFO("connection " << i);
    REQUIRE(handshake_closed[i]);
    CHECK(*handshake_closed[i] >= std::chrono::seconds(kDeadlineSeconds) - kTrickle);
    CHECK(*handshake_closed[i] <= latest);
    REQUIRE(frame_closed[i]);
    CHECK(*frame_closed[i] >= std::chrono::seconds(kDeadlineSeconds) - kTrickle);
    CHECK(*frame_closed[i] <= latest);
  }
  // The legitimate pair was answered every round; the median stays far below the
  // deadlines (a relay blocked by the tricklers would show seconds).
  std::sort(legit.begin(), legit.end());
  CHECK(legit[legit.size() / 2] < milliseconds(500));
  CHECK(sender->Ping().ok());
}

}  // namespace
}  // namespace tocsin::testing
