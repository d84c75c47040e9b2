// Durable throughput: senders pipeline Send requests (each answered Stored only after
// its fsync'd commit) to N receiving mailboxes, which read and ack (one Ack per read).
// The Acks are quiet, as a real client's, except each receiver's last one: the run ends
// when every receiver's last Ack is answered, that is when every envelope was delivered
// and every Ack is durable (the relay commits a connection's Acks in order).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "relay_bench_rig.h"
#include "relay_bench_scenarios.h"

namespace tocsin::bench {
namespace {

constexpr int kSenders = 4;
constexpr int kOutstanding = 512;  // Send requests in flight per sender (as the peers)

// The first mailbox sender `s` sends to; it then goes round the mailboxes in turn.
int FirstMailbox(int s) { return s * 7919; }
int SenderCount(int total, int s) { return total / kSenders + (s < total % kSenders ? 1 : 0); }

// How many envelopes each of `receivers` mailboxes gets from the SendLoops.
std::vector<std::uint64_t> PerMailbox(int total, int receivers) {
  std::vector<std::uint64_t> out(static_cast<std::size_t>(receivers), 0);
  for (int s = 0; s < kSenders; ++s) {
    for (int i = 0; i < SenderCount(total, s); ++i) {
      ++out[static_cast<std::size_t>((FirstMailbox(s) + i) % receivers)];
    }
  }
  return out;
}

// Sends `count` envelopes spread over `mailboxes`, keeping kOutstanding unanswered.
awaitable<void> SendLoop(BenchConn& c, const std::vector<Mailbox>& mailboxes, int first,
                         int count) {
  const std::string envelope(kEnvelopeBytes, 'e');
  int sent = 0;
  int answered = 0;
  while (answered < count) {
    while (sent < count && sent - answered < kOutstanding) {
      QueueSend(c, mailboxes[static_cast<std::size_t>(first + sent) % mailboxes.size()], envelope);
      ++sent;
    }
    co_await c.Flush();
    co_await c.ReadSome([&](const wire::Frame& f) {
      if (!f.has_response()) return;
      if (!f.response().has_stored()) throw std::runtime_error(f.response().error().message());
      ++answered;
    });
  }
}

}  // namespace

testing::ConfigOverrides Unlimited() {
  return {{"rate_limits.connection_requests_per_second", "10000000"},
          {"rate_limits.connection_burst", "10000000"},
          {"rate_limits.token_envelopes_per_second", "10000000"},
          {"rate_limits.token_burst", "10000000"},
          {"rate_limits.mailbox_total_envelopes_per_second", "10000000"},
          {"rate_limits.mailbox_total_burst", "10000000"},
          {"limits.max_inflight_requests", "4096"},
          {"tokens.alert.max_queued_messages", "0"},
          {"tokens.alert.max_queued_bytes", "0"}};
}

Figure Throughput(const BenchOptions& options) {
  const int receivers = options.n > 0 ? options.n : 100;
  const int total = options.messages > 0 ? options.messages : 200000;
  Rig rig(options, Unlimited());
  const std::vector<std::uint64_t> expected = PerMailbox(total, receivers);
  const auto busy = std::count_if(expected.begin(), expected.end(), [](auto e) { return e > 0; });
  int finished = 0;
  Clock::time_point last_ack;
  auto on_acked = [&](std::uint32_t) {
    ++finished;
    last_ack = Clock::now();
  };
  const std::vector<Mailbox> mailboxes = OpenReceivers(
      rig, receivers, 1024, [](const wire::Delivery&) {}, on_acked, expected);
  const std::vector<BenchConn*> senders = OpenSenders(rig, kSenders);
  rig.BeginMeasure();
  const auto start = Clock::now();
  for (int s = 0; s < kSenders; ++s) {
    const int count = SenderCount(total, s);
    rig.Spawn([&, c = senders[static_cast<std::size_t>(s)], s, count]() -> awaitable<void> {
      co_await SendLoop(*c, mailboxes, FirstMailbox(s), count);
    });
  }
  if (!rig.RunUntil([&] { return finished >= busy || rig.failures > 0; })) {
    std::cerr << "throughput run did not finish: " << finished << " of " << busy
              << " receivers acked all\n";
    std::exit(1);
  }
  rig.EndMeasure();
  const double wall_ms = Ms(last_ack - start);
  const double rate = total / (wall_ms / 1000);
  std::printf(
      "throughput: %d envelopes (%zu bytes) to %d mailboxes, send -> deliver -> ack: %.2f s, "
      "%.0f/s\n",
      total, kEnvelopeBytes, receivers, wall_ms / 1000, rate);
  PrintCpu("all of it", wall_ms, rig.cpu());
  return Figure{"throughput", receivers, {{"rate_per_s", rate}}};
}

}  // namespace tocsin::bench
