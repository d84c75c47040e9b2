// Fake-report flood into an alert tree. A member's phone in the wrong hands (or an
// infiltrator) floods the dispatchers with fake Reports; does legitimate traffic keep
// its latency, and what stops the fakes? Everything is real and public API only: the
// tocsin-relay binary (default configuration: fsync, TLS 1.3, its rate limits), one
// tocsin::Client per device (encrypted store, libsignal sessions and sender keys) with
// its tocsin::AlertService (timers on, as in an application).
//
// The tree: a dispatcher, 2 coordinators, --responders responders (default 4) under
// them, and a hostile member (a responder of the second coordinator), all in one zone.
// The tree's reports_per_hour is 2 x --reports (10 by default, the tree's default), so
// every legitimate reporter stays within it.
//
// Two phases, the same legitimate traffic in each: every responder sends --reports
// reports (default 5; one every --gap ms, in turn), and the dispatcher sends --alerts
// alerts (default 5) spread among them, which every coordinator and responder acks at
// once from its event handler. Measured at the dispatcher's event handler:
//   report  Report() called -> the dispatcher's kReport event
//   ack     SendAlert() called -> the dispatcher's kAck event from each responder
// "quiet" runs alone; "flood" runs while the hostile member calls Report --fakes times
// (default 300) as fast as it returns, on its own thread.
//
// Printed: p50 / p99 / max of both latencies in both phases; how many fake reports the
// dispatcher took as reports (at most reports_per_hour) and how many it dropped (the
// rest: flagged once as a security event); how many sends the relay answered
// RATE_LIMITED or OK during the flood phase (its per-mailbox limit on the dispatcher's
// mailbox); that no fake report reached a coordinator or responder (reports go to the
// dispatchers only); and the relay's queue once it drained. Then a RESULT line. Exits 1
// when a fake reached anyone but the dispatcher, the dispatcher took more fakes than the
// limit, or a legitimate report or ack never arrived.
//
// What the public API cannot show: how many of the fakes the dispatcher's device
// received before dropping them (AlertService drops them silently after the one flag),
// and when the hostile device's outbox is empty. The program waits instead until the
// relay's stored-envelope counter has not moved for 5 s and its queue is empty.
//
// docs/load.md says how to read it.
//
// Usage: tocsin_report_flood_bench [--fakes 300] [--responders 4] [--reports 5]
//                                  [--alerts 5] [--gap 250]
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "load_common.h"
#include "relay_process.h"
#include "tocsin/alerts.h"
#include "tocsin/client.h"

namespace tocsin::bench {
namespace {

constexpr const char* kZone = "boyle-heights";

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << "report flood: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(Result<T> result, const std::string& what) {
  if (!result.ok()) Fail(what + ": " + result.status().ToString());
  return std::move(result).value();
}

// Polls `done` every 50 ms until it holds or `limit` passes.
bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto until = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// What one member's event handler saw (the service's event thread writes, others read).
class EventLog {
 public:
  void Add(const AlertEvent& e) {
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    ++counts_[e.kind];
    if (e.kind == AlertEventKind::kReport) {
      reports_.emplace(e.alert, now);
      ++reports_from_[e.from];
    }
    if (e.kind == AlertEventKind::kAck && e.ack) acks_.emplace(e.alert + e.ack->member, now);
    if (e.kind == AlertEventKind::kSecurityFlag) flags_.push_back(e.from + " " + e.reason);
  }
  std::size_t Count(AlertEventKind kind) const {
    std::lock_guard lock(mutex_);
    const auto it = counts_.find(kind);
    return it == counts_.end() ? 0 : it->second;
  }
  std::optional<Clock::time_point> ReportSeen(const AlertId& id) const {
    std::lock_guard lock(mutex_);
    const auto it = reports_.find(id);
    return it == reports_.end() ? std::nullopt : std::optional(it->second);
  }
  std::optional<Clock::time_point> AckSeen(const AlertId& id, const MemberKey& member) const {
    std::lock_guard lock(mutex_);
    const auto it = acks_.find(id + member);
    return it == acks_.end() ? std::nullopt : std::optional(it->second);
  }
  std::size_t ReportsFrom(const MemberKey& key) const {
    std::lock_guard lock(mutex_);
    const auto it = reports_from_.find(key);
    return it == reports_from_.end() ? 0 : it->second;
  }
  std::size_t Flags(const MemberKey& key, const std::string& reason) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count(flags_.begin(), flags_.end(), key + " " + reason));
  }

 private:
  mutable std::mutex mutex_;
  std::map<AlertEventKind, std::size_t> counts_;
  std::map<AlertId, Clock::time_point> reports_;
  std::map<MemberKey, std::size_t> reports_from_;
  std::map<std::string, Clock::time_point> acks_;  // alert id + member key
  std::vector<std::string> flags_;
};

// One device: its client, its alert service and its event log.
struct Member {
  std::string name;
  std::unique_ptr<Client> client;
  std::unique_ptr<AlertService> alerts;
  std::shared_ptr<EventLog> log = std::make_shared<EventLog>();
  MemberKey key;
  MemberRole role = MemberRole::kResponder;
};

struct Plan {
  int fakes = 300;
  int responders = 4;
  int reports = 5;  // per responder and phase
  int alerts = 5;   // per phase
  int gap_ms = 250;
};

class Network {
 public:
  explicit Network(const Plan& plan)
      : plan_(plan), dir_(testing::RelayProcess::MakeTempDir("tocsin-flood-")) {
    if (!relay_.init_status().ok() || !relay_.Start().ok()) Fail("the relay did not start");
    spec_ = RelaySpec{relay_.address().ToString(), relay_.CreateInvite(100, "1d")};
    if (spec_.invite.empty()) Fail("no invite");
  }
  ~Network() {
    for (Member* m : All()) {
      if (m->alerts) m->alerts->Close();
      if (m->client) m->client->Close();
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void Build();
  const testing::RelayProcess& relay() const { return relay_; }
  const TreeId& tree() const { return tree_; }
  Member& dispatcher() { return dispatcher_; }
  Member& hostile() { return hostile_; }
  std::vector<Member>& responders() { return responders_; }
  // Everyone but the dispatcher and the hostile member.
  std::vector<Member*> Others();

 private:
  std::vector<Member*> All();
  void Open(Member& m, const std::string& name, MemberRole role, bool acks);
  void Add(Member& m, const Member& parent);
  bool Settled(Member& m);

  Plan plan_;
  testing::RelayProcess relay_;
  std::string dir_;
  RelaySpec spec_;
  Member dispatcher_, hostile_;
  std::vector<Member> coordinators_ = std::vector<Member>(2);
  std::vector<Member> responders_;
  TreeId tree_;
};

std::vector<Member*> Network::All() {
  std::vector<Member*> all = Others();
  all.push_back(&dispatcher_);
  all.push_back(&hostile_);
  return all;
}

std::vector<Member*> Network::Others() {
  std::vector<Member*> others;
  for (Member& m : coordinators_) others.push_back(&m);
  for (Member& m : responders_) others.push_back(&m);
  return others;
}

// A device with default options (Argon2 at its minimum: it only slows unlocking). Its
// handler logs every event; coordinators and responders ack every alert at once.
void Network::Open(Member& m, const std::string& name, MemberRole role, bool acks) {
  m.name = name;
  m.role = role;
  ClientOptions options;
  options.kdf = KdfCost::kMinimum;
  m.client =
      Must(Client::Create(std::filesystem::path(dir_) / name,
                          Must(Passphrase::FromString("flood"), "passphrase"), {spec_}, options),
           "create " + name);
  m.key = m.client->IdentityKey();
  m.alerts = Must(AlertService::Attach(*m.client), "attach " + name);
  m.alerts->SetEventHandler([log = m.log, service = m.alerts.get(), acks](const AlertEvent& e) {
    log->Add(e);
    if (acks && e.kind == AlertEventKind::kAlert) {
      (void)service->Ack(e.alert, {.kind = AckKind::kReceived});
    }
  });
}

void Network::Add(Member& m, const Member& parent) {
  MemberSpec spec;
  spec.card = Must(m.client->MyCard(m.name), "card of " + m.name);
  spec.name = m.name;
  spec.role = m.role;
  spec.parent = parent.key;
  spec.zones = {kZone};
  spec.languages = {"es", "en"};
  spec.skills = {"legal_observer"};
  Must(dispatcher_.alerts->AddMember(tree_, spec), "add " + m.name);
}

// The member holds its view and every card in it.
bool Network::Settled(Member& m) {
  if (m.log->Count(AlertEventKind::kViewAccepted) == 0) return false;
  const auto info = m.alerts->Tree(tree_);
  return info.ok() && std::all_of(info->members.begin(), info->members.end(),
                                  [](const MemberInfo& member) { return member.alert_card; });
}

void Network::Build() {
  Open(dispatcher_, "dispatcher", MemberRole::kDispatcher, false);
  for (std::size_t i = 0; i < coordinators_.size(); ++i) {
    Open(coordinators_[i], "coordinator" + std::to_string(i + 1), MemberRole::kCoordinator, true);
  }
  responders_.resize(static_cast<std::size_t>(plan_.responders));
  for (std::size_t i = 0; i < responders_.size(); ++i) {
    Open(responders_[i], "responder" + std::to_string(i + 1), MemberRole::kResponder, true);
  }
  Open(hostile_, "hostile", MemberRole::kResponder, false);  // busy sending fakes
  TreeSpec tree;
  tree.name = "flood";
  tree.policy.reports_per_hour = static_cast<std::uint32_t>(2 * plan_.reports);
  tree_ = Must(dispatcher_.alerts->CreateTree(tree), "create the tree");
  for (Member& c : coordinators_) Add(c, dispatcher_);
  for (std::size_t i = 0; i < responders_.size(); ++i) Add(responders_[i], coordinators_[i % 2]);
  Add(hostile_, coordinators_[1]);
  (void)Must(dispatcher_.alerts->PushViews(tree_), "push views");
  for (Member* m : All()) {
    if (m != &dispatcher_ && !WaitUntil([&] { return Settled(*m); }, std::chrono::seconds(300))) {
      Fail(m->name + " did not get its view");
    }
  }
}

// One phase's latencies and what was missing.
struct PhaseResult {
  std::vector<double> report_ms, ack_ms;
  int missing_reports = 0, missing_acks = 0;
  double seconds = 0;
};

ReportSpec LegitReport() {
  ReportSpec spec;
  spec.zones = {kZone};
  spec.text = "vans at Cesar Chavez and Soto";
  return spec;
}

AlertSpec MakeAlert() {
  AlertSpec spec;
  spec.zones = {kZone};
  spec.roles_needed = {"legal_observer"};
  spec.texts = {{"es", "ALERTA: agentes en el lavado de autos", "Vengan"},
                {"en", "ALERT: agents at the car wash", "Come"}};
  return spec;
}

PhaseResult RunPhase(Network& net, const Plan& plan) {
  Member& d = net.dispatcher();
  std::map<AlertId, Clock::time_point> reports, alerts;
  const int total = plan.reports * plan.responders;
  const int every = std::max(1, total / std::max(plan.alerts, 1));
  const auto start = Clock::now();
  for (int i = 0; i < total; ++i) {
    Member& r = net.responders()[static_cast<std::size_t>(i % plan.responders)];
    auto t = Clock::now();
    reports[Must(r.alerts->Report(net.tree(), LegitReport()), "report")] = t;
    if (i % every == 0 && static_cast<int>(alerts.size()) < plan.alerts) {
      t = Clock::now();
      alerts[Must(d.alerts->SendAlert(net.tree(), MakeAlert()), "alert")] = t;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(plan.gap_ms));
  }
  const auto all_in = [&] {
    for (const auto& [id, t] : reports) {
      if (!d.log->ReportSeen(id)) return false;
    }
    for (const auto& [id, t] : alerts) {
      for (Member& r : net.responders()) {
        if (!d.log->AckSeen(id, r.key)) return false;
      }
    }
    return true;
  };
  WaitUntil(all_in, std::chrono::seconds(300));
  PhaseResult result;
  result.seconds = Ms(Clock::now() - start) / 1000;
  for (const auto& [id, t] : reports) {
    const auto seen = d.log->ReportSeen(id);
    if (seen) {
      result.report_ms.push_back(Ms(*seen - t));
    } else {
      ++result.missing_reports;
    }
  }
  for (const auto& [id, t] : alerts) {
    for (Member& r : net.responders()) {
      const auto seen = d.log->AckSeen(id, r.key);
      if (seen) {
        result.ack_ms.push_back(Ms(*seen - t));
      } else {
        ++result.missing_acks;
      }
    }
  }
  return result;
}

// The relay's send answers with `code` so far.
std::int64_t SendAnswers(const testing::RelayProcess& relay, const std::string& code) {
  const std::string page = testing::HttpGet(relay.metrics_port(), "/metrics");
  const auto v = static_cast<std::int64_t>(testing::MetricValue(
      page, "tocsin_relay_requests_total{type=\"send\",code=\"" + code + "\"}"));
  return std::max<std::int64_t>(v, 0);
}

// Waits until the relay's stored-envelope counter has not moved for 5 s and its queue is
// empty: the senders' outboxes are drained and every device acked.
bool WaitForQuiet(const testing::RelayProcess& relay) {
  std::int64_t last = -1;
  auto since = Clock::now();
  return WaitUntil(
      [&] {
        const auto stored = static_cast<std::int64_t>(
            testing::MetricValue(testing::HttpGet(relay.metrics_port(), "/metrics"),
                                 "tocsin_relay_envelopes_stored_total"));
        if (stored != last) {
          last = stored;
          since = Clock::now();
          return false;
        }
        if (Clock::now() - since < std::chrono::seconds(5)) return false;
        return StoreStats(relay)["queued envelopes"] == 0;
      },
      std::chrono::seconds(600));
}

void PrintPhase(const char* name, const PhaseResult& p) {
  const LatencySummary r = Summarize(p.report_ms);
  const LatencySummary a = Summarize(p.ack_ms);
  std::printf(
      "  %-6s report -> dispatcher p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu, %d missing); "
      "alert -> responder ack at the dispatcher p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu, %d "
      "missing); %.1f s\n",
      name, r.p50, r.p99, r.max, r.count, p.missing_reports, a.p50, a.p99, a.max, a.count,
      p.missing_acks, p.seconds);
}

int Run(const Plan& plan) {
  RaiseFileLimit();
  Network net(plan);
  const auto setup_start = Clock::now();
  net.Build();
  std::printf(
      "report flood: a dispatcher, 2 coordinators, %d responders and a hostile member over the "
      "real relay (defaults: fsync, TLS 1.3, its rate limits); reports_per_hour %d; setup %.1f "
      "s (load average %.1f)\n",
      plan.responders, 2 * plan.reports, Ms(Clock::now() - setup_start) / 1000, LoadAverage());
  const PhaseResult quiet = RunPhase(net, plan);
  PrintPhase("quiet:", quiet);

  const std::int64_t limited_before = SendAnswers(net.relay(), "RATE_LIMITED");
  const std::int64_t ok_before = SendAnswers(net.relay(), "OK");
  std::vector<AlertId> fakes;
  double flood_s = 0;
  std::thread flood([&] {
    const auto start = Clock::now();
    ReportSpec fake = LegitReport();
    fake.text = "FAKE: raid on every corner";
    for (int k = 0; k < plan.fakes; ++k) {
      fakes.push_back(Must(net.hostile().alerts->Report(net.tree(), fake), "fake report"));
    }
    flood_s = Ms(Clock::now() - start) / 1000;
  });
  const PhaseResult flooded = RunPhase(net, plan);
  flood.join();
  const std::int64_t limited = SendAnswers(net.relay(), "RATE_LIMITED") - limited_before;
  const std::int64_t stored_ok = SendAnswers(net.relay(), "OK") - ok_before;
  PrintPhase("flood:", flooded);
  const bool quiet_again = WaitForQuiet(net.relay());

  Member& d = net.dispatcher();
  const std::size_t taken = d.log->ReportsFrom(net.hostile().key);
  const std::size_t flagged = d.log->Flags(net.hostile().key, "reports over the rate limit");
  std::size_t reached_others = 0;
  for (Member* m : net.Others()) {
    reached_others += m->log->Count(AlertEventKind::kReport);
    for (const AlertId& id : fakes) reached_others += m->alerts->GetAlert(id).ok() ? 1 : 0;
  }
  const auto queued = StoreStats(net.relay())["queued envelopes"];
  std::printf(
      "  fakes: %zu Report calls in %.1f s; the dispatcher took %zu as reports and dropped the "
      "other %zu (over its per-source limit; flagged %zu time(s)); reached a coordinator or "
      "responder: %zu; the relay answered sends during the flood phase: OK %lld, RATE_LIMITED "
      "%lld; relay queue afterwards %llu envelopes%s\n",
      fakes.size(), flood_s, taken, fakes.size() - std::min(taken, fakes.size()), flagged,
      reached_others, static_cast<long long>(stored_ok), static_cast<long long>(limited),
      static_cast<unsigned long long>(queued), quiet_again ? "" : " (did not drain in 600 s)");
  const LatencySummary qr = Summarize(quiet.report_ms), fr = Summarize(flooded.report_ms);
  const LatencySummary qa = Summarize(quiet.ack_ms), fa = Summarize(flooded.ack_ms);
  std::printf(
      "RESULT system=tocsin scenario=report-flood n=%d report_p50_quiet_ms=%.6g "
      "report_p99_quiet_ms=%.6g report_p50_flood_ms=%.6g report_p99_flood_ms=%.6g "
      "ack_p50_quiet_ms=%.6g ack_p99_quiet_ms=%.6g ack_p50_flood_ms=%.6g ack_p99_flood_ms=%.6g "
      "fakes_taken=%zu fakes_dropped=%zu fakes_at_others=%zu relay_rate_limited=%lld runs=1 "
      "durability=fsync tls=1\n",
      plan.fakes, qr.p50, qr.p99, fr.p50, fr.p99, qa.p50, qa.p99, fa.p50, fa.p99, taken,
      fakes.size() - std::min(taken, fakes.size()), reached_others,
      static_cast<long long>(limited));
  const bool ok =
      reached_others == 0 && taken <= static_cast<std::size_t>(2 * plan.reports) &&
      quiet.missing_reports + quiet.missing_acks + flooded.missing_reports + flooded.missing_acks ==
          0;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tocsin::bench

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  CLI::App app{"A fake-report flood into an alert tree over the real relay"};
  tocsin::bench::Plan plan;
  app.add_option("--fakes", plan.fakes, "fake reports from the hostile member")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--responders", plan.responders, "responders (they report and ack)")
      ->check(CLI::Range(1, 100));
  app.add_option("--reports", plan.reports, "legitimate reports per responder and phase")
      ->check(CLI::Range(1, 1000));
  app.add_option("--alerts", plan.alerts, "alerts per phase")->check(CLI::Range(0, 1000));
  app.add_option("--gap", plan.gap_ms, "ms between legitimate reports")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  return tocsin::bench::Run(plan);
}
