#include "core/events.h"

#include <algorithm>

namespace tocsin::core {

EventDispatcher::EventDispatcher() : thread_([this] { Run(); }) {}

EventDispatcher::~EventDispatcher() { Stop(); }

void EventDispatcher::Push(Event event) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(std::move(event));
  changed_.notify_all();
}

void EventDispatcher::Forget(const std::set<EventId>& ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::erase_if(queue_, [&](const Event& e) { return e.id != 0 && ids.count(e.id) != 0; });
}

void EventDispatcher::SetHandler(std::function<void(const Event&)> handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  handler_ = std::move(handler);
  changed_.notify_all();
}

std::optional<Event> EventDispatcher::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, timeout,
                         [&] { return stopping_ || (!handler_ && !queue_.empty()); })) {
    return std::nullopt;
  }
  if (stopping_ || handler_ || queue_.empty()) return std::nullopt;
  Event event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

void EventDispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable() && !OnDispatchThread()) thread_.join();
}

void EventDispatcher::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || (handler_ && !queue_.empty()); });
    if (stopping_) return;
    Event event = std::move(queue_.front());
    queue_.pop_front();
    auto handler = handler_;
    lock.unlock();
    try {
      handler(event);
    } catch (...) {
      // An exception must not end the thread; the event stays stored until Done.
    }
    lock.lock();
  }
}

}  // namespace tocsin::core
