// Shared steps of the tests that run the real relay: a started relay that runs `check`
// when the test ends, an owner with a mailbox and a token, a send connection.
#ifndef TOCSIN_TESTS_RELAY_SERVER_TEST_UTIL_H_
#define TOCSIN_TESTS_RELAY_SERVER_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "relay_process.h"
#include "test_client.h"

namespace tocsin::testing {

// `tocsin-relay check` must pass after every test (and may be asked for mid-test).
inline void RequireCheckPasses(const RelayProcess& relay) {
  CommandResult check = relay.RunCommand({"check"});
  INFO(check.output << check.errors);
  REQUIRE(check.exit_code == 0);
  REQUIRE(check.output.find("check passed") != std::string::npos);
}

// A relay for one test that runs `tocsin-relay check` when the test ends, serving or
// stopped, so that every server test ends with a consistent store. The check is skipped
// when the test is already failing (a REQUIRE threw): its report would only add noise.
class CheckedRelay {
 public:
  explicit CheckedRelay(std::unique_ptr<RelayProcess> relay) : relay_(std::move(relay)) {}
  CheckedRelay(CheckedRelay&&) = default;
  CheckedRelay& operator=(CheckedRelay&&) = delete;
  ~CheckedRelay() {
    if (!relay_ || std::uncaught_exceptions() > 0) return;
    CommandResult check = relay_->RunCommand({"check"});
    INFO("check at the end of the test: " << check.output << check.errors);
    CHECK(check.exit_code == 0);
    CHECK(check.output.find("check passed") != std::string::npos);
  }
  RelayProcess* operator->() const { return relay_.get(); }
  RelayProcess& operator*() const { return *relay_; }

 private:
  std::unique_ptr<RelayProcess> relay_;
};

// Makes a relay with `overrides` and starts it; `setup` may adjust it before the start.
inline CheckedRelay StartRelay(ConfigOverrides overrides = {},
                               const std::function<void(RelayProcess&)>& setup = nullptr) {
  auto relay = std::make_unique<RelayProcess>(std::move(overrides));
  REQUIRE(relay->init_status().ok());
  if (setup) setup(*relay);
  const Status started = relay->Start();
  INFO(started.ToString());
  REQUIRE(started.ok());
  return CheckedRelay(std::move(relay));
}

inline std::unique_ptr<TestClient> Connect(const RelayProcess& relay, wire::ConnectionKind kind) {
  auto client = TestClient::Connect(relay.address());
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  auto hello = (*client)->Hello(kind);
  INFO(hello.status().ToString());
  REQUIRE(hello.ok());
  return std::move(*client);
}

// An owner connection holding one new mailbox with a token of `token_class`.
struct Owner {
  std::unique_ptr<TestClient> client;
  AuthKeyPair key;
  std::string mailbox;
  std::string token;
};

inline Owner NewOwner(const RelayProcess& relay, wire::TokenClass token_class = wire::CONTACT,
                      std::uint32_t token_ttl = 0) {
  Owner o;
  o.client = Connect(relay, wire::OWNER);
  o.key = AuthKeyPair::Generate();
  const std::string invite = relay.CreateInvite();
  REQUIRE(invite.size() == 16);
  auto mailbox = o.client->CreateMailbox(invite, o.key);
  INFO(mailbox.status().ToString());
  REQUIRE(mailbox.ok());
  o.mailbox = *mailbox;
  o.token = RandomToken();
  REQUIRE(o.client->SetToken(o.mailbox, token_class, o.token, token_ttl).ok());
  return o;
}

inline Code CodeOf(const Status& s) { return s.code(); }
template <typename T>
Code CodeOf(const Result<T>& r) {
  return r.ok() ? Code::kOk : r.status().code();
}

inline wire::View MakeView(const std::string& mailbox, const std::string& token, char fill = 'v') {
  wire::View v;
  v.set_mailbox_id(mailbox);
  v.set_token(token);
  v.set_view(std::string(48, fill));
  return v;
}

// A pre-key public key as libsignal writes it: 0x05, then 32 bytes.
inline std::string PrekeyPublic(char fill) {
  std::string key(33, fill);
  key[0] = '\x05';
  return key;
}

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_RELAY_SERVER_TEST_UTIL_H_
