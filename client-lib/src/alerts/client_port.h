// ClientPort: the AlertPort of a real device, over tocsin::Client and its internals
// (identity signatures, the device store).
//
// Thread-safety: any thread except the client's worker and event threads (every call
// may block on the worker).
#ifndef TOCSIN_ALERTS_CLIENT_PORT_H_
#define TOCSIN_ALERTS_CLIENT_PORT_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "alerts/port.h"
#include "tocsin/client.h"

namespace tocsin::alerts {

class ClientPort final : public AlertPort {
 public:
  ClientPort(Client& client, std::shared_ptr<Clock> clock);

  std::string IdentityKey() override;
  std::uint64_t NowMs() override;
  std::string RandomBytes(std::size_t n) override;
  Result<std::string> Sign(std::string_view message) override;
  Status Verify(std::string_view key, std::string_view message,
                std::string_view signature) override;
  Result<std::string> MyCard(const std::string& name, bool rotate) override;
  Status Introduce(const tree::MemberEntry& entry) override;
  Result<std::string> KeyOfCard(std::string_view card) override;
  Status Forget(const std::string& key) override;
  Result<bool> PersonalContact(const std::string& key) override;
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

 private:
  // The contact id of an identity key; kNotFound when it is not a contact.
  Result<ContactId> ContactOf(const std::string& key);
  Result<std::vector<ContactId>> ContactsOf(const std::vector<std::string>& keys);

  Client& client_;
  std::shared_ptr<Clock> clock_;
  std::mutex mutex_;
  std::map<std::string, ContactId> contacts_;  // identity key -> contact id
  std::map<std::string, std::string> cards_;   // identity key -> card last imported
};

// The name of a tree's row in the trees column.
std::string TreeRowName(const std::string& tree_id);
inline constexpr std::string_view kInboxRowPrefix = "alerts/inbox/";

}  // namespace tocsin::alerts

#endif  // TOCSIN_ALERTS_CLIENT_PORT_H_
