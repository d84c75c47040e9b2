// Send links against the real relay: sends on their own connections, SendToMany over
// several frames, pre-key bundles, a relay that vanishes mid-send, relay errors.
#include <atomic>
#include <map>

#include "net/relay_pool.h"
#include "net_test_util.h"

namespace tocsin::net::testing {
namespace {

OutgoingView View(const MailboxId& mailbox, const Token& token, std::size_t size = 48) {
  return OutgoingView{mailbox, token, std::string(size, 'v')};
}

TEST_CASE("sends use send connections and never the owner connection", "[net][send]") {
  auto relay = StartRelay();
  RelayPoolOptions options = FastOptions();
  options.send_idle_close = milliseconds(300);
  PoolHarness h(options);
  TestMailbox m = NewMailbox(h, *relay);
  for (int i = 0; i < 3; ++i) REQUIRE(h.Send(m.relay, m.id, m.token, "envelope").ok());
  const std::string page = Metrics(*relay);
  CHECK(MetricValue(page, "tocsin_relay_requests_total{type=\"send\",code=\"OK\"}") == 3);
  // A send on the owner connection would have been refused with WRONG_CONNECTION_KIND.
  CHECK(page.find("WRONG_CONNECTION_KIND") == std::string::npos);
  CHECK(MetricValue(page, "tocsin_relay_connections{kind=\"owner\"}") == 1);
  CHECK(MetricValue(page, "tocsin_relay_connections{kind=\"send\"}") == 1);
  // The idle send connection closes; the owner connection stays, still subscribed.
  REQUIRE(WaitForMetric(*relay, "tocsin_relay_connections{kind=\"send\"}", 0));
  CHECK(MetricValue(Metrics(*relay), "tocsin_relay_connections{kind=\"owner\"}") == 1);
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 3; }));
  REQUIRE(h.Send(m.relay, m.id, m.token, "on a new send connection").ok());
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 4; }));
  CHECK(MetricValue(Metrics(*relay), "tocsin_relay_connections_accepted_total") >= 3);
}

TEST_CASE("relay refusals reach the caller with the relay's code", "[net][send]") {
  auto relay = StartRelay({{"limits.max_envelope_bytes", "100"}});
  PoolHarness h;
  TestMailbox m = NewMailbox(h, *relay, /*subscribe=*/false);
  CHECK(h.Send(m.relay, m.id, RandomToken(), "x").code() == Code::kUnauthorized);
  CHECK(h.Send(m.relay, RandomMailboxId(), m.token, "x").code() == Code::kNotFound);
  const Status too_large = h.Send(m.relay, m.id, m.token, std::string(101, 'x'));
  CHECK(too_large.code() == Code::kTooLarge);
  CHECK_FALSE(too_large.message().empty());
  CHECK(h.Send(m.relay, m.id, m.token, std::string(100, 'x')).ok());
}

TEST_CASE("SendToMany over more views than one frame holds gives every view its code",
          "[net][send]") {
  auto relay = StartRelay();
  PoolHarness h;
  TestMailbox first = NewMailbox(h, *relay);   // in the first frame
  TestMailbox second = NewMailbox(h, *relay);  // in the second frame
  TestMailbox refused = NewMailbox(h, *relay, false);
  TestMailbox short_view = NewMailbox(h, *relay, false);
  std::vector<OutgoingView> views;
  for (int i = 0; i < 2500; ++i) views.push_back(View(RandomMailboxId(), RandomToken()));
  views[10] = View(first.id, first.token);
  views[20] = View(refused.id, RandomToken());  // a wrong token
  views[2100] = View(second.id, second.token);
  views[2200] = View(short_view.id, short_view.token, 47);  // a view of the wrong size
  Result<std::vector<Code>> codes = h.SendToMany(first.relay, "the shared blob", views);
  INFO(codes.status().ToString());
  REQUIRE(codes.ok());
  REQUIRE(codes->size() == 2500);
  std::map<std::size_t, Code> expected = {
      {10, Code::kOk}, {20, Code::kUnauthorized}, {2100, Code::kOk}, {2200, Code::kBadFrame}};
  for (std::size_t i = 0; i < codes->size(); ++i) {
    auto it = expected.find(i);
    const Code want = it == expected.end() ? Code::kNotFound : it->second;
    if ((*codes)[i] != want) FAIL_CHECK("view " << i << " got " << CodeName((*codes)[i]));
  }
  // Two SendViews frames (2000 + 500), one PutBlob; both recipients get blob and view.
  const std::string page = Metrics(*relay);
  CHECK(MetricValue(page, "tocsin_relay_requests_total{type=\"send_views\",code=\"OK\"}") == 2);
  CHECK(MetricValue(page, "tocsin_relay_requests_total{type=\"put_blob\",code=\"OK\"}") == 1);
  REQUIRE(h.WaitFor([&] { return h.deliveries.size() == 2; }));
  for (const IncomingDelivery& d : h.Deliveries()) {
    REQUIRE(d.blob != nullptr);
    CHECK(*d.blob == "the shared blob");
    CHECK(d.view == std::string(48, 'v'));
    CHECK(d.envelope.empty());
  }
}

TEST_CASE("SendToMany with no view queues nothing and one that cannot queue any fails",
          "[net][send]") {
  auto relay = StartRelay({{"limits.max_blob_bytes", "10"}});
  PoolHarness h;
  Result<std::vector<Code>> none = h.SendToMany(relay->address(), "blob", {});
  REQUIRE(none.ok());
  CHECK(none->empty());
  Result<std::vector<Code>> big = h.SendToMany(relay->address(), std::string(11, 'b'),
                                               {View(RandomMailboxId(), RandomToken())});
  CHECK(big.status().code() == Code::kTooLarge);
}

wire::PutPrekeys Prekeys(std::initializer_list<std::uint32_t> ids) {
  wire::PutPrekeys p;
  p.set_registration_id(4242);
  p.set_device_id(1);
  p.mutable_signed_prekey()->set_id(1);
  p.mutable_signed_prekey()->set_public_key("\x05" + std::string(32, 's'));
  p.mutable_signed_prekey()->set_signature(std::string(64, 'g'));
  for (std::uint32_t id : ids) {
    wire::OneTimePrekey* k = p.add_one_time();
    k->set_id(id);
    k->set_public_key("\x05" + std::string(32, static_cast<char>('a' + id)));
  }
  return p;
}

TEST_CASE("GetPrekeyBundle hands out each one-time pre-key once and lowest id first",
          "[net][send]") {
  auto relay = StartRelay();
  PoolHarness h;
  TestMailbox m = NewMailbox(h, *relay);
  Result<std::uint32_t> left = h.PutPrekeys(m.relay, m.id, Prekeys({7, 5, 9}));
  INFO(left.status().ToString());
  REQUIRE(left.ok());
  CHECK(*left == 3);
  std::vector<std::uint32_t> handed;
  for (int i = 0; i < 3; ++i) {
    Result<wire::PrekeyBundle> bundle = h.GetPrekeyBundle(m.relay, m.id, m.token);
    INFO(bundle.status().ToString());
    REQUIRE(bundle.ok());
    CHECK(bundle->registration_id() == 4242);
    CHECK(bundle->signed_prekey().id() == 1);
    REQUIRE(bundle->has_one_time_prekey());
    handed.push_back(bundle->one_time_prekey().id());
  }
  CHECK(handed == std::vector<std::uint32_t>{5, 7, 9});
  Result<wire::PrekeyBundle> last = h.GetPrekeyBundle(m.relay, m.id, m.token);
  REQUIRE(last.ok());
  CHECK_FALSE(last->has_one_time_prekey());
  // The owner sees the count in the next PrekeysStored (and Authenticated).
  Result<std::uint32_t> after = h.PutPrekeys(m.relay, m.id, Prekeys({}));
  REQUIRE(after.ok());
  CHECK(*after == 0);
  // An INTRO token fetches as often as its class allows (10 by default), then no more.
  const Token intro = RandomToken();
  REQUIRE(h.SetToken(m.relay, m.id, intro, wire::INTRO).ok());
  for (int i = 0; i < 10; ++i) {
    INFO("fetch " << i);
    REQUIRE(h.GetPrekeyBundle(m.relay, m.id, intro).ok());
  }
  CHECK(h.GetPrekeyBundle(m.relay, m.id, intro).status().code() == Code::kQuotaExceeded);
}

// Counts the calls of each of many callbacks.
struct CallCounts {
  std::mutex mu;
  std::vector<int> calls;
  std::vector<Status> results;
  explicit CallCounts(std::size_t n) : calls(n, 0), results(n) {}
};

TEST_CASE("a relay that vanishes mid-send fails each pending send once with UNAVAILABLE",
          "[net][send]") {
  auto relay = StartRelay();
  PoolHarness h;
  TestMailbox m = NewMailbox(h, *relay, /*subscribe=*/false);
  REQUIRE(h.Send(m.relay, m.id, m.token, "opens the send connection").ok());
  // Frozen, the relay takes the requests into its socket but answers nothing.
  REQUIRE(FreezeRelay(*relay));
  constexpr std::size_t kSends = 40;
  auto counts = std::make_shared<CallCounts>(kSends);
  for (std::size_t i = 0; i < kSends; ++i) {
    h.pool().Send(m.relay, m.id, m.token, "pending " + std::to_string(i), 0,
                  [&h, counts, i](Status s) {
                    h.Note([&] {
                      std::lock_guard lock(counts->mu);
                      ++counts->calls[i];
                      counts->results[i] = s;
                    });
                  });
  }
  auto answered = [&] {
    std::lock_guard lock(counts->mu);
    return std::count(counts->calls.begin(), counts->calls.end(), 0) == 0;
  };
  CHECK_FALSE(h.WaitFor(answered, milliseconds(300)));
  relay->Kill9();
  REQUIRE(h.WaitFor(answered));
  REQUIRE(relay->Start().ok());
  // A later send works on a new connection; none of the old callbacks runs again.
  REQUIRE(h.Send(m.relay, m.id, m.token, "after the restart").ok());
  std::lock_guard lock(counts->mu);
  for (std::size_t i = 0; i < kSends; ++i) {
    CHECK(counts->calls[i] == 1);
    CHECK(counts->results[i].code() == Code::kUnavailable);
  }
}

TEST_CASE("destroying the pool fails what is pending with UNAVAILABLE", "[net][send]") {
  auto relay = StartRelay();
  auto h = std::make_unique<PoolHarness>();
  TestMailbox m = NewMailbox(*h, *relay, /*subscribe=*/false);
  REQUIRE(FreezeRelay(*relay));
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto result = std::make_shared<Status>();
  h->pool().Send(m.relay, m.id, m.token, "never answered", 0, [calls, result](Status s) {
    *result = s;
    ++*calls;
  });
  CHECK_FALSE(h->WaitFor([&] { return *calls > 0; }, milliseconds(300)));
  // A call made once the io thread has stopped never reaches a link; it is owed too.
  h->StopIo();
  auto late_calls = std::make_shared<std::atomic<int>>(0);
  auto late = std::make_shared<Status>();
  h->pool().GetPrekeyBundle(m.relay, m.id, m.token,
                            [late_calls, late](Result<wire::PrekeyBundle> r) {
                              *late = r.status();
                              ++*late_calls;
                            });
  CHECK(*late_calls == 0);
  h->Destroy();
  CHECK(*calls == 1);
  CHECK(result->code() == Code::kUnavailable);
  CHECK(*late_calls == 1);
  CHECK(late->code() == Code::kUnavailable);
  relay->Kill9();
}

}  // namespace
}  // namespace tocsin::net::testing
