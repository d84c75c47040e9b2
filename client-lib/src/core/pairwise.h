// PairwiseSender: one message to one contact (docs/architecture.md "Sending", SPEC.md 10.2, 10.5).
//
// Payload -> libsignal session encrypt (a session from the contact's pre-key bundle the
// first time) -> SealedContent (with our reply addresses and envelope key while the
// contact has not got them) -> sealed v1 to the contact's envelope key -> one outbox row
// per contact mailbox, all in one synced batch with the new session state. Nothing
// leaves before that batch is committed; the outbox then sends the stored bytes.
// An application message (report_undelivered, not a group resend) also leaves a sent
// record awaiting the recipient's Receipt, in the same batch.
//
// Thread-safety: the client's worker thread only.
#ifndef TOCSIN_CORE_PAIRWISE_H_
#define TOCSIN_CORE_PAIRWISE_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/await.h"
#include "core/batch.h"
#include "core/core_context.h"
#include "crypto/signal_keys.h"
#include "tocsin/client.pb.h"
#include "tocsin/envelope.pb.h"
#include "tocsin/relay.pb.h"
#include "tocsin/status.h"

namespace tocsin::core {

struct PairwiseMessage {
  std::string contact_id;  // 16 bytes
  std::string payload;     // a serialized tocsin.app.Payload
  std::string message_id;  // empty: a fresh random id (a resend keeps the original)
  std::string group_id;    // set for a group message resent pairwise
  std::uint64_t ttl_ms = 0;
  // An application message: kUndelivered when no relay stores it, or when the
  // recipient's Receipt has not come by its expiry. False for the client's own control
  // messages (announcements, keys, resend requests, receipts, removal notices).
  bool report_undelivered = true;
};

class PairwiseSender {
 public:
  explicit PairwiseSender(CoreContext& context) : context_(context) {}

  // Sends `message` (fetching a pre-key bundle first when there is no session). Returns
  // the message id once the outbox rows are committed. kNotFound (no such contact),
  // kUntrustedIdentity (an identity change is not verified), kUnavailable (no address,
  // or no relay gave a bundle).
  Awaitable<Result<std::string>> Send(PairwiseMessage message);

  // The synchronous part, into `batch`: starts the session from `bundle` when given,
  // encrypts, seals and stages the outbox rows. Returns the message id.
  Result<std::string> Stage(Batch& batch, const client::ContactRecord& contact,
                            const PairwiseMessage& message,
                            const std::optional<crypto::PreKeyBundle>& bundle);

  // A bundle from one of the contact's relays, or nullopt when a session exists.
  Awaitable<Result<std::optional<crypto::PreKeyBundle>>> BundleIfNeeded(
      const client::ContactRecord& contact);

  // Our reply addresses for `contact`: its registered tokens on each of our mailboxes.
  // Empty while one of its tokens waits for its first registration: the receiver
  // replaces the addresses it holds (its copy of our card's, for one) with the list, so
  // a partial one would stop our other mailboxes from hearing from it. A mailbox whose
  // registration failed (its relay unreachable) is left out instead of holding up the
  // others.
  std::vector<envelope::MailboxAddress> ReplyAddresses(const client::ContactRecord& contact) const;

  // What the last token registration on our mailbox `index` came to (ClientCore).
  void SetRegistrationFailed(std::uint32_t index, bool failed);

 private:
  Result<envelope::SealedContent> Encrypt(const client::ContactRecord& contact,
                                          const PairwiseMessage& message,
                                          const std::string& message_id, Batch& batch,
                                          bool* announces);

  CoreContext& context_;
  std::set<std::uint32_t> registration_failed_;  // mailbox indices
};

// The checks common to every send to a contact.
Status CheckSendable(const client::ContactRecord* contact);

// A relay's bundle with the contact's identity key, in the crypto layer's form.
Result<crypto::PreKeyBundle> ToBundle(const wire::PrekeyBundle& wire, std::string_view identity);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_PAIRWISE_H_
