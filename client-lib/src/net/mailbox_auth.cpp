#include "net/mailbox_auth.h"

#include <sodium.h>

#include <cstring>

namespace tocsin::net {
namespace {

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

AuthKeyPair AuthKeyPair::Generate() {
  AuthKeyPair key;
  key.secret_key = crypto::SecretBytes(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(key.public_key.data(), key.secret_key.data());
  return key;
}

std::string AuthSignedBytes(std::string_view server_nonce, const MailboxId& mailbox) {
  std::string out(kAuthLabel);
  out.append(server_nonce);
  out.append(AsBytes(mailbox));
  return out;
}

std::string CreateMailboxSignedBytes(std::string_view server_nonce,
                                     const std::array<std::uint8_t, 32>& auth_public_key) {
  std::string out(kCreateMailboxLabel);
  out.append(server_nonce);
  out.append(reinterpret_cast<const char*>(auth_public_key.data()), auth_public_key.size());
  return out;
}

std::string Sign(const AuthKeyPair& key, std::string_view message) {
  std::string signature(crypto_sign_BYTES, '\0');
  if (key.secret_key.size() != crypto_sign_SECRETKEYBYTES) return signature;  // relay refuses
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr, Bytes(message),
                       message.size(), key.secret_key.data());
  return signature;
}

AuthKeyPair CopyKey(const AuthKeyPair& key) {
  AuthKeyPair copy;
  copy.public_key = key.public_key;
  copy.secret_key = crypto::SecretBytes::CopyOf(key.secret_key.span());
  return copy;
}

wire::Request MakeAuthenticate(const MailboxId& mailbox, const AuthKeyPair& key,
                               std::string_view server_nonce) {
  wire::Request request;
  wire::Authenticate* auth = request.mutable_authenticate();
  auth->set_mailbox_id(std::string(AsBytes(mailbox)));
  auth->set_signature(Sign(key, AuthSignedBytes(server_nonce, mailbox)));
  return request;
}

wire::Request MakeCreateMailbox(std::string_view invite_bytes, const AuthKeyPair& key,
                                std::string_view server_nonce) {
  wire::Request request;
  wire::CreateMailbox* create = request.mutable_create_mailbox();
  create->set_invite(std::string(invite_bytes));
  create->set_auth_public_key(
      std::string(reinterpret_cast<const char*>(key.public_key.data()), key.public_key.size()));
  create->set_signature(Sign(key, CreateMailboxSignedBytes(server_nonce, key.public_key)));
  return request;
}

Result<std::string> InviteBytes(std::string_view invite) {
  if (invite.size() == kInviteBytes) return std::string(invite);
  Result<std::vector<std::uint8_t>> decoded = Base32Decode(invite);
  if (!decoded.ok() || decoded->size() != kInviteBytes) {
    return Status::InvalidArgument("an invite is 26 base32 characters");
  }
  return std::string(decoded->begin(), decoded->end());
}

Result<MailboxId> MailboxIdFrom(std::string_view bytes) {
  MailboxId id{};
  if (bytes.size() != id.size()) return Status::BadFrame("relay sent a mailbox id of a wrong size");
  std::memcpy(id.data(), bytes.data(), id.size());
  return id;
}

}  // namespace tocsin::net
