// When each message of a fan-out reached its receivers: counted from any receiver thread,
// the first and the n-th arrival stamp their time (tocsin_relay_bench and the peers'
// fan-outs).
//
// Thread-safety: Arrived from any thread; the readers see a message's times once
// Complete says so.
#ifndef TOCSIN_TESTS_LOAD_PEERS_ARRIVALS_H_
#define TOCSIN_TESTS_LOAD_PEERS_ARRIVALS_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <vector>

namespace tocsin::peers {

class FanOutArrivals {
 public:
  using Clock = std::chrono::steady_clock;

  // `messages` messages, numbered from 0, each to `receivers` receivers.
  FanOutArrivals(std::size_t messages, int receivers) : receivers_(receivers), each_(messages) {}

  std::size_t messages() const { return each_.size(); }
  // One receiver got message `m`; numbers out of range are ignored.
  void Arrived(std::size_t m) {
    if (m >= each_.size()) return;
    Message& e = each_[m];
    const Clock::rep now = Clock::now().time_since_epoch().count();
    const int before = e.count.fetch_add(1);
    if (before == 0) e.first = now;
    if (before + 1 == receivers_) e.last = now;
  }
  // Every receiver got message `m`.
  bool Complete(std::size_t m) const { return each_[m].last.load() != 0; }
  int Count(std::size_t m) const { return each_[m].count.load(); }
  Clock::time_point First(std::size_t m) const { return At(each_[m].first); }
  // REQUIRES: Complete(m).
  Clock::time_point Last(std::size_t m) const { return At(each_[m].last); }

 private:
  struct Message {
    std::atomic<int> count = 0;
    std::atomic<Clock::rep> first = 0;
    std::atomic<Clock::rep> last = 0;  // set by the last receiver's arrival
  };
  static Clock::time_point At(const std::atomic<Clock::rep>& t) {
    return Clock::time_point(Clock::duration(t.load()));
  }

  const int receivers_;
  std::vector<Message> each_;
};

}  // namespace tocsin::peers

#endif  // TOCSIN_TESTS_LOAD_PEERS_ARRIVALS_H_
