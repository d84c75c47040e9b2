// Mailbox auth against SPEC.md's vectors: the signed bytes and signatures of
// Authenticate and CreateMailbox; invites in text and bytes; relay errors as Status.
#include <sodium.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "net/mailbox_auth.h"
#include "net/relay_errors.h"
#include "relay_vectors.h"
#include "test_bytes.h"

namespace tocsin::net::testing {
namespace {

using tocsin::testing::ToHex;

AuthKeyPair KeyFromSeed(const std::string& seed) {
  AuthKeyPair key;
  key.secret_key = crypto::SecretBytes(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(key.public_key.data(), key.secret_key.data(),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return key;
}

TEST_CASE("Authenticate signs SPEC.md's bytes as in the auth vectors", "[net][auth]") {
  const std::vector<VectorBlock> cases = RelayVectors("auth");
  REQUIRE_FALSE(cases.empty());
  for (const VectorBlock& v : cases) {
    const AuthKeyPair key = KeyFromSeed(v.Raw("seed"));
    CHECK(ToHex(key.public_key) == ToHex(v.Get("public_key")));
    MailboxId mailbox{};
    const std::string id = v.Raw("mailbox_id");
    std::memcpy(mailbox.data(), id.data(), mailbox.size());
    const std::string nonce = v.Raw("server_nonce");
    CHECK(ToHex(AuthSignedBytes(nonce, mailbox)) == ToHex(v.Get("signed")));
    const wire::Request request = MakeAuthenticate(mailbox, key, nonce);
    CHECK(request.authenticate().mailbox_id() == id);
    CHECK(ToHex(request.authenticate().signature()) == ToHex(v.Get("signature")));
  }
}

TEST_CASE("CreateMailbox signs SPEC.md's bytes as in the create_mailbox vectors", "[net][auth]") {
  const std::vector<VectorBlock> cases = RelayVectors("create_mailbox");
  REQUIRE_FALSE(cases.empty());
  for (const VectorBlock& v : cases) {
    const AuthKeyPair key = KeyFromSeed(v.Raw("seed"));
    const std::string nonce = v.Raw("server_nonce");
    CHECK(ToHex(CreateMailboxSignedBytes(nonce, key.public_key)) == ToHex(v.Get("signed")));
    const wire::Request request = MakeCreateMailbox(std::string(16, 'i'), key, nonce);
    CHECK(ToHex(request.create_mailbox().auth_public_key()) == ToHex(v.Get("public_key")));
    CHECK(ToHex(request.create_mailbox().signature()) == ToHex(v.Get("signature")));
    CHECK(request.create_mailbox().invite() == std::string(16, 'i'));
  }
}

TEST_CASE("invites are read from their text (either case) or their bytes", "[net][auth]") {
  for (const VectorBlock& v : RelayVectors("invite")) {
    const std::string bytes = v.Raw("invite");
    std::string text = v.Text("invite_text");
    CHECK(*InviteBytes(text) == bytes);
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(*InviteBytes(text) == bytes);
    CHECK(*InviteBytes(bytes) == bytes);
  }
  CHECK(InviteBytes("qdhzk4knz557dvmisb6zxve5x").status().code() == Code::kInvalidArgument);
  CHECK(InviteBytes("qdhzk4knz557dvmisb6zxve5x1").status().code() == Code::kInvalidArgument);
  CHECK(InviteBytes("").status().code() == Code::kInvalidArgument);
}

TEST_CASE("generated auth keys sign what their public key verifies", "[net][auth]") {
  const AuthKeyPair key = AuthKeyPair::Generate();
  REQUIRE(key.secret_key.size() == crypto_sign_SECRETKEYBYTES);
  const AuthKeyPair copy = CopyKey(key);
  CHECK(copy.public_key == key.public_key);
  CHECK(copy.secret_key.Equals(key.secret_key.span()));
  const std::string signature = Sign(copy, "message");
  CHECK(crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                    reinterpret_cast<const unsigned char*>("message"), 7,
                                    key.public_key.data()) == 0);
}

TEST_CASE("relay errors become the Status of the same code", "[net][errors]") {
  wire::Error error;
  error.set_code(wire::QUOTA_EXCEEDED);
  error.set_message("queue full");
  Status s = StatusFromError(error);
  CHECK(s.code() == Code::kQuotaExceeded);
  CHECK(s.message() == "queue full");
  for (int c = 1; c <= 11; ++c) {
    error.set_code(static_cast<wire::ErrorCode>(c));
    CHECK(static_cast<int>(StatusFromError(error).code()) == c);
  }
  error.set_code(static_cast<wire::ErrorCode>(42));  // a code from a newer relay
  CHECK(StatusFromError(error).code() == Code::kInternal);
  error.set_code(wire::RATE_LIMITED);
  error.set_retry_after_ms(250);
  CHECK(StatusFromError(error).message().find("retry after 250 ms") != std::string::npos);

  wire::Response response;
  response.mutable_stored();
  CHECK(CheckAnswer(response, wire::Response::kStored).ok());
  CHECK(CheckAnswer(response, wire::Response::kPong).code() == Code::kBadFrame);
  response.mutable_error()->set_code(wire::OK);
  CHECK(CheckAnswer(response, wire::Response::kStored).ok());
  *response.mutable_error() = error;
  CHECK(CheckAnswer(response, wire::Response::kStored).code() == Code::kRateLimited);
}

}  // namespace
}  // namespace tocsin::net::testing
