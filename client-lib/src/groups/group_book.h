// GroupBook: this device's groups, in memory, written through batches.
//
// A group (client::GroupRecord) is a broadcast audience of this device: `members` are
// the contacts we send to, `accepted_senders` the contacts whose sender keys we accept
// for it. Our own sender-key chain for the group is named (group id, "self/<chain>"):
// rotating it (after a member is removed) starts chain + 1, which nobody removed ever
// receives.
//
// Thread-safety: the client's worker thread only.
#ifndef TOCSIN_GROUPS_GROUP_BOOK_H_
#define TOCSIN_GROUPS_GROUP_BOOK_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/batch.h"
#include "crypto/signal_store.h"
#include "store/device_store.h"
#include "tocsin/client.pb.h"
#include "tocsin/status.h"
#include "tocsin/types.h"

namespace tocsin::groups {

class GroupBook {
 public:
  static Result<std::unique_ptr<GroupBook>> Load(store::DeviceStore& store);

  // nullptr when unknown (or left).
  const client::GroupRecord* Find(const std::string& group_id) const;
  std::vector<const client::GroupRecord*> All() const;
  bool IsAcceptedSender(const std::string& group_id, const std::string& contact_id) const;
  bool IsMember(const std::string& group_id, const std::string& contact_id) const;
  // Groups `contact_id` belongs to (as member or sender).
  std::vector<std::string> GroupsOf(const std::string& contact_id) const;

  Status Stage(core::Batch& batch, const client::GroupRecord& record);

 private:
  GroupBook() = default;
  std::map<std::string, client::GroupRecord> groups_;
};

// Our sender-key name in `group`.
crypto::SenderKeyName OwnSenderKeyName(const client::GroupRecord& group);
// A contact's sender-key name in `group`.
crypto::SenderKeyName ContactSenderKeyName(const std::string& group_id,
                                           const std::string& contact_id);

GroupInfo ToGroupInfo(const client::GroupRecord& record);

// Adds / removes ids in a repeated bytes field (no duplicates). True when it changed.
bool AddIds(google::protobuf::RepeatedPtrField<std::string>* field,
            const std::vector<std::string>& ids);
bool RemoveIds(google::protobuf::RepeatedPtrField<std::string>* field,
               const std::vector<std::string>& ids);

}  // namespace tocsin::groups

#endif  // TOCSIN_GROUPS_GROUP_BOOK_H_
