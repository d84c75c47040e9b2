// The client's TLS 1.3 contexts (proto/SPEC.md section 2) and session tickets.
//
// Two contexts, so that the two connection kinds cannot share TLS state by accident:
// - owner: keeps the ticket a relay issues after an owner Hello (section 2.4), so the
//   next owner connection to that relay may resume;
// - send: no session cache at all; a send connection never offers a session.
// Neither verifies a chain: each connection checks its relay's pin (relay_connection.h).
//
// Thread-safety: a context is configured once, then only read by OpenSSL.
#ifndef TOCSIN_NET_TLS_CLIENT_H_
#define TOCSIN_NET_TLS_CLIENT_H_

#include <openssl/ssl.h>

#include <asio/ssl.hpp>
#include <memory>

#include "tocsin/status.h"

namespace tocsin::net {

// A resumable TLS session (one relay's ticket); freed with SSL_SESSION_free.
using SslSessionPtr = std::shared_ptr<SSL_SESSION>;

struct ClientTls {
  ClientTls();
  asio::ssl::context owner;
  asio::ssl::context send;
};

// Both contexts, TLS 1.3 only. kInternal when OpenSSL refuses a setting.
Result<std::unique_ptr<ClientTls>> MakeClientTls();

// Tickets that arrive on `ssl` (an owner connection on the owner context) are copied
// into *slot. REQUIRES: *slot outlives every read on `ssl`.
void SetTicketSlot(SSL* ssl, SslSessionPtr* slot);

}  // namespace tocsin::net

#endif  // TOCSIN_NET_TLS_CLIENT_H_
