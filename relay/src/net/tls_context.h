// The server's TLS context (proto/SPEC.md section 2): TLS 1.3 only, the relay's
// Ed25519 certificate, no automatic session tickets (an owner connection asks for one
// after its Hello), and buffers released while a connection is idle.
#ifndef TOCSIN_RELAY_NET_TLS_CONTEXT_H_
#define TOCSIN_RELAY_NET_TLS_CONTEXT_H_

#include <openssl/ssl.h>

#include <memory>

#include "net/identity.h"

namespace tocsin::relay {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

Result<SslCtxPtr> MakeServerTlsContext(const Identity& identity);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_NET_TLS_CONTEXT_H_
