// TestClient: a synchronous relay client for tests and benchmarks. It speaks the real
// protocol over TLS 1.3 and checks the relay's pin (SHA-256 of the certificate's SPKI)
// in its verify callback, like a real client.
//
// Every call blocks until it is answered or its deadline passes (a timed-out call
// returns kUnavailable "timed out" and the connection stays usable: nothing is
// cancelled, a late answer is simply read later). Pushes that arrive while waiting for
// a response are kept for NextDelivery(). Ids, tokens and handles are byte strings.
//
// Usage:
//   auto owner = TestClient::Connect(relay.address());            // Result<unique_ptr>
//   (*owner)->Hello(tocsin::wire::OWNER);
//   AuthKeyPair key = AuthKeyPair::Generate();
//   auto mailbox = (*owner)->CreateMailbox(relay.CreateInvite(), key);
//   std::string token = RandomToken();
//   (*owner)->SetToken(*mailbox, tocsin::wire::CONTACT, token);
//   (*owner)->Subscribe(*mailbox);
//   auto sender = TestClient::Connect(relay.address()); (*sender)->Hello(tocsin::wire::SEND);
//   (*sender)->Send(*mailbox, token, "sealed bytes");
//   auto delivery = (*owner)->NextDelivery();   // Result<wire::Delivery>
//   (*owner)->Ack(*mailbox, {delivery->seq()});
//
// Thread-safety: one thread per TestClient (each has its own io_context).
#ifndef TOCSIN_TESTS_SUPPORT_TEST_CLIENT_H_
#define TOCSIN_TESTS_SUPPORT_TEST_CLIENT_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "tocsin/relay.pb.h"
#include "tocsin/relay_address.h"
#include "tocsin/status.h"

namespace tocsin::testing {

using std::chrono::milliseconds;
inline constexpr milliseconds kDefaultTimeout{60000};

// An Ed25519 mailbox auth key (libsodium).
struct AuthKeyPair {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 64 bytes
  static AuthKeyPair Generate();
  std::string Sign(const std::string& message) const;  // 64-byte detached signature
};

std::string RandomBytes(std::size_t n);
// A random 16-byte delivery token, and its BLAKE2b-256 hash as SetTokens carries it.
std::string RandomToken();
std::string TokenHash(const std::string& token);

// The signed bytes of Authenticate / CreateMailbox (proto/SPEC.md section 6).
std::string AuthMessage(const std::string& nonce, const std::string& mailbox_id);
std::string CreateMailboxMessage(const std::string& nonce, const std::string& auth_key);

// A Status for an answered error (its code and message).
Status ErrorStatus(const wire::Error& error);

// A TLS session to resume (owner connections get a ticket after Hello).
using TlsSession = std::shared_ptr<SSL_SESSION>;

class TestClient {
 public:
  // `resume`: offer this TLS session (a ticket from an earlier connection).
  // `tls_version`: the only TLS version offered (TLS1_2_VERSION to test a refusal).
  static Result<std::unique_ptr<TestClient>> Connect(const RelayAddress& address,
                                                     milliseconds timeout = kDefaultTimeout,
                                                     TlsSession resume = nullptr,
                                                     int tls_version = TLS1_3_VERSION);
  // The TLS session as it stands (it holds a ticket once one was received), and
  // whether this connection resumed an earlier one.
  TlsSession Session() const;
  bool Resumed() const;
  // SHA-256 of the SubjectPublicKeyInfo of the certificate the relay presented in this
  // connection's handshake (what the pin check compared).
  Pin PeerPin() const;
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // Hello of `kind`; keeps the server nonce.
  Result<wire::HelloOk> Hello(wire::ConnectionKind kind, std::uint32_t version = 1);
  const std::string& server_nonce() const { return nonce_; }

  // Sends `request` (a fresh id unless one is set) and returns its response, whatever
  // it says. Errors here are transport errors only.
  Result<wire::Response> Call(wire::Request request, milliseconds timeout = kDefaultTimeout);
  // Sends without waiting; returns the id used.
  Result<std::uint64_t> SendRequest(wire::Request request);
  Result<wire::Response> WaitResponse(std::uint64_t id, milliseconds timeout = kDefaultTimeout);

  // Typed helpers: an answered error comes back as a Status with its wire code.
  Result<std::string> CreateMailbox(const std::string& invite, const AuthKeyPair& key);
  Result<wire::Authenticated> Authenticate(const std::string& mailbox, const AuthKeyPair& key);
  Result<wire::Subscribed> Subscribe(const std::string& mailbox, std::uint32_t window = 0);
  Result<std::uint32_t> Ack(const std::string& mailbox, const std::vector<std::uint64_t>& seqs);
  Result<std::uint32_t> SetToken(const std::string& mailbox, wire::TokenClass token_class,
                                 const std::string& token, std::uint32_t ttl_seconds = 0);
  Result<std::uint64_t> RotateToken(const std::string& mailbox, const std::string& old_token,
                                    wire::TokenClass token_class, const std::string& new_token,
                                    std::optional<std::uint32_t> grace_seconds);
  Status Send(const std::string& mailbox, const std::string& token, const std::string& envelope,
              std::uint32_t ttl_seconds = 0);
  Result<std::string> PutBlob(const std::string& blob, std::uint32_t ttl_seconds = 0);
  Result<wire::ViewsResult> SendViews(const std::string& handle,
                                      const std::vector<wire::View>& views);
  Result<std::uint32_t> PutPrekeys(const wire::PutPrekeys& prekeys);
  Result<wire::PrekeyBundle> GetPrekeyBundle(const std::string& mailbox, const std::string& token);
  Status DeleteMailbox(const std::string& mailbox);
  Status Ping();

  // The next Delivery push; kUnavailable "timed out" when none came in time.
  Result<wire::Delivery> NextDelivery(milliseconds timeout = kDefaultTimeout);
  // True when no Delivery arrives within `quiet`.
  bool NoDeliveryWithin(milliseconds quiet);

  // Raw access for malformed-input tests.
  Status WriteRaw(const std::string& bytes);     // inside TLS
  Status WriteRawTcp(const std::string& bytes);  // under TLS, on the socket itself
  Result<wire::Frame> ReadFrame(milliseconds timeout = kDefaultTimeout);
  // True once the relay has closed the connection (within `timeout`); frames that
  // arrive first are kept.
  bool WaitClosed(milliseconds timeout = kDefaultTimeout);

 private:
  struct Impl;
  explicit TestClient(std::unique_ptr<Impl> impl);
  Result<wire::Response> Expect(wire::Request request, wire::Response::BodyCase body);

  std::unique_ptr<Impl> impl_;
  std::string nonce_;
  std::uint64_t next_id_ = 1;
};

// Opens a plain TCP connection to 127.0.0.1:port, writes `bytes` and returns true when
// the relay closes the connection within `timeout` (what it must do with non-TLS input).
bool RelayClosesAfterRawBytes(std::uint16_t port, const std::string& bytes, milliseconds timeout);

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_SUPPORT_TEST_CLIENT_H_
