#include "net/tls_client.h"

#include <exception>
#include <string>

#include "net/tls_pin.h"

namespace tocsin::net {
namespace {

int TicketSlotIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's new-session callback. The session is copied: the original stays with its
// connection, whose abrupt end (a relay killed) would otherwise mark it not resumable.
int OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<SslSessionPtr*>(SSL_get_ex_data(ssl, TicketSlotIndex()));
  if (slot == nullptr) return 0;
  SSL_SESSION* copy = SSL_SESSION_dup(session);
  if (copy != nullptr && SSL_SESSION_is_resumable(copy) == 1) {
    *slot = SslSessionPtr(copy, SSL_SESSION_free);
  } else {
    SSL_SESSION_free(copy);
  }
  return 0;  // the callback kept no reference of its own
}

Status Configure(SSL_CTX* ctx, bool keep_tickets) {
  TOCSIN_RETURN_IF_ERROR(RestrictToTls13(ctx));
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (keep_tickets) {
    // The client cache is only the callback: nothing is kept inside OpenSSL.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, OnNewSession);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  return Status::Ok();
}

}  // namespace

ClientTls::ClientTls()
    : owner(asio::ssl::context::tls_client), send(asio::ssl::context::tls_client) {}

Result<std::unique_ptr<ClientTls>> MakeClientTls() {
  std::unique_ptr<ClientTls> tls;
  try {
    tls = std::make_unique<ClientTls>();
  } catch (const std::exception& e) {  // asio::ssl::context throws when SSL_CTX_new fails
    return Status::Internal(std::string("cannot create a TLS context: ") + e.what());
  }
  TOCSIN_RETURN_IF_ERROR(Configure(tls->owner.native_handle(), true));
  TOCSIN_RETURN_IF_ERROR(Configure(tls->send.native_handle(), false));
  return tls;
}

void SetTicketSlot(SSL* ssl, SslSessionPtr* slot) { SSL_set_ex_data(ssl, TicketSlotIndex(), slot); }

}  // namespace tocsin::net
