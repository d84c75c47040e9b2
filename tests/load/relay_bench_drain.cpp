// Offline drain: N mailboxes with queued envelopes, every owner reconnecting at once
// (TLS handshake, resumed with the ticket of its first connection unless --resume off;
// Hello, Authenticate, Subscribe), reading and acking until its queue is empty.
#include <cstdio>
#include <iostream>

#include "relay_bench_rig.h"
#include "relay_bench_scenarios.h"

namespace tocsin::bench {
namespace {

// Creates `n` mailboxes on owner connections that then close cleanly (their TLS
// sessions stay resumable).
std::vector<Mailbox> CreateOwners(Rig& rig, int n) {
  const std::string invite = rig.relay.CreateInvite(n + 1, "1d");
  std::vector<Mailbox> mailboxes(static_cast<std::size_t>(n));
  int ready = 0;
  int launched = 0;
  rig.RunUntil([&] {
    while (launched < n && launched - ready - rig.failures < 200) {
      BenchConn* c = &rig.NewConn();
      rig.Spawn([&rig, c, i = launched, &invite, &mailboxes, &ready]() -> awaitable<void> {
        co_await c->Open(rig.endpoint);
        mailboxes[static_cast<std::size_t>(i)] = co_await CreateMailbox(*c, invite);
        c->CloseCleanly();
        ++ready;
      });
      ++launched;
    }
    return ready + rig.failures >= n;
  });
  return mailboxes;
}

// Queues `each` envelopes in every mailbox, pipelined on one send connection.
void QueueEnvelopes(Rig& rig, const std::vector<Mailbox>& mailboxes, int each) {
  bool queued = false;
  BenchConn* sender = &rig.NewConn();
  rig.Spawn([&]() -> awaitable<void> {
    co_await sender->Open(rig.endpoint);
    co_await sender->Call(Hello(wire::SEND));
    const std::string envelope(kEnvelopeBytes, 'q');
    for (int round = 0; round < each; ++round) {
      for (const Mailbox& m : mailboxes) QueueSend(*sender, m, envelope);
      co_await sender->Flush();
      std::size_t answered = 0;
      while (answered < mailboxes.size()) {
        co_await sender->ReadSome([&](const wire::Frame& f) {
          if (!f.has_response()) return;
          if (!f.response().has_stored()) throw std::runtime_error("send refused");
          ++answered;
        });
      }
    }
    queued = true;
  });
  rig.RunUntil([&] { return queued || rig.failures > 0; });
}

// One owner's reconnect: everything queued read and acked (acks batched per read). The
// Acks are answered: their deleted counts say when the mailbox is empty, which is what
// the drain measures (a quiet one would end it at the last delivery instead).
awaitable<void> DrainOne(Rig& rig, BenchConn& c, const Mailbox& m, int each, bool resume) {
  // A named copy: GCC 12 destroys a temporary shared_ptr in a co_await expression twice.
  TlsSession session;
  if (resume) session = m.session;
  co_await c.Open(rig.endpoint, session);
  co_await Authenticate(c, m);
  wire::Request sub;
  sub.set_id(c.NextId());
  sub.mutable_subscribe()->set_mailbox_id(m.id);
  sub.mutable_subscribe()->set_window(64);
  c.Queue(sub);
  co_await c.Flush();
  std::vector<std::uint64_t> seqs;
  int acked = 0;
  while (acked < each) {
    co_await c.ReadSome([&](const wire::Frame& f) {
      if (f.has_push()) seqs.push_back(f.push().delivery().seq());
      if (f.has_response() && f.response().has_acked()) acked += f.response().acked().deleted();
    });
    if (seqs.empty()) continue;
    QueueAck(c, m.id, &seqs, /*quiet=*/false);
    co_await c.Flush();
  }
}

}  // namespace

Figure Drain(const BenchOptions& options) {
  const int n = options.n > 0 ? options.n : 1000;
  const int each = options.messages > 0 ? options.messages : 20;
  Rig rig(options, Unlimited());
  const std::vector<Mailbox> mailboxes = CreateOwners(rig, n);
  QueueEnvelopes(rig, mailboxes, each);
  if (rig.failures > 0) std::exit(1);
  int finished = 0;
  int resumed = 0;
  rig.BeginMeasure();
  const auto start = Clock::now();
  for (const Mailbox& m : mailboxes) {
    BenchConn* c = &rig.NewConn();
    rig.Spawn([&, c]() -> awaitable<void> {
      co_await DrainOne(rig, *c, m, each, options.resume);
      resumed += c->Resumed() ? 1 : 0;
      ++finished;
    });
  }
  rig.RunUntil([&] { return finished + rig.failures >= n; });
  const double wall_ms = Ms(Clock::now() - start);
  rig.EndMeasure();
  if (rig.failures > 0) std::exit(1);
  std::printf(
      "offline drain: %d mailboxes x %d envelopes, reconnect (%d of %d TLS sessions resumed) "
      "+ authenticate + deliver + ack: %.0f ms\n",
      n, each, resumed, n, wall_ms);
  PrintCpu("all of it", wall_ms, rig.cpu());
  return Figure{"drain", n, {{"seconds", wall_ms / 1000}}};
}

}  // namespace tocsin::bench
