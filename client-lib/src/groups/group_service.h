// GroupService: sender-key groups as broadcast audiences (docs/client.md "Groups").
//
// Sending: one group_cipher encryption with our sender key -> SealedContent
// {SENDER_KEY_MESSAGE, group id} -> sealed v2 once for every member's envelope key
// (seal_threads threads, the static DH cache) -> per relay one outbox row holding the
// blob and the views of the members' mailboxes on that relay (each with that member's
// token) -> the outbox sends it as one PutBlob + SendViews (RelayPool::SendToMany).
// The payload is kept (SentRecord) until it expires, to answer ResendRequests.
//
// Distribution: our sender key travels to each member over the pairwise session
// (Payload.sender_key_distribution); a member accepts it only from a contact it lists
// as an accepted sender of that group, and otherwise holds it (kGroupInvite) until it
// joins. Adding a member sends it our current key; removing one starts a new chain
// and sends that to the remaining members only.
//
// Removal across senders: a group's senders each keep their own audience, so the one
// who removes a member also tells the group's other accepted senders (a GroupRemoval,
// pairwise, naming the removed by identity key). A device takes such a notice only
// from a contact it accepts as a sender of that group; it removes those members from
// its own audience, starts a new chain and sends it to the remaining members. A notice
// received is not passed on (no loops): every sender hears it from the remover.
//
// Receiving: a group message from an accepted sender is decrypted with that sender's
// key (named by the authenticated sealed sender); without the key it is parked, and a
// ResendRequest goes to the sender after resend_after.
//
// Thread-safety: the client's worker thread only.
#ifndef TOCSIN_GROUPS_GROUP_SERVICE_H_
#define TOCSIN_GROUPS_GROUP_SERVICE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/await.h"
#include "core/batch.h"
#include "core/core_context.h"
#include "core/pairwise.h"
#include "core/receiver.h"
#include "groups/group_book.h"
#include "tocsin/alert.pb.h"
#include "tocsin/client.pb.h"
#include "tocsin/envelope.pb.h"
#include "tocsin/status.h"

namespace tocsin::groups {

class GroupService {
 public:
  GroupService(core::CoreContext& context, core::PairwiseSender& pairwise);
  // REQUIRES: set before any message is received.
  void set_receiver(core::Receiver* receiver) { receiver_ = receiver; }

  // ---- receiving (inside the Receiver's batch)
  core::Outcome Receive(core::Batch& batch, const std::string& sender,
                        const envelope::SealedContent& content, const core::Origin& origin,
                        core::Receiver& receiver);
  Status OnDistribution(core::Batch& batch, const client::ContactRecord& sender,
                        const app::SenderKeyDistribution& distribution, core::Receiver& receiver);
  Status OnResendRequest(core::Batch& batch, const client::ContactRecord& sender,
                         const app::ResendRequest& request, core::Receiver& receiver);
  // A removal notice from another sender of the group (see above).
  Status OnRemoval(core::Batch& batch, const client::ContactRecord& sender,
                   const app::GroupRemoval& removal, core::Receiver& receiver);
  // A held distribution, tried again after JoinGroup / AddSenders.
  core::Outcome RetryDistribution(std::uint64_t seq, const client::PendingRecord& record,
                                  core::Receiver& receiver);

  // ---- membership
  core::Awaitable<Result<std::string>> Create(std::string name, std::vector<std::string> members);
  // Joins (or adds `senders` to) a group; held keys and messages of theirs are taken.
  core::Awaitable<Status> Join(std::string group_id, std::string name,
                               std::vector<std::string> senders);
  core::Awaitable<Status> AddMembers(std::string group_id, std::vector<std::string> members);
  core::Awaitable<Status> RemoveMembers(std::string group_id, std::vector<std::string> members);
  core::Awaitable<Status> RemoveSenders(std::string group_id, std::vector<std::string> senders);
  core::Awaitable<Status> Leave(std::string group_id);
  // Drops a removed contact from every group (in `batch`): where it was a member, a new
  // chain is started. Returns the groups in which it was a member, for
  // AfterRemoval once the batch is committed.
  Result<std::vector<std::string>> ForgetContact(core::Batch& batch, const std::string& contact_id);
  // After a committed removal of members (by their identity keys) from `group_id`: our
  // new chain to the remaining members, and a GroupRemoval to the other accepted
  // senders. Returns the first failure (the rest is still tried).
  core::Awaitable<Status> AfterRemoval(std::string group_id, std::vector<std::string> identities);

  // ---- sending
  // One group message to every member; returns its id once the outbox rows commit.
  core::Awaitable<Result<std::string>> Send(std::string group_id, std::string payload,
                                            std::uint64_t ttl_ms);
  // Our current sender key to `members` (pairwise, through the outbox).
  core::Awaitable<Status> Distribute(std::string group_id, std::vector<std::string> members);

  // ---- upkeep: ResendRequests for messages parked longer than resend_after.
  core::Awaitable<void> RequestResends();

 private:
  Result<std::string> OwnDistribution(const client::GroupRecord& group);
  // Removes `members` from `record`'s audience and starts our next chain, in `batch`.
  Status StageRemoval(core::Batch& batch, client::GroupRecord& record,
                      const std::vector<std::string>& members);
  Status HoldDistribution(core::Batch& batch, const client::ContactRecord& sender,
                          const app::SenderKeyDistribution& distribution);
  // After a commit: parked messages and held keys of (group, sender) are tried again.
  void RetryParkedOf(const std::string& group_id, const std::string& sender_identity);
  Status StageGroupMessage(core::Batch& batch, const client::GroupRecord& group,
                           const std::string& payload, std::uint64_t ttl_ms,
                           const std::string& message_id);
  Result<envelope::SealedContent> EncryptForGroup(core::Batch& batch,
                                                  const client::GroupRecord& group,
                                                  const std::string& payload,
                                                  const std::string& message_id);
  core::Awaitable<void> Resend(std::string contact_id, std::string group_id,
                               std::vector<std::string> message_ids);

  core::CoreContext& context_;
  core::PairwiseSender& pairwise_;
  core::Receiver* receiver_ = nullptr;
};

}  // namespace tocsin::groups

#endif  // TOCSIN_GROUPS_GROUP_SERVICE_H_
