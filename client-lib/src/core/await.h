// Coroutines on the client's worker: awaiting a callback-style operation (a Transport
// request), and running a coroutine to completion from another thread.
//
// The worker is one thread running an io_context; every coroutine of the core runs
// there, so core state needs no locks. A callback that arrives on another thread (the
// network's) resumes its coroutine on the worker. Rule: no store Batch is held across a
// co_await (batches are short and one at a time).
#ifndef TOCSIN_CORE_AWAIT_H_
#define TOCSIN_CORE_AWAIT_H_

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <utility>

#include "tocsin/status.h"

namespace tocsin::core {

template <typename T>
using Awaitable = asio::awaitable<T>;

// Calls start(callback) and suspends until the callback runs (on any thread), then
// resumes on the worker with its argument. `T` is what the callback receives (a Status
// or a Result<...>). If the callback is destroyed without being called (the network
// shut down), the coroutine is destroyed with it.
template <typename T, typename Start>
Awaitable<T> AwaitCallback(Start start) {
  auto executor = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(T)>(
      [executor, start = std::move(start)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start([executor, shared](T value) {
          asio::post(executor,
                     [shared, value = std::move(value)]() mutable { (*shared)(std::move(value)); });
        });
      },
      asio::use_awaitable);
}

}  // namespace tocsin::core

// TOCSIN_RETURN_IF_ERROR for coroutines.
#define TOCSIN_CO_RETURN_IF_ERROR(expr)                       \
  do {                                                        \
    ::tocsin::Status tocsin_co_status_ = (expr);              \
    if (!tocsin_co_status_.ok()) co_return tocsin_co_status_; \
  } while (0)

#endif  // TOCSIN_CORE_AWAIT_H_
