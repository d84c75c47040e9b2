// The completion token of the relay's coroutines: `co_await op(kAsTuple)` answers a
// tuple whose first element is the error code, instead of throwing it.
#ifndef TOCSIN_RELAY_NET_AS_TUPLE_H_
#define TOCSIN_RELAY_NET_AS_TUPLE_H_

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace tocsin::relay {

inline constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_NET_AS_TUPLE_H_
