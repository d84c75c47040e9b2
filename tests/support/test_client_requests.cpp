// TestClient's typed request helpers.
#include "test_client.h"

namespace tocsin::testing {

Result<wire::Response> TestClient::Expect(wire::Request request, wire::Response::BodyCase body) {
  Result<wire::Response> response = Call(std::move(request));
  if (!response.ok()) return response.status();
  if (response->has_error() && response->error().code() != wire::OK) {
    return ErrorStatus(response->error());
  }
  if (response->body_case() != body) return Status::Internal("unexpected response body");
  return response;
}

Result<wire::HelloOk> TestClient::Hello(wire::ConnectionKind kind, std::uint32_t version) {
  wire::Request r;
  r.mutable_hello()->set_version(version);
  r.mutable_hello()->set_kind(kind);
  auto response = Expect(std::move(r), wire::Response::kHello);
  if (!response.ok()) return response.status();
  nonce_ = response->hello().server_nonce();
  return response->hello();
}

Result<std::string> TestClient::CreateMailbox(const std::string& invite, const AuthKeyPair& key) {
  wire::Request r;
  auto* m = r.mutable_create_mailbox();
  m->set_invite(invite);
  m->set_auth_public_key(key.public_key);
  m->set_signature(key.Sign(CreateMailboxMessage(nonce_, key.public_key)));
  auto response = Expect(std::move(r), wire::Response::kMailboxCreated);
  if (!response.ok()) return response.status();
  return response->mailbox_created().mailbox_id();
}

Result<wire::Authenticated> TestClient::Authenticate(const std::string& mailbox,
                                                     const AuthKeyPair& key) {
  wire::Request r;
  r.mutable_authenticate()->set_mailbox_id(mailbox);
  r.mutable_authenticate()->set_signature(key.Sign(AuthMessage(nonce_, mailbox)));
  auto response = Expect(std::move(r), wire::Response::kAuthenticated);
  if (!response.ok()) return response.status();
  return response->authenticated();
}

Result<wire::Subscribed> TestClient::Subscribe(const std::string& mailbox, std::uint32_t window) {
  wire::Request r;
  r.mutable_subscribe()->set_mailbox_id(mailbox);
  r.mutable_subscribe()->set_window(window);
  auto response = Expect(std::move(r), wire::Response::kSubscribed);
  if (!response.ok()) return response.status();
  return response->subscribed();
}

Result<std::uint32_t> TestClient::Ack(const std::string& mailbox,
                                      const std::vector<std::uint64_t>& seqs) {
  wire::Request r;
  r.mutable_ack()->set_mailbox_id(mailbox);
  for (std::uint64_t s : seqs) r.mutable_ack()->add_seqs(s);
  auto response = Expect(std::move(r), wire::Response::kAcked);
  if (!response.ok()) return response.status();
  return response->acked().deleted();
}

Result<std::uint32_t> TestClient::SetToken(const std::string& mailbox, wire::TokenClass token_class,
                                           const std::string& token, std::uint32_t ttl_seconds) {
  wire::Request r;
  r.mutable_set_tokens()->set_mailbox_id(mailbox);
  auto* t = r.mutable_set_tokens()->add_tokens();
  t->set_token_class(token_class);
  t->set_token_hash(TokenHash(token));
  t->set_ttl_seconds(ttl_seconds);
  auto response = Expect(std::move(r), wire::Response::kTokensSet);
  if (!response.ok()) return response.status();
  return response->tokens_set().count();
}

Result<std::uint64_t> TestClient::RotateToken(const std::string& mailbox,
                                              const std::string& old_token,
                                              wire::TokenClass token_class,
                                              const std::string& new_token,
                                              std::optional<std::uint32_t> grace_seconds) {
  wire::Request r;
  auto* m = r.mutable_rotate_token();
  m->set_mailbox_id(mailbox);
  m->set_old_token_hash(TokenHash(old_token));
  m->mutable_new_token()->set_token_class(token_class);
  m->mutable_new_token()->set_token_hash(TokenHash(new_token));
  if (grace_seconds) m->set_grace_seconds(*grace_seconds);
  auto response = Expect(std::move(r), wire::Response::kTokenRotated);
  if (!response.ok()) return response.status();
  return response->token_rotated().old_valid_until_ms();
}

Status TestClient::Send(const std::string& mailbox, const std::string& token,
                        const std::string& envelope, std::uint32_t ttl_seconds) {
  wire::Request r;
  r.mutable_send()->set_mailbox_id(mailbox);
  r.mutable_send()->set_token(token);
  r.mutable_send()->set_envelope(envelope);
  r.mutable_send()->set_ttl_seconds(ttl_seconds);
  auto response = Expect(std::move(r), wire::Response::kStored);
  return response.ok() ? Status::Ok() : response.status();
}

Result<std::string> TestClient::PutBlob(const std::string& blob, std::uint32_t ttl_seconds) {
  wire::Request r;
  r.mutable_put_blob()->set_blob(blob);
  r.mutable_put_blob()->set_ttl_seconds(ttl_seconds);
  auto response = Expect(std::move(r), wire::Response::kBlobStored);
  if (!response.ok()) return response.status();
  return response->blob_stored().handle();
}

Result<wire::ViewsResult> TestClient::SendViews(const std::string& handle,
                                                const std::vector<wire::View>& views) {
  wire::Request r;
  r.mutable_send_views()->set_handle(handle);
  for (const wire::View& v : views) *r.mutable_send_views()->add_views() = v;
  auto response = Expect(std::move(r), wire::Response::kViewsResult);
  if (!response.ok()) return response.status();
  return response->views_result();
}

Result<std::uint32_t> TestClient::PutPrekeys(const wire::PutPrekeys& prekeys) {
  wire::Request r;
  *r.mutable_put_prekeys() = prekeys;
  auto response = Expect(std::move(r), wire::Response::kPrekeysStored);
  if (!response.ok()) return response.status();
  return response->prekeys_stored().one_time_prekeys_left();
}

Result<wire::PrekeyBundle> TestClient::GetPrekeyBundle(const std::string& mailbox,
                                                       const std::string& token) {
  wire::Request r;
  r.mutable_get_prekey_bundle()->set_mailbox_id(mailbox);
  r.mutable_get_prekey_bundle()->set_token(token);
  auto response = Expect(std::move(r), wire::Response::kPrekeyBundle);
  if (!response.ok()) return response.status();
  return response->prekey_bundle();
}

Status TestClient::DeleteMailbox(const std::string& mailbox) {
  wire::Request r;
  r.mutable_delete_mailbox()->set_mailbox_id(mailbox);
  auto response = Expect(std::move(r), wire::Response::kMailboxDeleted);
  return response.ok() ? Status::Ok() : response.status();
}

Status TestClient::Ping() {
  wire::Request r;
  r.mutable_ping();
  auto response = Expect(std::move(r), wire::Response::kPong);
  return response.ok() ? Status::Ok() : response.status();
}

}  // namespace tocsin::testing
