// One relay connection against the real relay: pipelined requests matched by id, TLS
// session resumption for owner connections only, the pin check on fresh and resumed
// handshakes, and deadlines.
#include <map>
#include <optional>
#include <thread>

#include "net/mailbox_auth.h"
#include "net/owner_link.h"
#include "net/relay_connection.h"
#include "net/relay_errors.h"
#include "net_test_util.h"

namespace tocsin::net::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Runs `io` on this thread until `done()` or the deadline.
bool RunUntil(asio::io_context& io, const std::function<bool()>& done,
              milliseconds timeout = kWait) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_until(deadline);
  }
  return true;
}

struct Fixture {
  asio::io_context io;
  std::unique_ptr<ClientTls> tls = MakeClientTls().value();
  milliseconds request_timeout{15000};

  std::shared_ptr<RelayConnection> Open(const RelayAddress& relay, wire::ConnectionKind kind,
                                        SslSessionPtr resume = nullptr, Status* failure = nullptr) {
    ConnectionOptions options;
    options.kind = kind;
    options.resume = std::move(resume);
    options.request_timeout = request_timeout;
    auto conn = RelayConnection::Create(io, *tls, relay, options);
    std::optional<Status> opened;
    conn->Open(
        [&](Result<wire::HelloOk> hello) { opened = hello.ok() ? Status() : hello.status(); });
    REQUIRE(RunUntil(io, [&] { return opened.has_value(); }));
    if (failure != nullptr) *failure = *opened;
    if (failure == nullptr) {
      INFO(opened->ToString());
      REQUIRE(opened->ok());
    }
    return conn;
  }

  Result<wire::Response> Call(RelayConnection& conn, wire::Request request) {
    std::optional<Result<wire::Response>> answer;
    conn.Call(std::move(request), [&](Result<wire::Response> r) { answer.emplace(std::move(r)); });
    REQUIRE(RunUntil(io, [&] { return answer.has_value(); }));
    return std::move(*answer);
  }
};

wire::Request Ping() {
  wire::Request r;
  r.mutable_ping();
  return r;
}

TEST_CASE("pipelined requests are each answered once and matched by id", "[net][connection]") {
  auto relay = StartRelay();
  Fixture f;
  auto conn = f.Open(relay->address(), wire::SEND);
  CHECK(conn->hello().server_nonce().size() == 32);
  CHECK(conn->hello().limits().max_frame_bytes() == 262144);
  constexpr int kRequests = 200;
  std::vector<int> calls(kRequests, 0);
  int answered = 0;
  for (int i = 0; i < kRequests; ++i) {
    // Alternate an answer (Pong) and a refusal (NOT_FOUND) so that a mix-up shows.
    wire::Request r = Ping();
    if (i % 2 == 1) {
      r.mutable_get_prekey_bundle()->set_mailbox_id(std::string(16, 'm'));
      r.mutable_get_prekey_bundle()->set_token(std::string(16, 't'));
    }
    conn->Call(std::move(r), [&, i](Result<wire::Response> answer) {
      ++calls[i];
      ++answered;
      if (i % 2 == 0) {
        CHECK(answer.ok());
        CHECK((answer.ok() && answer->has_pong()));
      } else {
        CHECK(answer.status().code() == Code::kNotFound);
      }
    });
  }
  REQUIRE(RunUntil(f.io, [&] { return answered == kRequests; }));
  CHECK(std::count(calls.begin(), calls.end(), 1) == kRequests);
  CHECK(conn->pending() == 0);
  conn->Close(Status::Unavailable("done"));
}

wire::Request QuietAck(std::string_view mailbox) {
  wire::Request r;
  r.mutable_ack()->set_mailbox_id(std::string(mailbox));
  r.mutable_ack()->add_seqs(1);
  r.mutable_ack()->set_quiet(true);
  return r;
}

TEST_CASE("a quiet request has no deadline and its error answer is dropped", "[net][connection]") {
  auto relay = StartRelay();
  Fixture f;
  f.request_timeout = milliseconds(1500);
  auto conn = f.Open(relay->address(), wire::OWNER);
  const AuthKeyPair key = AuthKeyPair::Generate();
  auto created =
      f.Call(*conn, MakeCreateMailbox(relay->CreateInvite(), key, conn->hello().server_nonce()));
  REQUIRE(created.ok());
  conn->SendQuiet(QuietAck(created->mailbox_created().mailbox_id()));  // succeeds: no answer
  conn->SendQuiet(QuietAck(std::string(16, 'x')));                     // UNAUTHORIZED
  CHECK(conn->pending() == 0);
  bool closed = false;
  conn->SetClosedHandler([&](const Status&) { closed = true; });
  // Past the request timeout: a request waiting for an answer would have closed it.
  CHECK_FALSE(RunUntil(
      f.io, [&] { return closed; }, milliseconds(2500)));
  CHECK(conn->is_open());
  const std::string ack = "tocsin_relay_requests_total{type=\"ack\",code=";
  CHECK(WaitForMetric(*relay, ack + "\"OK\"}", 1));
  CHECK(WaitForMetric(*relay, ack + "\"UNAUTHORIZED\"}", 1));
  CHECK(f.Call(*conn, Ping()).ok());
  CHECK(conn->pending() == 0);
}

TEST_CASE("a watched quiet request hears its error and only its error", "[net][connection]") {
  auto relay = StartRelay(
      {{"rate_limits.connection_requests_per_second", "1"}, {"rate_limits.connection_burst", "3"}});
  Fixture f;
  auto conn = f.Open(relay->address(), wire::OWNER);
  const AuthKeyPair key = AuthKeyPair::Generate();
  auto created =
      f.Call(*conn, MakeCreateMailbox(relay->CreateInvite(), key, conn->hello().server_nonce()));
  REQUIRE(created.ok());
  // The burst has two requests left (and refills by one a second): an Ack that succeeds
  // (no answer), one refused as not owned, then five at once, some over the limit.
  std::map<int, Status> told;
  std::uint32_t retry_after_ms = 0;
  auto watch = [&](int which) {
    return [&, which](const Status& status, std::uint32_t retry_after) {
      CHECK(told.count(which) == 0);
      told[which] = status;
      if (status.code() == Code::kRateLimited) retry_after_ms = retry_after;
    };
  };
  const std::string mailbox = created->mailbox_created().mailbox_id();
  conn->SendQuiet(QuietAck(mailbox), watch(0));
  conn->SendQuiet(QuietAck(std::string(16, 'x')), watch(1));
  for (int i = 2; i < 7; ++i) conn->SendQuiet(QuietAck(mailbox), watch(i));
  REQUIRE(RunUntil(f.io, [&] { return told.count(1) == 1 && told.size() >= 4; }));
  CHECK(told.count(0) == 0);
  CHECK(told[1].code() == Code::kUnauthorized);
  for (const auto& [which, status] : told) {
    if (which >= 2) CHECK(status.code() == Code::kRateLimited);
  }
  CHECK(retry_after_ms > 0);
  // Once the bucket has a token again a Ping is answered, after any Error for the Acks
  // before it: nothing more was told (the Ack that succeeded never is).
  const std::size_t told_before = told.size();
  std::this_thread::sleep_for(milliseconds(retry_after_ms + 100));
  CHECK(f.Call(*conn, Ping()).ok());
  CHECK(told.size() == told_before);
  conn->Close(Status::Unavailable("done"));
}

TEST_CASE("owner connections resume the relay's ticket and send connections never offer one",
          "[net][connection]") {
  auto relay = StartRelay();
  Fixture f;
  auto first = f.Open(relay->address(), wire::OWNER);
  CHECK_FALSE(first->resumed());
  // The ticket follows the HelloOk; a round trip later it has been read.
  REQUIRE(f.Call(*first, Ping()).ok());
  REQUIRE(first->ticket() != nullptr);
  const SslSessionPtr ticket = first->ticket();
  first->Close(Status::Unavailable("done"));

  auto second = f.Open(relay->address(), wire::OWNER, ticket);
  CHECK(second->resumed());
  REQUIRE(f.Call(*second, Ping()).ok());

  // Even handed the ticket, a send connection does not offer it, and gets none.
  auto send = f.Open(relay->address(), wire::SEND, ticket);
  CHECK_FALSE(send->resumed());
  REQUIRE(f.Call(*send, Ping()).ok());
  CHECK(send->ticket() == nullptr);
}

TEST_CASE("an owner link resumes its last owner connection's session when it reconnects",
          "[net][connection]") {
  auto relay = StartRelay();
  Fixture f;
  RelayPoolOptions options = FastOptions();
  options.io = &f.io;
  auto env = std::make_shared<LinkEnv>(f.io, options);
  env->tls = MakeClientTls().value();
  auto link = std::make_shared<OwnerLink>(env, relay->address());
  const AuthKeyPair key = AuthKeyPair::Generate();
  std::optional<Result<MailboxId>> created;
  link->CreateMailbox(relay->CreateInvite(), CopyKey(key),
                      [&](Result<MailboxId> id) { created.emplace(std::move(id)); });
  REQUIRE(RunUntil(f.io, [&] { return created.has_value(); }));
  REQUIRE(created->ok());
  CHECK_FALSE(link->resumed());
  // Removing the last mailbox closes the connection; adding it again opens a new one.
  link->RemoveMailbox(**created);
  std::optional<Status> added;
  link->AddMailbox(**created, CopyKey(key), [&](Status s) { added = s; });
  REQUIRE(RunUntil(f.io, [&] { return added.has_value(); }));
  REQUIRE(added->ok());
  CHECK(link->resumed());
  link->Shutdown(Status::Unavailable("done"));
}

TEST_CASE("a wrong pin fails the handshake as relay pin mismatch whether resumed or not",
          "[net][connection]") {
  auto relay = StartRelay();
  Fixture f;
  RelayAddress wrong = relay->address();
  wrong.pin[0] ^= 1;
  Status failure;
  f.Open(wrong, wire::SEND, nullptr, &failure);
  CHECK(failure.code() == Code::kUnauthorized);
  CHECK(failure.message() == "relay pin mismatch");

  // A ticket from the right relay does not let a wrong pin through either.
  auto owner = f.Open(relay->address(), wire::OWNER);
  REQUIRE(f.Call(*owner, Ping()).ok());
  REQUIRE(owner->ticket() != nullptr);
  Status resumed_failure;
  f.Open(wrong, wire::OWNER, owner->ticket(), &resumed_failure);
  CHECK(resumed_failure.code() == Code::kUnauthorized);
  CHECK(resumed_failure.message() == "relay pin mismatch");
}

TEST_CASE("requests made before the Hello is answered wait for it", "[net][connection]") {
  auto relay = StartRelay();
  Fixture f;
  ConnectionOptions options;
  options.kind = wire::SEND;
  auto conn = RelayConnection::Create(f.io, *f.tls, relay->address(), options);
  std::optional<Result<wire::Response>> answer;
  bool opened = false;
  conn->Open([&](Result<wire::HelloOk> hello) { opened = hello.ok(); });
  conn->Call(Ping(), [&](Result<wire::Response> r) { answer.emplace(std::move(r)); });
  REQUIRE(RunUntil(f.io, [&] { return answer.has_value(); }));
  CHECK(opened);
  CHECK(answer->ok());
  CHECK(CheckAnswer(**answer, wire::Response::kPong).ok());
}

}  // namespace
}  // namespace tocsin::net::testing
