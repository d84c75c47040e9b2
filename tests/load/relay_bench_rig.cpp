#include "relay_bench_rig.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace tocsin::bench {

void CpuMeter::Start() {
  relay_start_ = ProcessCpuMs(relay_);
  client_start_ = SelfCpuMs();
}

void CpuMeter::Stop() {
  relay_ms_ = ProcessCpuMs(relay_) - relay_start_;
  client_ms_ = SelfCpuMs() - client_start_;
}

Rig::Rig(const BenchOptions& options, testing::ConfigOverrides defaults)
    : relay([&] {
        for (const auto& [key, value] : options.relay_settings) defaults[key] = value;
        return defaults;
      }()),
      endpoint(asio::ip::address_v4::loopback(), 0),
      cpu_(0) {
  if (!relay.init_status().ok() || !relay.Start(std::chrono::minutes(5)).ok()) {
    std::cerr << "relay did not start: " << relay.init_status().ToString() << "\n" << relay.Log();
    std::exit(1);
  }
  endpoint.port(relay.port());
  cpu_ = CpuMeter(relay.pid());
}

Rig::~Rig() {
  receivers_.Stop();
  conns.clear();
  relay.Terminate(std::chrono::minutes(2));
}

BenchConn& Rig::NewConn() {
  conns.push_back(std::make_unique<BenchConn>(io, tls));
  return *conns.back();
}

BenchConn& Rig::NewReceiverConn(int thread) {
  conns.push_back(
      std::make_unique<BenchConn>(receivers_.at(static_cast<std::size_t>(thread)), tls));
  return *conns.back();
}

void Rig::OnEnded(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    if (failures.fetch_add(1) < 3) std::cerr << "connection failed: " << ex.what() << "\n";
  }
}

awaitable<void> Rig::Sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(io, d);
  co_await t.async_wait(use_awaitable);
}

bool Rig::RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto until = Clock::now() + limit;
  while (!done() && Clock::now() < until) {
    if (io.stopped()) io.restart();  // it stops whenever it runs out of work
    io.run_for(std::chrono::milliseconds(1));
  }
  return done();
}

void Rig::Callgrind(const char* what) const {
  if (std::getenv("TOCSIN_BENCH_CALLGRIND") == nullptr) return;
  const std::string command =
      "callgrind_control " + std::string(what) + " " + std::to_string(relay.pid()) + " >/dev/null";
  if (std::system(command.c_str()) != 0) std::cerr << "callgrind_control failed\n";
}

void Rig::BeginMeasure() {
  Callgrind("-i on");
  cpu_.Start();
}

void Rig::EndMeasure() {
  cpu_.Stop();
  Callgrind("-i off");
}

wire::Request Hello(wire::ConnectionKind kind) {
  wire::Request r;
  r.mutable_hello()->set_version(1);
  r.mutable_hello()->set_kind(kind);
  return r;
}

void PrintResult(const Figure& figure) {
  std::printf("RESULT system=tocsin scenario=%s n=%d", figure.scenario.c_str(), figure.n);
  for (const auto& [key, value] : figure.values) std::printf(" %s=%.6g", key.c_str(), value);
  std::printf(" runs=%d%s tls=1\n", figure.runs, figure.has_durability ? " durability=fsync" : "");
  std::fflush(stdout);
}

void PrintCpu(const std::string& what, double wall_ms, const CpuMeter& cpu, double per) {
  std::printf("  %s: wall %.1f ms, relay CPU %.1f ms, client CPU %.1f ms (load average %.1f)\n",
              what.c_str(), wall_ms / per, cpu.relay_ms() / per, cpu.client_ms() / per,
              LoadAverage());
}

}  // namespace tocsin::bench
