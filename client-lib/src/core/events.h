// EventDispatcher: hands events to the application, on a thread of its own, so that a
// callback may call back into the client without blocking the worker.
//
// Events come from the inbox once committed (and all stored ones at Open); each is
// handed out once per session: to the handler if one is set, else to WaitEvent.
//
// Thread-safety: every method may be called from any thread.
#ifndef TOCSIN_CORE_EVENTS_H_
#define TOCSIN_CORE_EVENTS_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "tocsin/types.h"

namespace tocsin::core {

class EventDispatcher {
 public:
  EventDispatcher();
  // Stops the thread; events not handed out are dropped (they stay stored).
  ~EventDispatcher();
  EventDispatcher(const EventDispatcher&) = delete;
  EventDispatcher& operator=(const EventDispatcher&) = delete;

  void Push(Event event);
  // Drops queued events with these ids (purged content).
  void Forget(const std::set<EventId>& ids);
  void SetHandler(std::function<void(const Event&)> handler);
  std::optional<Event> Wait(std::chrono::milliseconds timeout);
  // Stops handing out events; waits for a running handler to return.
  // REQUIRES: not called from the handler.
  void Stop();
  bool OnDispatchThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Event> queue_;                    // GUARDED_BY(mutex_)
  std::function<void(const Event&)> handler_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;                      // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_EVENTS_H_
