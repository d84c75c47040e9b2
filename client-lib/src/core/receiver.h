// Receiver: the receive pipeline (docs/architecture.md "Receiving", SPEC.md 10.5, 14).
//
// delivery -> open (v1 envelope, or v2 blob + view) with the current envelope key,
// then the kept older ones -> parse SealedContent -> its sender identity must equal the
// authenticated S -> seen ids (sender, message id): seen -> ack and drop -> libsignal
// decrypt (pairwise session or the sender's group key) whose decryption callback stages
// the seen id: the new state, the plaintext's effects (an event, contact updates, a
// processed sender key) and the seen id go into ONE batch -> commit -> ack.
//  - A group message without its sender key is parked in `pending` (committed, then
//    acked) and decrypted when the key arrives; after resend_after a ResendRequest goes
//    to the sender.
//  - A message from a contact's offered (unverified) identity is parked until verified.
//  - A pairwise application message is answered with a Receipt (SPEC.md 14.8), staged
//    in its batch; a Receipt clears the sender's record of the messages it names.
//  - A first message from an unknown identity with a PreKeySignalMessage is a contact
//    request: the contact is made (unverified) and answered with our addresses.
//  - Control payloads (sender keys, resend requests, receipts, removal notices) are
//    taken only from a pairwise session; inside a group message they drop the message.
//  - libsignal's duplicate is acked and dropped silently; anything that fails to
//    authenticate or parse is acked, dropped and counted, never shown.
//  - A failing store leaves the delivery unacked and tries again later.
//
// Thread-safety: the client's worker thread only.
#ifndef TOCSIN_CORE_RECEIVER_H_
#define TOCSIN_CORE_RECEIVER_H_

#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/batch.h"
#include "core/core_context.h"
#include "core/pairwise.h"
#include "core/received.h"
#include "crypto/signal_message.h"
#include "net/relay_pool.h"
#include "store/plaintext.h"
#include "tocsin/alert.pb.h"
#include "tocsin/client.pb.h"
#include "tocsin/envelope.pb.h"
#include "tocsin/status.h"

namespace tocsin::groups {
class GroupService;
}

namespace tocsin::core {

// A decrypted payload, as a hook sees it (inside the receive batch).
struct ReceivedPayload {
  const client::ContactRecord* sender = nullptr;
  std::string group_id;       // set for group messages
  std::string message_id;     // 16 bytes
  std::uint64_t sent_ms = 0;  // the sender's clock
  // Add to a time the sender wrote by its clock to have it in ours (core/clock_offset.h).
  std::int64_t clock_correction_ms = 0;
  const app::Payload* payload = nullptr;
  std::string_view payload_bytes;
};

// Stages what a payload means for another part of the library (alert trees) into the
// receive batch. Returns true when it took the payload (no kMessage event is made).
using PayloadHook = std::function<Result<bool>(Batch& batch, const ReceivedPayload& received)>;

struct ReceiverStats {
  std::uint64_t received = 0;
  std::uint64_t delivered = 0;        // reached the inbox or a hook
  std::uint64_t duplicates = 0;       // seen ids and libsignal duplicates
  std::uint64_t unauthenticated = 0;  // failed to open, or sender mismatch
  std::uint64_t dropped = 0;          // other drops (malformed, unknown sender, ...)
  std::uint64_t parked = 0;           // went to pending
  // Sender keys, resend requests, receipts and removal notices that came inside a
  // group message instead of a pairwise session: the whole message is dropped (also
  // counted in `dropped`).
  std::uint64_t misplaced_control = 0;
  // Pairwise messages the session could not decrypt (a ratchet chain dropped after
  // heavy reordering, a spent pre-key, ...) for which the sender was asked to resend.
  std::uint64_t resend_requests = 0;
  std::uint64_t resends = 0;  // messages of ours sent again on a contact's request
};

// What one message's processing decided.
enum class Outcome {
  kCommitted,   // its effects are committed: ack
  kDrop,        // not for us, malformed or unauthentic: ack and forget
  kDuplicate,   // seen already: ack and forget
  kParked,      // committed to `pending`: ack
  kRetryLater,  // the store failed: do not ack, try again
};

// Where a message came from: a relay delivery, or a pending row.
struct Origin {
  std::optional<std::uint64_t> pending_seq;
  bool resend_of_pending = false;  // a resend of a message we hold in pending
};

// A decryption callback for libsignal that stages the seen id of the message into the
// batch (docs/design.md: state + plaintext + seen id in one batch) and keeps it.
crypto::PlaintextCallback CapturePlaintext(Batch& batch, SeenIds& seen, const std::string& sender,
                                           const std::string& message_id, std::uint64_t now_ms,
                                           store::Plaintext* plaintext);

// Payloads the client makes and takes itself (sender keys, resend requests, receipts,
// removal notices): never handed to the application, refused from it, and taken only
// from a pairwise session.
bool IsControlPayload(const app::Payload& payload);

// Maps a decryption or store failure to what to do with the message.
Outcome Classify(const Status& status);

class Receiver {
 public:
  Receiver(CoreContext& context, PairwiseSender& sender);
  void set_groups(groups::GroupService* groups) { groups_ = groups; }
  void set_payload_hook(PayloadHook hook) { hook_ = std::move(hook); }

  // One delivery from a relay; acks it once its effects are committed (or it is
  // dropped).
  void Handle(net::IncomingDelivery delivery);

  // Tries parked messages again (a sender key arrived, an identity was verified).
  void RetryPending(const std::vector<std::uint64_t>& seqs);

  // The step after decryption, shared with the group path: updates from the content,
  // the payload's meaning (event, sender key, resend request, receipt, removal notice,
  // hook), into `batch`. `application`, when given, is set when the payload went to the
  // application (an event or the hook).
  Status HandlePayload(Batch& batch, const client::ContactRecord& sender,
                       const envelope::SealedContent& content, const store::Plaintext& plaintext,
                       bool* application = nullptr);

  // Parks a message in `pending` (and marks its id seen-pending) in `batch`.
  Outcome Park(Batch& batch, client::PendingReason reason, const std::string& sender,
               const envelope::SealedContent& content, const std::string& contact_id,
               const Origin& origin);
  // Removes the pending row of a message now taken (resent, or retried), in `batch`.
  Status FinishPending(Batch& batch, const std::string& sender, const std::string& message_id,
                       const Origin& origin);

  // Runs `action` after the current message's batch commits.
  void AfterCommit(std::function<void()> action) { after_commit_.push_back(std::move(action)); }

  const ReceiverStats& stats() const { return stats_; }

 private:
  struct Opened {
    std::string sender;  // 32 bytes
    envelope::SealedContent content;
    bool v2 = false;
  };
  Result<Opened> Open(const net::IncomingDelivery& delivery);
  void Ack(const net::IncomingDelivery& delivery);
  Outcome Process(const std::string& sender, const envelope::SealedContent& content,
                  const Origin& origin);
  Outcome Dispatch(Batch& batch, const std::string& sender, const envelope::SealedContent& content,
                   const Origin& origin);
  Outcome Pairwise(Batch& batch, const std::string& sender, const envelope::SealedContent& content,
                   const Origin& origin);
  void Count(Outcome outcome);
  void HandleAttempt(net::IncomingDelivery delivery, int attempts);
  void RetryLater(net::IncomingDelivery delivery, int attempts);
  Result<client::ContactRecord> NewRequester(const std::string& sender,
                                             const envelope::SealedContent& content);
  bool UpdateFromContent(client::ContactRecord& contact, const envelope::SealedContent& content);
  Status StageEvent(Batch& batch, const client::ContactRecord& sender,
                    const envelope::SealedContent& content, const std::string& payload);
  // Our Receipt for a pairwise application message, encrypted in the same batch that
  // commits the message (so a crash cannot lose it).
  Status StageReceipt(Batch& batch, const client::ContactRecord& contact,
                      const std::string& message_id);
  // A contact's Receipt: its messages' sent records stop awaiting.
  Status OnReceipt(Batch& batch, const client::ContactRecord& sender, const app::Receipt& receipt);
  // A pairwise message from a known contact that its session cannot decrypt: asks the
  // sender, once per message in this process, to send it again (resend.cpp).
  Outcome RequestResend(Batch& batch, const client::ContactRecord& contact,
                        const std::string& message_id, const Status& failure);
  // A contact asks for pairwise messages of ours again: each is encrypted anew with
  // the current session, under its original id, at most kMaxResends times.
  Status OnPairwiseResendRequest(Batch& batch, const client::ContactRecord& sender,
                                 const app::ResendRequest& request);
  Awaitable<void> Resend(PairwiseMessage message);

  CoreContext& context_;
  PairwiseSender& sender_;
  groups::GroupService* groups_ = nullptr;
  PayloadHook hook_;
  ReceiverStats stats_;
  std::vector<std::function<void()>> after_commit_;  // queued by the current message
  std::unique_ptr<asio::steady_timer> retry_timer_;
  struct Retry {
    net::IncomingDelivery delivery;
    int attempts = 0;
  };
  std::vector<Retry> retry_;
  std::unordered_set<std::string> resend_asked_;  // message ids, this process only
};

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_RECEIVER_H_
