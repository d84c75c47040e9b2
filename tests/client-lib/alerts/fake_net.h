// Unit-test support for the alert logic: devices with real identity keys and real XEdDSA
// signatures, joined by an in-memory network that delivers only when the test says so,
// and a clock the test moves. No relay, no store (records are kept in memory).
#ifndef TOCSIN_TESTS_ALERTS_FAKE_NET_H_
#define TOCSIN_TESTS_ALERTS_FAKE_NET_H_

#include <catch2/catch.hpp>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "alerts/logic.h"
#include "alerts/port.h"
#include "core/clock_offset.h"
#include "crypto/random.h"
#include "crypto/signal_context.h"
#include "crypto/x25519.h"

namespace tocsin::testing {

class FakeNet;

// A clock the test moves.
struct TestClock {
  std::uint64_t now_ms = 1'800'000'000'000ull;
};

class FakePort final : public alerts::AlertPort {
 public:
  FakePort(FakeNet& net, std::uint8_t seed);

  std::string IdentityKey() override { return key_; }
  std::uint64_t NowMs() override;
  std::string RandomBytes(std::size_t n) override;
  Result<std::string> Sign(std::string_view message) override;
  Status Verify(std::string_view key, std::string_view message,
                std::string_view signature) override;
  Result<std::string> MyCard(const std::string& name, bool rotate) override;
  Status Introduce(const tree::MemberEntry& entry) override;
  Result<std::string> KeyOfCard(std::string_view card) override;
  Status Forget(const std::string& key) override;
  Result<bool> PersonalContact(const std::string& key) override { return personal.count(key) != 0; }
  Status SendTo(const std::string& key, const std::string& payload, std::uint64_t ttl_ms) override;
  Status SendToGroup(const std::string& group_id, const std::string& payload,
                     std::uint64_t ttl_ms) override;
  Result<std::string> CreateGroup(const std::string& name,
                                  const std::vector<std::string>& members) override;
  Status SetGroupMembers(const std::string& group_id,
                         const std::vector<std::string>& members) override;
  Status JoinGroup(const std::string& group_id, const std::string& name,
                   const std::vector<std::string>& senders) override;
  Result<bool> HasGroup(const std::string& group_id) override;
  Status SaveTree(const tree::TreeRecord& record) override;
  Status SaveAlert(tree::AlertRecord& record) override;
  Status DeleteAlert(const tree::AlertRecord& record) override;
  Result<std::vector<tree::TreeRecord>> LoadTrees() override;
  Result<std::vector<tree::AlertRecord>> LoadAlerts() override;
  // A GroupRemoval from `sender`, as the client takes it (SPEC.md 14.5): from an accepted
  // sender of a group we send to, its members with those keys leave our audience.
  void TakeRemoval(const std::string& sender, const app::GroupRemoval& removal);

  std::int64_t clock_skew_ms = 0;                       // this device's clock minus the network's
  int rotations = 0;                                    // alert tokens replaced
  std::map<std::string, std::string> cards;             // key -> the card last introduced
  std::map<std::string, int> member_cards_from;         // MemberCard payloads received
  std::set<std::string> forgotten;                      // keys whose tokens we revoked
  std::set<std::string> personal;                       // the user's own contacts (not trees')
  std::map<std::string, std::set<std::string>> joined;  // group -> accepted senders
  std::set<std::string> made;                           // groups we send to
  std::map<std::string, tree::TreeRecord> trees;
  std::map<std::string, tree::AlertRecord> alerts;

 private:
  FakeNet& net_;
  crypto::DeterministicRng rng_;
  crypto::X25519KeyPair pair_;
  std::string key_;
};

// One device: its port, its logic and the events it emitted.
struct Device {
  std::string name;
  std::unique_ptr<FakePort> port;
  std::unique_ptr<alerts::AlertLogic> logic;
  std::vector<AlertEvent> events;
  std::string key() const { return port->IdentityKey(); }
  std::string hex() const;
  std::string card() const;
  std::size_t Count(AlertEventKind kind) const;
  const AlertEvent* Last(AlertEventKind kind) const;
};

class FakeNet {
 public:
  FakeNet();
  Device& Add(const std::string& name);
  // Delivers queued messages (and what they cause) until none is left. Returns how many.
  std::size_t Deliver();
  // A device that is off: what is sent to it is lost.
  void SetOffline(const std::string& key, bool offline);
  // What was lost for `key` while it was off, oldest first (as a relay could hold it back).
  std::vector<app::Payload> Lost(const std::string& key) const;
  // Sends `payload` as `from` (for infiltrators and forgeries): queued like any message.
  void Inject(const std::string& from, const std::string& to, const app::Payload& payload);

  TestClock clock;
  std::shared_ptr<crypto::SignalContext> signal;

 private:
  friend class FakePort;
  struct Message {
    std::string from, to, group, payload;
  };
  std::map<std::string, Device*> by_key_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::map<std::string, std::vector<std::string>> groups_;  // group -> member keys
  std::deque<Message> queue_;
  std::vector<Message> lost_;
  std::set<std::string> offline_;
  std::uint8_t next_seed_ = 1;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_ALERTS_FAKE_NET_H_
