// FaultProxy: a TCP proxy on 127.0.0.1 in front of a relay that breaks connections on
// purpose. Each accepted connection gets a Cut from the plan: forward everything, or
// close both sides once a number of bytes has gone one way (inside the TLS handshake,
// inside a frame, or after the client's request went through but before the relay's
// answer came back).
//
// Thread-safety: the plan is called on the proxy's threads; counters are atomic.
#ifndef TOCSIN_TESTS_FAULTS_FAULT_PROXY_H_
#define TOCSIN_TESTS_FAULTS_FAULT_PROXY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace tocsin::testing {

struct Cut {
  // Close the connection once this many bytes went client -> relay (nullopt: never).
  std::optional<std::uint64_t> after_upstream_bytes;
  // Close it once this many bytes went relay -> client; the bytes after it are lost.
  std::optional<std::uint64_t> after_downstream_bytes;
};

class FaultProxy {
 public:
  // `plan(n)` decides the fate of the n-th connection (from 0).
  FaultProxy(std::uint16_t relay_port, std::function<Cut(int)> plan);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return port_; }
  // Closes every connection open now (new ones follow the plan).
  void BreakAll() { ++generation_; }
  int connections() const { return connections_; }
  int cuts() const { return cuts_; }  // connections closed by the plan

 private:
  void AcceptLoop();
  void Serve(int client, int n);

  const std::uint16_t relay_port_;
  const std::function<Cut(int)> plan_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> cuts_{0};
  std::atomic<int> generation_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;  // GUARDED_BY(mutex_)
};

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_FAULTS_FAULT_PROXY_H_
