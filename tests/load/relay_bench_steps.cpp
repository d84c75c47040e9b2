// Protocol steps shared by the relay benchmark's scenarios (relay_bench_rig.h).
#include <atomic>
#include <stdexcept>

#include "relay_bench_rig.h"

namespace tocsin::bench {

awaitable<Mailbox> CreateMailbox(BenchConn& c, const std::string& invite) {
  Mailbox m;
  m.key = testing::AuthKeyPair::Generate();
  const wire::Response hello = co_await c.Call(Hello(wire::OWNER));
  const std::string& nonce = hello.hello().server_nonce();
  wire::Request create;
  create.mutable_create_mailbox()->set_invite(invite);
  create.mutable_create_mailbox()->set_auth_public_key(m.key.public_key);
  create.mutable_create_mailbox()->set_signature(
      m.key.Sign(testing::CreateMailboxMessage(nonce, m.key.public_key)));
  const wire::Response created = co_await c.Call(create);
  if (!created.has_mailbox_created()) throw std::runtime_error("create mailbox refused");
  m.id = created.mailbox_created().mailbox_id();
  m.token = testing::RandomToken();
  wire::Request set;
  set.mutable_set_tokens()->set_mailbox_id(m.id);
  auto* t = set.mutable_set_tokens()->add_tokens();
  t->set_token_class(wire::ALERT);
  t->set_token_hash(testing::TokenHash(m.token));
  if (!(co_await c.Call(set)).has_tokens_set()) throw std::runtime_error("set tokens refused");
  m.session = c.Session();  // the ticket came before the Hello answer
  co_return m;
}

awaitable<void> Authenticate(BenchConn& c, const Mailbox& m) {
  const wire::Response hello = co_await c.Call(Hello(wire::OWNER));
  wire::Request auth;
  auth.mutable_authenticate()->set_mailbox_id(m.id);
  auth.mutable_authenticate()->set_signature(
      m.key.Sign(testing::AuthMessage(hello.hello().server_nonce(), m.id)));
  if (!(co_await c.Call(auth)).has_authenticated()) throw std::runtime_error("auth refused");
}

awaitable<void> Subscribe(BenchConn& c, const std::string& mailbox, std::uint32_t window) {
  wire::Request sub;
  sub.mutable_subscribe()->set_mailbox_id(mailbox);
  sub.mutable_subscribe()->set_window(window);
  if (!(co_await c.Call(sub)).has_subscribed()) throw std::runtime_error("subscribe refused");
}

void QueueSend(BenchConn& c, const Mailbox& to, const std::string& envelope) {
  wire::Request r;
  r.set_id(c.NextId());
  wire::Send* send = r.mutable_send();
  send->set_mailbox_id(to.id);
  send->set_token(to.token);
  send->set_envelope(envelope);
  c.Queue(r);
}

void QueueAck(BenchConn& c, const std::string& mailbox, std::vector<std::uint64_t>* seqs,
              bool quiet) {
  wire::Frame frame;  // built in place: one per read, not a request and then its copy
  wire::Request& ack = *frame.mutable_request();
  ack.set_id(c.NextId());
  ack.mutable_ack()->set_mailbox_id(mailbox);
  for (const std::uint64_t seq : *seqs) ack.mutable_ack()->add_seqs(seq);
  ack.mutable_ack()->set_quiet(quiet);
  c.Queue(frame);
  seqs->clear();
}

awaitable<void> ReceiveAndAck(BenchConn& c, std::string mailbox, OnDelivery on_delivery,
                              OnAcked on_acked, std::uint64_t answer_at) {
  std::vector<std::uint64_t> seqs;
  std::uint64_t delivered = 0;
  // After the first read, each ReadSome found the socket empty; unless the Flush
  // between had to wait, nothing ran since, so the next one waits without reading.
  bool wait_first = false;
  for (;;) {
    co_await c.ReadSome(
        [&](const wire::Frame& f) {
          if (f.has_push()) {
            on_delivery(f.push().delivery());
            seqs.push_back(f.push().delivery().seq());
          } else if (f.has_response() && f.response().has_acked()) {
            // Null with quiet acks: then only a relay that predates them answers.
            if (on_acked) on_acked(f.response().acked().deleted());
          } else if (f.has_response() && f.response().has_error()) {
            throw std::runtime_error("ack refused: " + f.response().error().message());
          }
        },
        wait_first);
    wait_first = true;
    if (seqs.empty()) continue;
    const std::uint64_t before = delivered;
    delivered += seqs.size();
    const bool answered =
        on_acked && (answer_at == 0 || (before < answer_at && delivered >= answer_at));
    QueueAck(c, mailbox, &seqs, !answered);
    wait_first = !co_await c.Flush();
  }
}

std::vector<BenchConn*> OpenSenders(Rig& rig, int count) {
  std::vector<BenchConn*> senders;
  int ready = 0;
  const int failed_before = rig.failures;
  for (int s = 0; s < count; ++s) {
    BenchConn* c = &rig.NewConn();
    senders.push_back(c);
    rig.Spawn([&rig, c, &ready]() -> awaitable<void> {
      co_await c->Open(rig.endpoint);
      co_await c->Call(Hello(wire::SEND));
      ++ready;
    });
  }
  const auto failed = [&] { return rig.failures - failed_before; };
  if (!rig.RunUntil([&] { return ready + failed() >= count; }) || failed() > 0) {
    std::cerr << count - ready << " of " << count << " senders could not connect\n";
    std::exit(1);
  }
  return senders;
}

namespace {

// One receiver of OpenReceivers: its mailbox goes to *slot, then *ready counts it.
awaitable<void> OpenReceiver(Rig* rig, BenchConn* c, const std::string* invite, Mailbox* slot,
                             std::atomic<int>* ready, std::uint32_t window, OnDelivery on_delivery,
                             OnAcked on_acked, std::uint64_t answer_at) {
  co_await c->Open(rig->endpoint);
  Mailbox m = co_await CreateMailbox(*c, *invite);
  co_await Subscribe(*c, m.id, window);
  *slot = m;
  ++*ready;
  co_await ReceiveAndAck(*c, m.id, std::move(on_delivery), std::move(on_acked), answer_at);
}

}  // namespace

std::vector<Mailbox> OpenReceivers(Rig& rig, int n, std::uint32_t window, OnDelivery on_delivery,
                                   OnAcked on_acked, const std::vector<std::uint64_t>& answer_at) {
  const std::string invite = rig.relay.CreateInvite(n + 1, "1d");
  std::vector<Mailbox> mailboxes(static_cast<std::size_t>(n));
  std::atomic<int> ready = 0;
  int launched = 0;
  auto launch_one = [&](int i) {
    const std::uint64_t answer = answer_at.empty() ? 0 : answer_at[static_cast<std::size_t>(i)];
    Mailbox* slot = &mailboxes[static_cast<std::size_t>(i)];
    const int threads = rig.receiver_threads();
    BenchConn* c = threads == 0 ? &rig.NewConn() : &rig.NewReceiverConn(i % threads);
    auto run = [&rig, c, &invite, slot, &ready, window, on_delivery, on_acked, answer] {
      return OpenReceiver(&rig, c, &invite, slot, &ready, window, on_delivery, on_acked, answer);
    };
    if (threads == 0) {
      rig.Spawn(std::move(run));
    } else {
      rig.SpawnOnReceiver(i % threads, std::move(run));
    }
  };
  // Handshakes queue here rather than time out in the relay.
  rig.RunUntil([&] {
    while (launched < n && launched - ready - rig.failures < 200) launch_one(launched++);
    return ready + rig.failures >= n;
  });
  return mailboxes;
}

}  // namespace tocsin::bench
