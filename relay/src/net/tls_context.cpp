#include "net/tls_context.h"

namespace tocsin::relay {

Result<SslCtxPtr> MakeServerTlsContext(const Identity& identity) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Status::Internal("SSL_CTX_new failed");
  SSL_CTX* c = ctx.get();
  if (SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) != 1) {
    return Status::Internal("cannot restrict TLS to 1.3");
  }
  if (SSL_CTX_use_certificate(c, identity.cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(c, identity.key.get()) != 1 || SSL_CTX_check_private_key(c) != 1) {
    return Status::Internal("cannot load the relay key and certificate into TLS");
  }
  // Send connections must not be linkable to owner connections: no tickets unless a
  // session asks for one (net/connection.cpp, after Hello kind OWNER).
  SSL_CTX_set_num_tickets(c, 0);
  // Idle connections hold no record buffers (~15 KiB instead of ~30 KiB each); writes
  // come from a buffer that may move between retries.
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  return ctx;
}

}  // namespace tocsin::relay
