#include "relay_bench_rig.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace tocsin::bench {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double ProcessCpuMs(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::uint64_t RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

double LoadAverage() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

namespace {

double SelfCpuMs() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

}  // namespace

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
  conns.clear();
  relay.Terminate(std::chrono::minutes(2));
}

BenchConn& Rig::NewConn() {
  conns.push_back(std::make_unique<BenchConn>(io, tls));
  return *conns.back();
}

void Rig::OnEnded(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    if (++failures <= 3) std::cerr << "connection failed: " << ex.what() << "\n";
  }
}

awaitable<void> Rig::Sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(io, d);
  co_await t.async_wait(use_awaitable);
}

bool Rig::RunUntil(const std::function<bool()>& done, std::chrono::seconds limit) {
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
