// The real Transport: net::RelayPool (client-lib/src/net/relay_pool.h) on the client's
// network io_context.
#ifndef TOCSIN_CORE_POOL_TRANSPORT_H_
#define TOCSIN_CORE_POOL_TRANSPORT_H_

#include <asio/io_context.hpp>
#include <memory>

#include "core/transport.h"
#include "crypto/random.h"
#include "tocsin/types.h"

namespace tocsin::core {

// A RelayPool with the client's options. nullptr when the library was built without
// its network layer.
// REQUIRES: the result is destroyed on `net`'s thread or after `net` stopped running.
std::unique_ptr<Transport> MakePoolTransport(asio::io_context& net, const ClientOptions& options,
                                             crypto::Rng& rng);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_POOL_TRANSPORT_H_
