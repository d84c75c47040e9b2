// What an operator sees, against the real relay: the commit histograms on the metrics
// page, logs that never carry ids, tokens, addresses or envelope bytes, and a store
// that cannot write (a file size limit standing in for a full disk): the clients get
// UNAVAILABLE with a time to wait and no server detail, the log gets an error.
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>

#include "server_test_util.h"

namespace tocsin::testing {
namespace {

const ConfigOverrides kNoLimits = {{"rate_limits.token_envelopes_per_second", "100000"},
                                   {"rate_limits.token_burst", "100000"},
                                   {"rate_limits.mailbox_total_envelopes_per_second", "100000"},
                                   {"rate_limits.mailbox_total_burst", "100000"},
                                   {"rate_limits.connection_requests_per_second", "100000"},
                                   {"rate_limits.connection_burst", "100000"},
                                   {"tokens.contact.max_queued_messages", "0"},
                                   {"tokens.contact.max_queued_bytes", "0"}};

// Sends `count` envelopes pipelined on a new connection; returns how many were Stored.
// Runs on its own thread: no Catch2 assertions here.
int SendPipelined(const RelayProcess& relay, const Owner& to, int count) {
  auto sender = TestClient::Connect(relay.address());
  if (!sender.ok() || !(*sender)->Hello(wire::SEND).ok()) return 0;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < count; ++i) {
    wire::Request r;
    r.mutable_send()->set_mailbox_id(to.mailbox);
    r.mutable_send()->set_token(to.token);
    r.mutable_send()->set_envelope(std::string("e").append(std::to_string(i)));
    auto id = (*sender)->SendRequest(r);
    if (!id.ok()) return 0;
    ids.push_back(*id);
  }
  int stored = 0;
  for (const std::uint64_t id : ids) {
    auto answer = (*sender)->WaitResponse(id);
    stored += answer.ok() && answer->has_stored() ? 1 : 0;
  }
  return stored;
}

// The `_bucket` values of histogram `name`, in the order written (le increasing).
std::vector<double> Buckets(const std::string& page, const std::string& name) {
  std::vector<double> out;
  const std::string start = "\n" + name + "_bucket{le=\"";
  for (std::size_t at = page.find(start); at != std::string::npos; at = page.find(start, at + 1)) {
    const std::size_t value = page.find("} ", at) + 2;
    out.push_back(std::stod(page.substr(value, page.find('\n', value) - value)));
  }
  return out;
}

// The buckets of histogram `name`, checked for what every histogram must hold: one per
// bound and +Inf (`buckets` in all), cumulative, and the last one equal to `total`.
std::vector<double> CheckedBuckets(const std::string& page, const std::string& name,
                                   std::size_t buckets, double total) {
  const std::vector<double> values = Buckets(page, name);
  REQUIRE(values.size() == buckets);
  CHECK(std::is_sorted(values.begin(), values.end()));
  CHECK(values.back() == total);
  return values;
}

TEST_CASE("commit batch sizes and latencies are histograms on the metrics page",
          "[relay][server][metrics]") {
  auto relay = StartRelay(kNoLimits);
  Owner owner = NewOwner(*relay);
  std::array<int, 4> stored{};
  std::vector<std::thread> senders;
  for (int& n : stored) senders.emplace_back([&] { n = SendPipelined(*relay, owner, 100); });
  for (auto& t : senders) t.join();
  for (const int n : stored) REQUIRE(n == 100);
  const std::string page = HttpGet(relay->metrics_port(), "/metrics");
  INFO(page);
  CHECK(page.find("# TYPE tocsin_relay_commit_batch_size histogram") != std::string::npos);
  CHECK(page.find("# TYPE tocsin_relay_commit_latency_seconds histogram") != std::string::npos);
  const double commits = MetricValue(page, "tocsin_relay_commits_total");
  const double batches = MetricValue(page, "tocsin_relay_commit_batch_size_count");
  REQUIRE(commits > 0);
  CHECK(batches == commits);  // one observation per commit that wrote
  // 400 sends plus the mailbox and its token, in fewer commits than requests: grouped.
  CHECK(MetricValue(page, "tocsin_relay_commit_batch_size_sum") >= 402);
  // Buckets 1, 2, 4 ... 16384, +Inf.
  const std::vector<double> sizes =
      CheckedBuckets(page, "tocsin_relay_commit_batch_size", 16, batches);
  CHECK(sizes.front() < batches);  // some commit carried more than one request
  CHECK(commits < 402);
  CheckedBuckets(page, "tocsin_relay_commit_latency_seconds", 15, commits);
  const double seconds = MetricValue(page, "tocsin_relay_commit_latency_seconds_sum");
  CHECK(seconds > 0);
  CHECK(seconds / commits < 5);  // a commit (with fsync) takes milliseconds, not seconds
  // The same time as the total counter, in seconds.
  CHECK(std::abs(seconds * 1e6 - MetricValue(page, "tocsin_relay_commit_microseconds_total")) < 2);
  // The store's gauges: what it holds, and the memory RocksDB uses to hold it.
  CHECK(MetricValue(page, "tocsin_relay_queued_entries") == 400);
  CHECK(MetricValue(page, "tocsin_relay_store_memtable_bytes") >
        MetricValue(page, "tocsin_relay_queued_bytes"));
  CHECK(page.find("# TYPE tocsin_relay_store_block_cache_bytes gauge") != std::string::npos);
  CHECK(page.find("# TYPE tocsin_relay_store_table_reader_bytes gauge") != std::string::npos);
}

// The time from a commit to the relay's last write of its pushes, per network worker:
// one observation per worker that had pushes of that commit, none for a commit with no
// live subscriber.
TEST_CASE("the time from a commit to its pushes written is a histogram on the metrics page",
          "[relay][server][metrics]") {
  ConfigOverrides two_workers = kNoLimits;
  two_workers.emplace("server.io_threads", "2");
  auto relay = StartRelay(two_workers);
  std::vector<Owner> owners;
  for (int i = 0; i < 6; ++i) {
    owners.push_back(NewOwner(*relay, wire::ALERT));
    REQUIRE(owners.back().client->Subscribe(owners.back().mailbox).ok());
  }
  Owner offline = NewOwner(*relay, wire::ALERT);  // never subscribes
  auto sender = Connect(*relay, wire::SEND);
  const auto count = [&] {
    return MetricValue(HttpGet(relay->metrics_port(), "/metrics"),
                       "tocsin_relay_push_latency_seconds_count");
  };
  REQUIRE(count() == 0);

  // A commit with pushes for every subscriber: observed once per worker that had some.
  auto handle = sender->PutBlob("an alert");
  REQUIRE(handle.ok());
  std::vector<wire::View> views;
  for (const Owner& o : owners) views.push_back(MakeView(o.mailbox, o.token));
  auto sent = sender->SendViews(*handle, views);
  REQUIRE(sent.ok());
  REQUIRE(sent->stored() == owners.size());
  for (Owner& o : owners) REQUIRE(o.client->NextDelivery().ok());
  const std::string page = HttpGet(relay->metrics_port(), "/metrics");
  INFO(page);
  CHECK(page.find("# TYPE tocsin_relay_push_latency_seconds histogram") != std::string::npos);
  const double after_alert = MetricValue(page, "tocsin_relay_push_latency_seconds_count");
  CHECK(after_alert >= 1);
  CHECK(after_alert <= 2);  // one per network worker
  CheckedBuckets(page, "tocsin_relay_push_latency_seconds", 15, after_alert);
  const double seconds = MetricValue(page, "tocsin_relay_push_latency_seconds_sum");
  CHECK(seconds > 0);
  CHECK(seconds < 5);

  // Stored for a mailbox nobody is subscribed to: nothing pushed, nothing observed.
  REQUIRE(sender->Send(offline.mailbox, offline.token, "queued").ok());
  CHECK(count() == after_alert);
}

std::string Hex(const std::string& bytes, bool upper) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  if (upper) {
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Base64(const std::string& bytes, int variant) {
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// Every way a secret could be written into a log line.
std::vector<std::string> Forms(const std::string& secret) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(secret.data());
  return {secret,
          Hex(secret, false),
          Hex(secret, true),
          Base32Encode({bytes, secret.size()}),
          Base64(secret, sodium_base64_VARIANT_ORIGINAL_NO_PADDING),
          Base64(secret, sodium_base64_VARIANT_URLSAFE_NO_PADDING)};
}

// One of every request, some refusals, a failed handshake and the admin commands; returns
// the secrets and identifiers the relay saw.
std::vector<std::string> RunTraffic(const RelayProcess& relay) {
  Owner owner = NewOwner(relay);
  const std::string invite = relay.CreateInvite();
  const AuthKeyPair key2 = AuthKeyPair::Generate();
  auto second = owner.client->CreateMailbox(invite, key2);
  REQUIRE(second.ok());
  wire::PutPrekeys put;
  put.set_mailbox_id(owner.mailbox);
  put.mutable_signed_prekey()->set_public_key(PrekeyPublic('p'));
  put.mutable_signed_prekey()->set_signature(std::string(64, 'g'));
  REQUIRE(owner.client->PutPrekeys(put).ok());
  REQUIRE(owner.client->Subscribe(owner.mailbox).ok());
  auto sender = Connect(relay, wire::SEND);
  const std::string envelope = "sealed envelope bytes 5f1d";
  const std::string blob = "multi-recipient blob bytes 9c2e";
  REQUIRE(sender->Send(owner.mailbox, owner.token, envelope).ok());
  const std::string wrong = RandomToken();
  CHECK(CodeOf(sender->Send(owner.mailbox, wrong, envelope)) == Code::kUnauthorized);
  auto handle = sender->PutBlob(blob);
  REQUIRE(handle.ok());
  REQUIRE(sender->SendViews(*handle, {MakeView(owner.mailbox, owner.token)}).ok());
  REQUIRE(sender->GetPrekeyBundle(owner.mailbox, owner.token).ok());
  for (int i = 0; i < 2; ++i) {
    auto d = owner.client->NextDelivery();
    REQUIRE(d.ok());
    REQUIRE(owner.client->Ack(owner.mailbox, {d->seq()}).ok());
  }
  CHECK(CodeOf(Connect(relay, wire::OWNER)->Authenticate(owner.mailbox, key2)) ==
        Code::kUnauthorized);
  REQUIRE(owner.client->DeleteMailbox(*second).ok());
  CHECK(RelayClosesAfterRawBytes(relay.port(), "not TLS\r\n\r\n", milliseconds(30000)));
  CHECK_FALSE(
      TestClient::Connect(relay.address(), milliseconds(10000), nullptr, TLS1_2_VERSION).ok());
  REQUIRE(relay.RunCommand({"stats"}).exit_code == 0);
  RequireCheckPasses(relay);
  return {owner.mailbox, *second, owner.token,           TokenHash(owner.token),
          wrong,         invite,  owner.key.public_key,  *handle,
          envelope,      blob,    sender->server_nonce()};
}

TEST_CASE("logs carry no ids, tokens, addresses or envelope bytes, at info and at debug",
          "[relay][server][logs]") {
  for (const std::string level : {"info", "debug"}) {
    INFO("log level " << level);
    auto relay = StartRelay({{"server.log_level", std::string("\"").append(level).append("\"")}});
    const std::vector<std::string> secrets = RunTraffic(*relay);
    REQUIRE(relay->Terminate() == 0);
    const std::string log = relay->Log();
    INFO(log);
    CHECK(log.find("serving on port") != std::string::npos);
    CHECK(log.find("admin command: stats") != std::string::npos);
    CHECK(log.find("stopped cleanly") != std::string::npos);
    CHECK(log.find("127.0.0.1") == std::string::npos);
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      for (const std::string& form : Forms(secrets[i])) {
        INFO("secret " << i << " as " << Hex(form, false));
        CHECK(log.find(form) == std::string::npos);
      }
    }
    if (level == "info") {
      CHECK(log.find(" debug ") == std::string::npos);
    } else {
      // Debug really was on: the refused handshakes are there, still without an address.
      CHECK(log.find(" debug TLS handshake failed") != std::string::npos);
    }
  }
}

TEST_CASE(
    "a store that cannot write: UNAVAILABLE with retry_after_ms / a generic message / "
    "an error in the log",
    "[relay][server][logs]") {
  // A 2 MiB file size limit: the write-ahead log passes it after ~40 envelopes of 48 KB
  // and the next commit fails with EFBIG, as a full disk would fail it.
  auto relay = StartRelay(kNoLimits, [](RelayProcess& r) { r.set_file_size_limit(2u << 20); });
  Owner owner = NewOwner(*relay);
  auto sender = Connect(*relay, wire::SEND);
  int stored = 0;
  std::optional<wire::Error> refusal;
  for (int i = 0; i < 200 && !refusal; ++i) {
    wire::Request r;
    r.mutable_send()->set_mailbox_id(owner.mailbox);
    r.mutable_send()->set_token(owner.token);
    r.mutable_send()->set_envelope(std::string(48000, static_cast<char>('a' + i % 26)));
    auto answer = sender->Call(r);
    REQUIRE(answer.ok());
    if (answer->has_stored()) {
      ++stored;
    } else {
      refusal = answer->error();
    }
  }
  REQUIRE(refusal.has_value());
  CHECK(stored > 10);
  CHECK(refusal->code() == wire::UNAVAILABLE);
  CHECK(refusal->retry_after_ms() > 0);
  INFO("message: " << refusal->message());
  CHECK(refusal->message().find('/') == std::string::npos);  // no server path
  CHECK(refusal->message().find("too large") == std::string::npos);
  CHECK(refusal->message().find("store:") == std::string::npos);
  const std::string page = HttpGet(relay->metrics_port(), "/metrics");
  CHECK(MetricValue(page, "tocsin_relay_commit_failures_total") >= 1);
  CHECK(MetricValue(page, "tocsin_relay_requests_total{type=\"send\",code=\"UNAVAILABLE\"}") >= 1);
  const std::string log = relay->Log();
  INFO(log);
  CHECK(log.find(" error store commit failed") != std::string::npos);
  CHECK(log.find(relay->data_dir()) == std::string::npos);
  // Whatever was answered Stored is there, and reads still work.
  REQUIRE(owner.client->Subscribe(owner.mailbox, 1024).ok());
  for (int i = 0; i < stored; ++i) {
    auto d = owner.client->NextDelivery();
    REQUIRE(d.ok());
    CHECK(d->envelope() == std::string(48000, static_cast<char>('a' + i % 26)));
  }
}

}  // namespace
}  // namespace tocsin::testing
