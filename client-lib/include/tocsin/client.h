// tocsin::Client: one device of a Tocsin network, embedded in an application.
//
// A device has an identity key (made at Create, kept in an encrypted store unlocked by a
// passphrase), mailboxes on k relays, contacts, groups, an outbox and an event inbox.
// docs/client.md is the guide; this header is the contract.
//
// Lifecycle: Create (first run: makes the store and opens mailboxes with operator
// invites) or Open (later runs), then use, then Close (or destroy). A data folder may be
// open in one process at a time.
//
// Delivery: Send* returns once the message is encrypted, sealed and written to the
// outbox with a synced write: from then on it survives a crash and is retried until a
// relay of each recipient stores it or its TTL passes. Each message goes to every relay
// of its recipient; the recipient keeps the first copy. The recipient's device confirms
// each pairwise message it commits with an end-to-end encrypted receipt (sent by the
// library, never shown); a message that no relay stored for a recipient (on any of its
// relays), or (pairwise) whose receipt did not come, before its TTL passed is reported
// once per recipient as a kUndelivered event.
//
// Events: what arrives is committed to the device's inbox before the relay is told it
// was received, and stays there until the application calls Done(event id): a crash at
// any point loses no message, and none is shown twice in one session. An event not
// Done is handed out again after the next Open (handle them idempotently by id).
//
// Threads: the client runs its own threads (network, a worker that seals, opens and
// writes the store, and one that runs event callbacks). Every public method is
// thread-safe and blocks until its work is done (or has failed), except where noted.
// Methods must not be called from inside an event callback that is still waiting on
// the same call (they may be called from callbacks in general).
//
// Errors: every method returns a Status / Result with a typed code (tocsin/status.h):
// kInvalidArgument (a malformed id, card or option), kNotFound (no such contact, group,
// or store), kUnauthorized (wrong passphrase; a relay refused an invite),
// kUntrustedIdentity (a contact's identity changed and is not verified),
// kUnavailable (the network or the store cannot do it now: retry later), kInternal.
#ifndef TOCSIN_CLIENT_H_
#define TOCSIN_CLIENT_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tocsin/passphrase.h"
#include "tocsin/status.h"
#include "tocsin/types.h"

namespace tocsin {

namespace core {
class ClientCore;
}

// The library's version ("0.1.0").
const char* LibraryVersion();

class Client {
 public:
  // Makes a new device in `dir` (created, owner-only permissions): identity key,
  // registration id, envelope key, signed pre-key, and a mailbox on each of k relays
  // (chosen among `relays` by rendezvous hashing of the identity key; those whose
  // invite is refused are skipped), with one-time pre-keys published to each.
  // REQUIRES: at least one relay; each relay's invite (RelaySpec::invite).
  // Errors: kInvalidArgument (a store exists in `dir`, a malformed relay address, empty
  // passphrase); kUnavailable when no relay would open a mailbox (nothing is left in
  // `dir`); the relays' own refusals (kUnauthorized for a bad invite, ...).
  static Result<std::unique_ptr<Client>> Create(const std::filesystem::path& dir,
                                                const Passphrase& passphrase,
                                                const std::vector<RelaySpec>& relays,
                                                ClientOptions options = {});

  // Opens the device in `dir` and connects to its relays (in the background: Open does
  // not wait for the network). kNotFound when there is none; kUnauthorized "wrong
  // passphrase"; kUnavailable when another process has it open.
  static Result<std::unique_ptr<Client>> Open(const std::filesystem::path& dir,
                                              const Passphrase& passphrase,
                                              ClientOptions options = {});

  // Closes (see Close).
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Stops the threads, closes the relay links and the store. Messages in the outbox
  // stay there for the next Open. Every later call fails with kUnavailable. Idempotent.
  // REQUIRES: not called from an event callback.
  void Close();

  // ---------------------------------------------------------------- this device

  // Our identity key (hex), as contacts see it.
  std::string IdentityKey() const;
  // Our mailboxes and the state of their relay links.
  std::vector<RelayInfo> Relays() const;

  // Our contact card's text code, with `name` as the suggested name. The card carries
  // an intro token per mailbox; a new one is made when the current one is older than
  // half its lifetime (the relays' INTRO TTL, 7 days by default), so a card stays usable
  // for at least 3.5 days. Needs the relays (kUnavailable when none could register the
  // token).
  Result<std::string> MyCard(const std::string& name = "");

  // Changes the passphrase (the store is re-keyed). kUnauthorized when `current` is wrong.
  Status ChangePassphrase(const Passphrase& current, const Passphrase& next);

  // ---------------------------------------------------------------- contacts

  // Imports a card: a new, unverified contact (or, for a card of a known identity, the
  // same contact with its addresses and envelope key brought up to date). `name`
  // overrides the card's suggested name when not empty.
  // Errors: kInvalidArgument / kCryptoFailure for a malformed or mistyped card; our own
  // card is kInvalidArgument.
  Result<ContactId> AddContact(std::string_view card, const std::string& name = "");

  // Offers `card`, which has a different identity key, as `contact`'s new identity (a
  // replaced phone). It is refused until verified: sending to the contact fails with
  // kUntrustedIdentity, and messages from the new key are held (kIdentityChangeRefused)
  // until MarkVerified. A card with the contact's current identity is the same as
  // AddContact.
  Status OfferNewIdentity(const ContactId& contact, std::string_view card);

  Result<std::vector<ContactInfo>> Contacts() const;
  Result<ContactInfo> GetContact(const ContactId& contact) const;
  Status RenameContact(const ContactId& contact, const std::string& name);

  // The safety number of our identity and the contact's (60 digits in 12 groups of 5,
  // the same on both devices; libsignal's fingerprint). While a new identity is offered,
  // the number is that of the new identity: that is what the user must compare.
  Result<std::string> SafetyNumber(const ContactId& contact) const;

  // Records that the user compared the safety number. Accepts an offered new identity:
  // its messages held until now are delivered, and a new session starts.
  Status MarkVerified(const ContactId& contact);

  // Forgets a contact: its delivery tokens are revoked on our relays at once (what it
  // sends is refused there), its sessions deleted, and it is removed from our groups as
  // by RemoveMembers (our new sender key to the others, the groups' other senders told).
  Status RemoveContact(const ContactId& contact);

  // ---------------------------------------------------------------- messages

  // Sends a Text. Returns once it is in the outbox (see "Delivery" above). The first
  // message to a new contact fetches a pre-key bundle from one of its relays first
  // (kUnavailable when none answers). kUntrustedIdentity while an identity change is
  // not verified.
  Result<MessageId> SendText(const ContactId& contact, std::string_view text,
                             const SendOptions& options = {});
  // How far `message` (an id SendText, Send or SendToGroup returned) got: what of it is
  // still in the outbox. Zero and zero once every relay of every recipient stored it, or
  // it left the outbox otherwise (its TTL passed: see kUndelivered). A one-shot program
  // can wait for copies_waiting to reach 0 before it closes.
  Result<DeliveryState> Delivery(const MessageId& message) const;

  // Sends any application payload: a serialized tocsin.app.Payload
  // (proto/tocsin/alert.proto). kInvalidArgument when it does not parse or sets a field
  // the client reserves (sender_key_distribution, resend_request, receipt,
  // group_removal).
  Result<MessageId> Send(const ContactId& contact, std::string_view payload,
                         const SendOptions& options = {});

  // ---------------------------------------------------------------- groups
  //
  // A group is a broadcast audience: what we send reaches its members (one encryption
  // with our sender key, sealed once for all of them); what its accepted senders send
  // reaches us. Every member's device keeps its own record of the group under the same
  // GroupId. A sender key is accepted only over a pairwise session, from a contact who
  // is an accepted sender of that group (inside a group message it is dropped).

  // A new group with us as its sender and `members` as its audience; our sender key is
  // sent to each member (through the outbox).
  Result<GroupId> CreateGroup(const std::string& name, const std::vector<ContactId>& members);
  // Joins (or updates) a group made by someone else: accept `senders`' sender keys for
  // it. Messages and keys that came before are taken from where they wait.
  Status JoinGroup(const GroupId& group, const std::string& name,
                   const std::vector<ContactId>& senders);
  // Adds members: each is sent our current sender key.
  Status AddMembers(const GroupId& group, const std::vector<ContactId>& members);
  // Removes members: we start a new sender key and send it to the remaining members, and
  // tell the group's other accepted senders (a GroupRemoval over our pairwise sessions,
  // naming the removed by identity key); each of them that accepts us as a sender of
  // the group removes them from its own audience and starts a new key. The removed
  // cannot read what any sender sends next. Returns the first failure to send a key or
  // a notice (the others are still sent).
  Status RemoveMembers(const GroupId& group, const std::vector<ContactId>& members);
  Status AddSenders(const GroupId& group, const std::vector<ContactId>& senders);
  Status RemoveSenders(const GroupId& group, const std::vector<ContactId>& senders);
  Result<std::vector<GroupInfo>> Groups() const;
  // Forgets the group: nothing more is sent to it or accepted from it.
  Status LeaveGroup(const GroupId& group);

  // Sends to every member of the group: one PutBlob and views per relay, through the
  // outbox. Returns once it is in the outbox. kInvalidArgument for an empty group.
  Result<MessageId> SendGroupText(const GroupId& group, std::string_view text,
                                  const SendOptions& options = {});
  Result<MessageId> SendToGroup(const GroupId& group, std::string_view payload,
                                const SendOptions& options = {});

  // ---------------------------------------------------------------- events

  // Events go to `handler`, on the client's event thread, one at a time, oldest first
  // (those already waiting first). Set it once, before events matter; null stops it.
  // The handler may call any method of this client except Close.
  void SetEventHandler(std::function<void(const Event&)> handler);

  // Without a handler: the next event not yet handed out in this session, waiting up to
  // `timeout`; nullopt when none came.
  std::optional<Event> WaitEvent(std::chrono::milliseconds timeout);

  // Every stored event not yet Done, oldest first.
  Result<std::vector<Event>> PendingEvents() const;

  // Deletes a stored event: the application has handled it. Unknown ids are OK.
  Status Done(EventId event);

  // Destroys received and sent content (events, sent messages kept for resends) of
  // every whole day (UTC) before `before_ms`, so that it cannot be read again even with
  // the passphrase. Done automatically for content older than
  // ClientOptions::content_retention.
  Status PurgeContentBefore(std::uint64_t before_ms);

  // The library's internals, for the parts of libtocsin built on the client (alert
  // trees). Not for applications.
  core::ClientCore& core() { return *core_; }

 private:
  explicit Client(std::unique_ptr<core::ClientCore> core);
  std::unique_ptr<core::ClientCore> core_;
};

}  // namespace tocsin

#endif  // TOCSIN_CLIENT_H_
