// Values of the libtocsin API: identifiers, contacts, groups, events, options.
//
// Identifiers are lower-case hex strings, stable for the life of what they name:
// a ContactId does not change when the contact's identity key is re-verified, a GroupId
// is the same on every member's device, a MessageId the same on the sender's and the
// receivers' devices.
//
// Thread-safety: values; a const value may be read from any thread.
#ifndef TOCSIN_TYPES_H_
#define TOCSIN_TYPES_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tocsin/status.h"

namespace tocsin {

using ContactId = std::string;  // 32 hex characters, chosen by this device
using GroupId = std::string;    // 32 hex characters, chosen by the group's creator
using MessageId = std::string;  // 32 hex characters, chosen by the sender
using EventId = std::uint64_t;  // 0 for events that are not stored (relay state)

// Wall-clock time for protocol decisions (TTLs, rotations, retention), Unix ms.
// Inject a controllable one in tests. It may be wrong by hours: TTLs are durations, and
// the client measures this clock's offset to the relays' clocks (not the system's) so
// that times other devices write can be read in it (proto/SPEC.md 14.10).
// REQUIRES: thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::uint64_t NowMs() = 0;
};

// Randomness for keys, tokens, ids and nonces. Inject a deterministic one in tests only.
// REQUIRES: thread-safe; never fails.
class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<std::uint8_t> out) = 0;
};

// Argon2id cost of the passphrase (the device store's key derivation).
enum class KdfCost {
  kInteractive,  // 2 passes, 64 MiB: phones and the CLI (default)
  kModerate,     // 3 passes, 256 MiB: desktops that unlock once per session
  kMinimum,      // WARNING: tests only
};

// One relay, as the network's operators publish it.
struct RelaySpec {
  std::string address;  // tocsin://<pin>@host:port
  std::string invite;   // an operator invite (text form); needed only at Create
};

enum class LinkState { kConnecting, kConnected, kFailing };

// One of this device's mailboxes.
struct RelayInfo {
  std::string address;
  LinkState state = LinkState::kConnecting;
  Status last_error;  // when kFailing
};

// How a contact came to be.
enum class ContactOrigin {
  kAdded,      // we imported their card
  kRequested,  // they wrote to us first: a contact request
};

struct ContactInfo {
  ContactId id;
  std::string name;
  std::string identity_key;  // hex of the 32-byte identity key we trust
  ContactOrigin origin = ContactOrigin::kAdded;
  bool verified = false;  // the safety number was compared (MarkVerified)
  // A different identity key was offered for this contact (a new card, or a message
  // from it). Nothing is sent to it or accepted from it until MarkVerified.
  bool identity_changed = false;
  bool reachable = false;  // we have at least one address to send to
  std::uint64_t added_ms = 0;
};

struct GroupInfo {
  GroupId id;
  std::string name;
  std::vector<ContactId> members;           // who receives what we send to the group
  std::vector<ContactId> accepted_senders;  // whose group messages we accept
};

enum class EventKind {
  // A message from a contact (pairwise or group). `payload` is the serialized
  // tocsin.app.Payload (proto/tocsin/alert.proto); `text` is set for a Text payload.
  kMessage,
  // Someone we did not know wrote to us with our card's intro token. They are now a
  // contact (unverified); their first message follows as a kMessage event.
  kContactRequest,
  // A message of ours was not delivered before its TTL passed. `message_id` says which,
  // `contact` to whom (for a group message `group` is set, and every member that got
  // no copy has an event of its own). Either no relay of the recipient stored a copy
  // for it (`stored_on_relay` false): they were out of reach until the TTL passed, or
  // refused it for good (a revoked token; the event then comes when the last of them
  // refuses). Or, for a pairwise message, a relay stored it but the recipient's device never
  // confirmed it: every device sends an end-to-end encrypted receipt for each message
  // it commits, and none came (`stored_on_relay` true; the recipient was offline, or
  // its device is gone).
  kUndelivered,
  // A message came from a contact's new, unverified identity key. It is held (not
  // shown) until the user compares the new safety number and calls MarkVerified.
  kIdentityChangeRefused,
  // A contact sent its group key for a group we have not joined (or not accepted it as
  // a sender of). JoinGroup with it as a sender to accept.
  kGroupInvite,
  // A relay link changed state. Not stored: `id` is 0 and Done is not needed.
  kRelayState,
};

struct Event {
  EventId id = 0;
  EventKind kind = EventKind::kMessage;
  std::uint64_t time_ms = 0;  // when it happened on this device (received, expired)
  ContactId contact;          // the sender, or the recipient of an undelivered message
  GroupId group;              // for group messages and invites
  MessageId message_id;
  std::uint64_t sent_ms = 0;  // the sender's clock
  std::optional<std::string> text;
  std::string payload;
  std::string relay;  // kRelayState
  LinkState link_state = LinkState::kConnecting;
  Status error;                  // kRelayState when failing
  bool stored_on_relay = false;  // kUndelivered: see there
};

// How far a message sent by this device got (Client::Delivery).
struct DeliveryState {
  // Recipients for whom no relay has stored a copy yet: the message waits in the outbox
  // for them (retried while the device runs) until a relay takes it or its TTL passes.
  std::size_t recipients_waiting = 0;
  // Copies still to be stored, one per relay of a recipient: those of recipients already
  // reached included (each message goes to every relay of its recipient).
  std::size_t copies_waiting = 0;
};

struct SendOptions {
  // How long relays keep the message, and how long the outbox retries it. Zero: the
  // client's default (ClientOptions::default_ttl). A longer TTL than
  // ClientOptions::ttl_cap is shortened to it (not refused), so that the ids of seen
  // messages, kept the TTL cap plus a day, outlive every copy; each relay's own cap
  // applies too.
  std::chrono::seconds ttl{0};
};

struct ClientOptions {
  std::shared_ptr<Clock> clock;    // null: the system clock
  std::shared_ptr<Random> random;  // null: the operating system's CSPRNG (libsodium)
  KdfCost kdf = KdfCost::kInteractive;
  // k: how many relays keep a mailbox for this device (Create only). 0: 2 when two or
  // more relays are given, else 1.
  unsigned mailboxes = 0;

  // The TTL of a send that gives none (at most ttl_cap, as every TTL).
  std::chrono::seconds default_ttl{72 * 3600};
  // The relays' TTL cap: no message is sent with a longer TTL, and seen message ids,
  // retired keys and pending messages are kept at least this long.
  std::chrono::seconds ttl_cap{72 * 3600};
  std::chrono::seconds envelope_key_rotation{7 * 24 * 3600};
  std::chrono::seconds signed_prekey_rotation{7 * 24 * 3600};
  // A group message whose sender key is missing this long gets a ResendRequest.
  std::chrono::seconds resend_after{60};
  // Received and sent content older than this is purged (by whole days).
  std::chrono::seconds content_retention{7 * 24 * 3600};

  // Outbox retries: exponential backoff with full jitter between these.
  std::chrono::milliseconds retry_min{500};
  std::chrono::milliseconds retry_max{60000};
  // How often timers look at rotations, expiries, pending messages and retention.
  std::chrono::milliseconds maintenance_interval{1000};
  // How often, while a relay link stays up, the one-time pre-keys left on it are
  // counted and topped up when few are left (they are also counted whenever the link
  // connects), and delivery tokens given to contacts that the relay has not taken yet
  // (a registration that timed out) are registered again. Checked at
  // maintenance_interval granularity.
  std::chrono::milliseconds prekey_check_interval{10 * 60 * 1000};

  // Relay links.
  std::chrono::milliseconds request_timeout{15000};
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{30000};
  std::uint32_t window = 64;

  unsigned seal_threads = 2;  // threads sealing a group message for its members
};

}  // namespace tocsin

#endif  // TOCSIN_TYPES_H_
