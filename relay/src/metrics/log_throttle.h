// LogThrottle: one log line per interval for a failure that can repeat thousands of
// times a second (a full disk fails every commit, a descriptor shortage every accept),
// so the log says what is wrong without drowning the journal.
//
// Usage:
//   static LogThrottle throttle(std::chrono::seconds(10));
//   if (std::uint64_t n = throttle.Note()) spdlog::warn("accept failed ({} times)", n);
//
// Thread-safety: Note may be called from any thread.
#ifndef TOCSIN_RELAY_METRICS_LOG_THROTTLE_H_
#define TOCSIN_RELAY_METRICS_LOG_THROTTLE_H_

#include <chrono>
#include <cstdint>
#include <mutex>

namespace tocsin::relay {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(Clock::duration interval) : interval_(interval) {}

  // Counts one occurrence. Returns how many occurred since the last line (this one
  // included) when a line is due now, else 0. The first occurrence is always logged.
  std::uint64_t Note(Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    ++pending_;
    if (logged_once_ && now - last_ < interval_) return 0;
    logged_once_ = true;
    last_ = now;
    const std::uint64_t n = pending_;
    pending_ = 0;
    return n;
  }

 private:
  const Clock::duration interval_;
  std::mutex mutex_;
  bool logged_once_ = false;
  Clock::time_point last_{};
  std::uint64_t pending_ = 0;
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_METRICS_LOG_THROTTLE_H_
