// AlertPort: what the alert engine needs from the device under it (the Client in the
// library; an in-memory network in the engine's unit tests): keys, signatures,
// contacts, pairwise and group sends, storage.
//
// Keys are raw 32-byte identity keys. Sends return once the message is in the outbox.
//
// Thread-safety: called with the engine's lock held, from any thread; implementations
// must not call back into the engine.
#ifndef TOCSIN_ALERTS_PORT_H_
#define TOCSIN_ALERTS_PORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/signed.h"
#include "tocsin/status.h"
#include "tocsin/tree.pb.h"

namespace tocsin::alerts {

class AlertPort {
 public:
  virtual ~AlertPort() = default;

  virtual std::string IdentityKey() = 0;  // 32 bytes
  virtual std::uint64_t NowMs() = 0;
  virtual std::string RandomBytes(std::size_t n) = 0;
  virtual Result<std::string> Sign(std::string_view message) = 0;
  virtual Status Verify(std::string_view key, std::string_view message,
                        std::string_view signature) = 0;

  // Our own long-term card for trees, suggesting `name` (views carry it so members can
  // reach us); `rotate` replaces its tokens (the old ones stop at once).
  virtual Result<std::string> MyCard(const std::string& name, bool rotate = false) = 0;
  // Makes `entry` a contact from its card (or refreshes it). Idempotent.
  virtual Status Introduce(const tree::MemberEntry& entry) = 0;
  // The identity key behind a contact card (32 bytes), without importing it.
  virtual Result<std::string> KeyOfCard(std::string_view card) = 0;
  // Forgets a revoked member: its tokens revoked, its sessions deleted, out of groups.
  virtual Status Forget(const std::string& key) = 0;
  // Whether `key` is a contact of the user's own, whatever the trees say: the user added
  // its card, or it wrote to us first (a contact request). False for a contact that only
  // trees' views brought (Introduce), and for a key that is no contact.
  virtual Result<bool> PersonalContact(const std::string& key) = 0;

  virtual Status SendTo(const std::string& key, const std::string& payload,
                        std::uint64_t ttl_ms) = 0;
  virtual Status SendToGroup(const std::string& group_id, const std::string& payload,
                             std::uint64_t ttl_ms) = 0;
  // Admin: a new group with us as sender; returns its id (16 bytes).
  virtual Result<std::string> CreateGroup(const std::string& name,
                                          const std::vector<std::string>& members) = 0;
  // Admin: makes the group's members exactly `members`.
  virtual Status SetGroupMembers(const std::string& group_id,
                                 const std::vector<std::string>& members) = 0;
  // Member: accept `senders`' messages for the group.
  virtual Status JoinGroup(const std::string& group_id, const std::string& name,
                           const std::vector<std::string>& senders) = 0;
  // Whether the device holds the group (made or joined, and not left), for a tree or not.
  virtual Result<bool> HasGroup(const std::string& group_id) = 0;

  // Device-local records (sealed in the store).
  virtual Status SaveTree(const tree::TreeRecord& record) = 0;
  virtual Status SaveAlert(tree::AlertRecord& record) = 0;  // sets row_day / row_seq
  virtual Status DeleteAlert(const tree::AlertRecord& record) = 0;
  virtual Result<std::vector<tree::TreeRecord>> LoadTrees() = 0;
  virtual Result<std::vector<tree::AlertRecord>> LoadAlerts() = 0;
};

}  // namespace tocsin::alerts

#endif  // TOCSIN_ALERTS_PORT_H_
