// Asio io_contexts, each run by a thread of its own until Stop(): the fan-out's receivers
// of tocsin_relay_bench and tocsin_redis_bench spread over them (peers/README.md).
//
// Thread-safety: Start and Stop from one thread; each io_context is then used as Asio
// allows (posting from any thread, handlers on its own thread).
#ifndef TOCSIN_TESTS_LOAD_PEERS_IO_THREADS_H_
#define TOCSIN_TESTS_LOAD_PEERS_IO_THREADS_H_

#include <asio.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace tocsin::peers {

class IoThreads {
 public:
  IoThreads() = default;
  ~IoThreads() { Stop(); }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  // Adds `count` io_contexts, each running on a new thread.
  void Start(int count) {
    for (int i = 0; i < count; ++i) {
      contexts_.push_back(std::make_unique<asio::io_context>(1));
      asio::io_context& io = *contexts_.back();
      threads_.emplace_back([&io] {
        auto work = asio::make_work_guard(io);
        io.run();
      });
    }
  }
  // Stops every io_context and joins its thread; their handlers are destroyed with them.
  void Stop() {
    for (auto& io : contexts_) io->stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  std::size_t size() const { return contexts_.size(); }
  asio::io_context& at(std::size_t i) { return *contexts_[i]; }

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<std::thread> threads_;
};

}  // namespace tocsin::peers

#endif  // TOCSIN_TESTS_LOAD_PEERS_IO_THREADS_H_
