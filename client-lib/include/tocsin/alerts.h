// tocsin::AlertService: alert trees on top of a tocsin::Client (docs/alerts.md).
//
// A tree is a roster of members (dispatcher, coordinator, verifier, responder,
// subscriber) with parents, backups, zones, languages and skills. Its trust root is a
// genesis record (admin identity keys, threshold m); tree_id = SHA-256 of the genesis
// bytes. Admins sign one view per member: the member's own entry, its parent chain, its
// children, its backup, the branches it backs up, the zone groups it is in, and which
// identity keys may send which lifecycle message (Alert, Update, AllClear, Cancel,
// VerifyRequest). Admins and dispatchers hold the whole roster; everyone else holds its
// own view only. docs/alerts.md is the guide; proto/SPEC.md section 15 the bytes.
//
// One alert's life: Report -> VerifyRequest -> VerifyResult -> Alert (zone group) ->
// Acks (to the member's parent and the originator) -> BranchStatus roll-ups ->
// escalation (reach lists, handover to a backup, then to the parent; turnout cap) ->
// Update / AllClear / Cancel / expiry -> purged after the retention period. Every
// message carries the alert's sequence number: a late Alert after its AllClear shows as
// resolved.
//
// Messages travel through the Client (pairwise sessions and sender-key groups); the
// service takes the alert-tree payloads before they become Client events, so an
// application sees them as AlertEvents here and never as Client kMessage events.
//
// Authorisation: a lifecycle message from a key the held view does not authorise for
// its type, a view that is unsigned, badly signed, of another tree or older than the one
// held, and anything from a revoked key are dropped, recorded as a security flag
// (kSecurityFlag event) and reported to the tree's dispatchers. They change nothing.
// Trees are kept apart: a message naming an alert with another tree than the alert's is
// dropped the same way, a view naming a group that is not its tree's is refused, and a
// key revoked in one tree stays a contact while another tree held here lists it or the
// user holds it as a contact of its own. The ALERT token is the device's: a rotation
// that one tree causes brings the new card to every tree the device is in.
//
// Time: every timer (ack timeout, verifier timeout, coalescing, expiry, retention) reads
// the injected Clock (AlertOptions::clock, else the client's clock). With
// AlertOptions::run_timers the service calls Tick itself every timer_interval; tests
// leave it off and call Tick(now) to drive time. Times that other devices wrote (an
// alert's expiry and sent time, ack times) are shown and used in this device's clock:
// they are converted with both devices' offsets to the relays' clock, measured by the
// client against its ClientOptions::clock (proto/SPEC.md 14.10), so expiry holds
// across devices whose clocks disagree. An AlertOptions::clock other than the client's
// should keep the same time as it.
//
// Identifiers: TreeId is 64 hex characters (the SHA-256 of the genesis); AlertId is 32
// hex characters chosen by the originator; MemberKey is a member's identity key as
// Client::IdentityKey shows it (64 hex characters).
//
// Errors (tocsin/status.h): kInvalidArgument (malformed id, spec or card; a member that
// does not exist in the roster; an alert without "es" and "en" texts), kNotFound (no such
// tree or alert), kUnauthorized (this device may not do it: not an admin, not a
// dispatcher, not a verifier asked), kCryptoFailure (a view or revocation fails its
// signatures), kExpired (an older view than the one held), kRateLimited (a report over
// the per-source limit), kUnavailable (the client is closed), kInternal.
//
// Thread-safety: every method may be called from any thread and blocks until its work
// is done. Event handlers run on the service's own thread, one at a time; they may call
// any method of the service except Close. Build: link tocsin::alerts.
#ifndef TOCSIN_ALERTS_H_
#define TOCSIN_ALERTS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tocsin/client.h"
#include "tocsin/status.h"
#include "tocsin/types.h"

namespace tocsin {

namespace alerts {
class AlertEngine;
}

using TreeId = std::string;     // 64 hex characters
using AlertId = std::string;    // 32 hex characters
using MemberKey = std::string;  // 64 hex characters: an identity key

// ---------------------------------------------------------------- enums

enum class MemberRole { kDispatcher, kCoordinator, kVerifier, kResponder, kSubscriber };

// The lifecycle messages a view authorises senders for.
enum class LifecycleType { kAlert, kUpdate, kAllClear, kCancel, kVerifyRequest };

enum class AlertMode { kActual, kExercise, kTest };  // CAP status: EXERCISE / TEST banners
enum class Severity { kExtreme, kSevere, kModerate, kMinor };
enum class Certainty { kUnknown, kObserved, kLikely, kPossible };  // kUnknown: UNVERIFIED

enum class AckKind { kReceived, kResponding, kAvailableFar, kDeclined, kOnScene, kDeparted };

enum class VerifyOutcome { kConfirmed, kFalseAlarm, kUnable, kOnMyWay };

// Where an alert is, as this device knows it.
enum class AlertState {
  kReported,    // a Report, not yet sent to verifiers: UNVERIFIED
  kVerifying,   // VerifyRequest sent (or received, on a verifier)
  kConfirmed,   // a verifier confirmed; not yet dispatched
  kUnable,      // the verifier could not verify; the dispatcher decides
  kDispatched,  // the Alert went out (or arrived)
  kEscalated,   // an escalation step ran (reach list, handover)
  kUpdated,     // an Update went out (or arrived)
  kAllClear,    // resolved
  kCancelled,   // a false alarm or a cancel: resolved
  kExpired,     // past expires_at without an AllClear: resolved
};

// True for kAllClear, kCancelled and kExpired.
bool IsResolved(AlertState state);

// Lower-case names for JSON and the CLI ("dispatcher", "legal_observer" are free text):
// "dispatcher", "alert", "actual", "extreme", "observed", "responding", "confirmed",
// "all_clear", ... The Parse* functions accept exactly these; nullopt otherwise.
const char* ToString(MemberRole role);
const char* ToString(LifecycleType type);
const char* ToString(AlertMode mode);
const char* ToString(Severity severity);
const char* ToString(Certainty certainty);
const char* ToString(AckKind kind);
const char* ToString(VerifyOutcome outcome);
const char* ToString(AlertState state);
std::optional<MemberRole> ParseMemberRole(std::string_view text);
std::optional<AlertMode> ParseAlertMode(std::string_view text);
std::optional<Severity> ParseSeverity(std::string_view text);
std::optional<Certainty> ParseCertainty(std::string_view text);
std::optional<AckKind> ParseAckKind(std::string_view text);
std::optional<VerifyOutcome> ParseVerifyOutcome(std::string_view text);

// ---------------------------------------------------------------- trees

// A tree's escalation policy, carried in every signed view (so the dispatchers' clients
// and the coordinators use the admins' settings).
struct EscalationPolicy {
  std::chrono::seconds ack_timeout{120};     // then reach lists and handovers
  std::uint32_t loops = 2;                   // escalation rounds (1 = no reminder round)
  std::chrono::seconds verify_timeout{120};  // then the backup verifier is asked too
  // Turnout cap: when responding + on scene reaches it, one automatic
  // Update{stand_by} ("enough responders, stand by"). 0: no cap. Per skill/role name
  // ("legal_observer": 12) in addition to the total.
  std::uint32_t turnout_cap = 0;
  std::map<std::string, std::uint32_t> turnout_cap_per_role{};
  std::chrono::seconds alert_expiry{12 * 3600};     // default expires_at of an Alert
  std::chrono::seconds retention{24 * 3600};        // resolved alerts purged after this
  std::chrono::milliseconds status_coalesce{2000};  // at most one BranchStatus per this
  std::uint32_t reports_per_hour = 10;              // per source member; over it: dropped
};

// Creating a tree: this device is the first admin (and, usually, the dispatcher).
// Fill it (and EscalationPolicy) field by field: GCC 12 reports a designated initializer
// of a struct holding a std::map as maybe-uninitialized under -Werror.
struct TreeSpec {
  std::string name{};
  // Other admins' identity keys (hex), after ours. Empty: we are the only admin (m = 1).
  std::vector<MemberKey> other_admins{};
  std::uint32_t threshold = 1;  // m; REQUIRES: 1 <= m <= n
  EscalationPolicy policy{};
  // Our own roster entry (role kDispatcher by default).
  std::string my_name = "dispatcher";
  MemberRole my_role = MemberRole::kDispatcher;
  std::vector<std::string> my_zones{};
  std::vector<std::string> my_languages = {"es", "en"};
};

// A member as the roster (or a view) holds it.
struct MemberInfo {
  MemberKey key{};
  std::string name{};
  MemberRole role = MemberRole::kResponder;
  MemberKey parent{};                    // empty for the root (a dispatcher)
  MemberKey backup{};                    // who takes over this member's branch; may be empty
  std::vector<std::string> zones{};      // "boyle-heights"
  std::vector<std::string> languages{};  // BCP 47: "es", "en", "ko", "quc"
  std::vector<std::string> skills{};     // "legal_observer", "documenter", "medic", ...
  bool revoked = false;
  // The entry carries the member's long-term card (sent by its device after its first
  // view): the members allowed to write to it can reach it without an intro token.
  bool alert_card = false;
};

// Adding a member (admin only): its contact card gives its identity key and addresses.
struct MemberSpec {
  std::string card{};  // TOCSIN1:... (Client::MyCard)
  std::string name{};
  MemberRole role = MemberRole::kResponder;
  MemberKey parent{};  // REQUIRES: a member already in the roster (empty for a dispatcher)
  MemberKey backup{};  // may be empty, or a member already in the roster
  std::vector<std::string> zones{};
  std::vector<std::string> languages{};
  std::vector<std::string> skills{};
};

struct TreeInfo {
  TreeId id{};
  std::string name{};
  std::uint64_t version = 0;  // the roster version of the held view (or roster)
  // The admins who sign for the tree now and their threshold m: the genesis's, or those
  // of the last admin-set change (admin_set_version 1, 2, ...; 0: the genesis's).
  std::vector<MemberKey> admins{};
  std::uint32_t threshold = 1;
  std::uint64_t admin_set_version = 0;
  // The roster-holding admin device: signed views, revocations and admin-set changes
  // waiting for the other admins' signatures (ExportPending).
  std::size_t pending = 0;
  bool is_admin = false;      // this device holds an admin key of the tree
  bool holds_roster = false;  // admins and dispatchers: the whole roster
  MemberInfo me{};            // our entry
  EscalationPolicy policy{};
  // What this device may see: the whole roster (holds_roster), else our view's entries
  // (parent chain, children, backup, branches we back up).
  std::vector<MemberInfo> members{};
  // Who may send each lifecycle type, as our view says.
  std::map<LifecycleType, std::vector<MemberKey>> authorised{};
  std::vector<MemberKey> backs_up{};  // coordinators whose branch we hold in advance
};

// One item of a co-signing bundle, for a co-admin to read before signing it.
struct CosignItem {
  std::string kind{};  // "view", "revocation" or "admins"
  TreeId tree{};
  std::string tree_name{};    // the genesis's name
  std::uint64_t version = 0;  // roster version (view, revocation) or admin-set version
  MemberKey member{};         // the view's member, or the revoked key
  std::string member_name{};  // a view's member's name
  MemberRole role = MemberRole::kResponder;  // a view's member's role
  bool holds_roster = false;                 // a view carrying the whole roster (a dispatcher's)
  std::vector<MemberKey> admins{};           // "admins": the new set
  std::uint32_t threshold = 0;               // "admins": its threshold
  std::uint32_t signatures = 0;              // valid signatures so far
  std::uint32_t needed = 0;                  // m of the set that signs it
  bool signed_by_us = false;                 // our key is in the set that signs it
};

// ---------------------------------------------------------------- alerts

struct LocalizedText {
  std::string language{};  // "es", "en", ...
  std::string text{};
  std::string instructions{};
};

struct ReportSpec {
  std::vector<std::string> zones{};
  std::string text{};
  std::string language = "es";
  std::string source = "member";     // "hotline", "member"; never a caller's number
  std::uint64_t observed_at_ms = 0;  // 0: now
};

struct AlertSpec {
  AlertMode mode = AlertMode::kActual;
  Severity severity = Severity::kSevere;
  Certainty certainty = Certainty::kObserved;
  std::vector<std::string> zones{};         // REQUIRES: not empty
  std::vector<std::string> roles_needed{};  // skills asked to respond; others: information
  std::vector<LocalizedText> texts{};       // REQUIRES: "es" and "en" at least
  std::chrono::seconds expires_in{0};       // 0: the tree's alert_expiry
  // Whether an alert is shown verified is decided by SendAlert, not asked for: it is
  // verified when the report it comes from has a kConfirmed answer from a verifier, or
  // when the dispatcher vouches for it itself (saw it, or confirmed it by other means):
  // `dispatcher_confirms`. Otherwise (a new alert without a report, a report nobody
  // answered, or answered kUnable) every screen says UNVERIFIED, and after kUnable the
  // certainty is kPossible whatever `certainty` says.
  bool dispatcher_confirms = false;
};

struct AckSpec {
  AckKind kind = AckKind::kReceived;
  std::uint32_t eta_minutes = 0;  // for kResponding
};

// One member's latest ack, as a coordinator or the originator sees it.
struct AckInfo {
  MemberKey member{};
  std::string name{};
  AckKind kind = AckKind::kReceived;
  std::uint32_t eta_minutes = 0;
  std::uint64_t at_ms = 0;
};

// One branch (a coordinator and its responders), rolled up.
struct BranchInfo {
  MemberKey coordinator{};
  std::string coordinator_name{};
  MemberKey held_by{};  // the coordinator, or its backup / parent after a handover
  bool handed_over = false;
  bool coordinator_acked = false;
  std::uint32_t received = 0;
  std::uint32_t responding = 0;
  std::uint32_t on_scene = 0;
  std::uint32_t available_far = 0;
  std::uint32_t declined = 0;
  std::uint32_t departed = 0;
  std::uint32_t no_answer = 0;
  std::vector<MemberKey> to_reach{};  // no ack after the ack timeout: call them
  std::vector<std::string> to_reach_names{};
  std::uint64_t updated_ms = 0;
};

struct AlertInfo {
  AlertId id{};
  TreeId tree{};
  AlertState state = AlertState::kReported;
  std::uint32_t sequence = 0;  // the highest seen
  MemberKey originator{};      // the dispatcher who sent the Alert (or the reporter)
  MemberKey reporter{};
  bool verified = false;  // false: show UNVERIFIED
  AlertMode mode = AlertMode::kActual;
  Severity severity = Severity::kSevere;
  Certainty certainty = Certainty::kUnknown;
  std::vector<std::string> zones{};
  std::vector<std::string> roles_needed{};
  bool asked_to_respond = false;       // our skills match roles_needed
  std::vector<LocalizedText> texts{};  // the latest (Alert, then each Update) texts
  std::string report_text{};
  std::string report_source{};
  std::string cancel_reason{};
  bool stand_by = false;  // the turnout cap was reached
  std::uint64_t created_ms = 0;
  std::uint64_t sent_ms = 0;
  std::uint64_t expires_at_ms = 0;
  std::uint64_t resolved_ms = 0;
  std::optional<AckKind> my_ack{};
  std::optional<VerifyOutcome> verify_outcome{};
  std::string verify_note{};
};

// What `alert status` draws: the alert, one line per branch, totals, who to reach.
struct AlertStatusInfo {
  AlertInfo alert{};
  std::vector<BranchInfo> branches{};
  BranchInfo totals{};                // sums over the branches (coordinator empty)
  std::vector<AckInfo> acks{};        // every ack this device holds, latest per member
  std::vector<MemberKey> to_reach{};  // union of the branches' lists
};

// ---------------------------------------------------------------- events

enum class AlertEventKind {
  kReport,         // a Report arrived (dispatchers): UNVERIFIED
  kVerifyRequest,  // we are asked to verify (verifiers)
  kVerifyResult,   // a verifier answered (dispatchers)
  kAlert,          // an Alert arrived (or arrived late, already resolved: see state)
  kUpdate,         // an Update (stand_by: the turnout cap)
  kAllClear,       // resolved
  kCancel,         // resolved (false alarm, duplicate, ...)
  kExpired,        // resolved by time
  kAck,            // an ack arrived (parents, originators)
  kStatusChanged,  // a branch roll-up changed (BranchStatus in, or our own roll-up)
  kEscalation,     // a step ran: reach list made, branch handed over, reminder sent
  kHandover,       // we now hold another coordinator's branch for this alert
  kSecurityFlag,   // something was dropped as unauthorised: see `reason`
  kViewAccepted,   // a newer signed view (or the tree) is now held
  kRevoked,        // a member was revoked (or we were)
};

struct AlertEvent {
  AlertEventKind kind = AlertEventKind::kAlert;
  std::uint64_t time_ms = 0;
  TreeId tree{};
  AlertId alert{};  // empty for tree events
  MemberKey from{};
  std::string from_name{};             // when our view names the sender
  std::optional<AlertInfo> info{};     // the alert's state after this event
  std::optional<AckInfo> ack{};        // kAck
  std::optional<BranchInfo> branch{};  // kStatusChanged, kHandover, kEscalation
  std::optional<VerifyOutcome> outcome{};
  std::string text{};    // a report's text, a verifier's note, an escalation's description
  std::string reason{};  // kSecurityFlag: "unauthorised AllClear", "stale view", ...
};

// ---------------------------------------------------------------- the service

struct AlertOptions {
  // Timers read this clock. Null: the client's clock (ClientOptions::clock).
  std::shared_ptr<Clock> clock{};
  // Call Tick(clock now) every timer_interval on a thread of the service. Off: the
  // application (or a test) calls Tick.
  bool run_timers = true;
  std::chrono::milliseconds timer_interval{500};
};

class AlertService {
 public:
  // Attaches to `client`: takes the alert-tree payloads it receives from now on (and
  // those it stored and did not finish before a crash), loads the trees and alerts from
  // its store. REQUIRES: `client` outlives the service; one service per client.
  static Result<std::unique_ptr<AlertService>> Attach(Client& client, AlertOptions options = {});

  ~AlertService();  // Close
  AlertService(const AlertService&) = delete;
  AlertService& operator=(const AlertService&) = delete;

  // Stops the timers and the event thread and detaches from the client. Idempotent.
  // REQUIRES: not called from an event handler.
  void Close();

  // ------------------------------------------------------------ trees (admins)

  // A new tree with us as its first admin (and as `spec.my_role`, a dispatcher by
  // default), version 1. Other admins are named by key; with threshold 1 our signature
  // alone makes views. kInvalidArgument for threshold 0 or above the admin count.
  // This device holds the roster and signs everything it makes; with a threshold m above
  // 1, views, revocations and admin-set changes wait (TreeInfo::pending) until m-1 other
  // admins co-sign them: ExportPending, CoSignBundle on their devices, ImportSignatures.
  Result<TreeId> CreateTree(const TreeSpec& spec);

  // Adds (or, for a key already there, changes) a member; the roster version goes up.
  // The card is imported as a contact (unverified if new). Nothing is sent until
  // PushViews. kUnauthorized unless we are an admin; kInvalidArgument for a bad card, a
  // parent or backup not in the roster.
  Result<MemberInfo> AddMember(const TreeId& tree, const MemberSpec& spec);

  // A member's replaced phone: `new_card` has its new identity key, which takes the old
  // key's place in the roster (name, role, parent, children, backup, zones, skills and
  // authorisations stay). The old key is revoked as by RemoveMember (the old phone may be
  // in someone else's hands: signed revocation, ALERT tokens rotated) and the views are
  // pushed. Members accept the new key from its signed view without re-verifying safety
  // numbers (the admins vouch). kNotFound for an old key not in the roster;
  // kInvalidArgument for a bad card, our own key, or a new key already in the tree or
  // revoked.
  Result<MemberInfo> ReplaceMemberKey(const TreeId& tree, const MemberKey& old_key,
                                      const std::string& new_card);

  // Removes a member: a signed revocation (version up), pushed at once to every member
  // whose view mentions the key and to every member whose card the removed key's view
  // held, and views pushed. Receivers (and this device) drop the key from the tree's
  // authorisations and group senders, and forget its contact (its delivery tokens are
  // revoked on their relays at once, it leaves their groups: new sender keys) unless
  // another tree they hold lists it or it is a contact of the user's own (the user added
  // its card, or it wrote first): a tree takes back only the contacts trees brought. A
  // view older than the revocation does not bring the key back. Every member whose card
  // the removed key held (the admins included) replaces its ALERT token (grace 0: the
  // removed device's copy is refused by the relays) and sends the new card to its
  // neighbours and the admins, in this tree and in every other tree it is in.
  // kNotFound for a key not in the roster; kInvalidArgument for our own key.
  Status RemoveMember(const TreeId& tree, const MemberKey& member);

  // Sets the tree's escalation policy (version up; goes out with the next PushViews).
  Status SetPolicy(const TreeId& tree, const EscalationPolicy& policy);

  // Signs the current version's view of every member whose view changed since it was
  // last pushed (all of them with `all`), sends each to its member (pairwise) and makes
  // the zone groups follow the roster. Returns how many views were sent.
  Result<std::size_t> PushViews(const TreeId& tree, bool all = false);

  // A member's current signed view, serialized (a TreeUpdate payload), for carrying it
  // by hand. kNotFound for a member not in the roster.
  Result<std::string> ExportView(const TreeId& tree, const MemberKey& member);

  // Adds our admin signature to a view or revocation exported by another admin (m > 1),
  // returning the bytes with one more signature. kUnauthorized unless we are an admin of
  // the set that signs it.
  Result<std::string> CoSignView(const std::string& signed_update);

  // ------------------------------------------------------------ m of n (admins)

  // Changes who the tree's admins are and their threshold: `admins` is the whole new set
  // (our key included: this device holds the roster), `threshold` its m. The change is an
  // AdminSet signed by m of the current admins: with the current m = 1 it takes effect at
  // once, else it waits for co-signatures like a view. Once it takes effect, every view is
  // signed again (by the new set, carrying the chain of changes since the genesis) and
  // members refuse views and revocations signed by a replaced set. kUnauthorized unless
  // we hold the tree's roster; kInvalidArgument for a malformed or repeated key, a set
  // without our key, or a threshold outside 1..n.
  Status ChangeAdmins(const TreeId& tree, const std::vector<MemberKey>& admins,
                      std::uint32_t threshold);

  // Everything of `tree` waiting for co-signatures (views, revocations, an admin-set
  // change) as one text bundle, "TOCSINCOSIGN1:" + base64, for the other admins.
  Result<std::string> ExportPending(const TreeId& tree);

  // What a bundle asks to sign, checked (chain of admin sets, signatures so far), for a
  // co-admin to read before CoSignBundle. kInvalidArgument for a malformed bundle;
  // kCryptoFailure for a broken chain of admin sets.
  Result<std::vector<CosignItem>> InspectBundle(const std::string& bundle);

  // Adds our signature to every item of `bundle` and returns it. Needs no tree record:
  // any device whose key is in the set that signs each item. kUnauthorized when our key
  // is not in it (nothing is signed then).
  Result<std::string> CoSignBundle(const std::string& bundle);

  // The roster-holding admin: takes the (valid) signatures of a co-signed bundle into
  // what is pending; whatever then has m signatures is sent (views, revocations) or takes
  // effect (an admin-set change). Returns how many items did. kNotFound for a tree we do
  // not hold; kUnauthorized unless we are its roster-holding admin.
  Result<std::size_t> ImportSignatures(const std::string& bundle);

  // ------------------------------------------------------------ trees (everyone)

  // Takes a TreeUpdate (signed view or revocation) given by hand. Views normally arrive
  // as messages and are taken automatically (kViewAccepted events). kCryptoFailure
  // (unsigned, badly signed), kInvalidArgument (not a tree update, not for us), kExpired
  // (older than the view held), kUnauthorized (it names a group that is not its tree's:
  // another tree's, or one the device holds outside the tree); each refusal is also a
  // kSecurityFlag event.
  Status AcceptUpdate(const std::string& signed_update);

  Result<std::vector<TreeInfo>> Trees() const;
  Result<TreeInfo> Tree(const TreeId& tree) const;

  // ------------------------------------------------------------ alerts

  // Sends a Report to the tree's dispatchers (any member; a dispatcher may report to
  // itself). Shown UNVERIFIED until a VerifyResult kConfirmed. Returns the new alert id.
  Result<AlertId> Report(const TreeId& tree, const ReportSpec& spec);

  // Dispatcher: sends a VerifyRequest to the verifiers of the alert's zones (`verifiers`
  // when not empty). A verifier who does not answer within the policy's verify_timeout
  // gets its backup asked too (once). kUnauthorized unless our view lets us send
  // VerifyRequest.
  Status RequestVerification(const AlertId& alert, const std::vector<MemberKey>& verifiers = {});

  // Verifier: answers a VerifyRequest (to the dispatchers). kUnauthorized unless we were
  // asked.
  Status SendVerifyResult(const AlertId& alert, VerifyOutcome outcome, const std::string& note,
                          std::uint32_t eta_minutes = 0);

  // Dispatcher: sends the Alert to the zones' groups. `alert` empty: a new alert id;
  // else the report's id (the report becomes the alert). Returns the alert id. The alert
  // is marked verified only as AlertSpec::dispatcher_confirms says.
  // kInvalidArgument without "es" and "en" texts or zones, or for another tree's alert;
  // kUnauthorized unless our view lets us send Alert.
  Result<AlertId> SendAlert(const TreeId& tree, const AlertSpec& spec, const AlertId& alert = "");

  // Dispatcher: Update / AllClear / Cancel of an alert we know (sequence + 1), to the
  // zones' groups and their subscribers. kUnauthorized unless our view allows the type.
  Status SendUpdate(const AlertId& alert, const std::vector<LocalizedText>& texts,
                    bool stand_by = false);
  Status SendAllClear(const AlertId& alert, const std::vector<LocalizedText>& texts);
  Status SendCancel(const AlertId& alert, const std::string& reason,
                    const std::vector<LocalizedText>& texts = {});

  // Acks an alert: to our parent and to its originator only (pairwise). Any member who
  // received it. Later acks replace earlier ones (responding -> on scene -> departed).
  Status Ack(const AlertId& alert, const AckSpec& ack);

  Result<std::vector<AlertInfo>> Alerts(const TreeId& tree = "") const;
  Result<AlertInfo> GetAlert(const AlertId& alert) const;
  // The roll-up: per branch (as this device holds them), totals and the reach list.
  Result<AlertStatusInfo> GetStatus(const AlertId& alert) const;

  // ------------------------------------------------------------ events and time

  // Events go to `handler` on the service's event thread, one at a time, in order. Set
  // it once, before events matter; null stops it. Without a handler they queue for
  // WaitEvent.
  void SetEventHandler(std::function<void(const AlertEvent&)> handler);
  // Without a handler: the next event, waiting up to `timeout`; nullopt when none.
  std::optional<AlertEvent> WaitEvent(std::chrono::milliseconds timeout);

  // Every security flag recorded for `tree` (kept until the tree's retention passes).
  Result<std::vector<AlertEvent>> SecurityFlags(const TreeId& tree) const;

  // Runs every timer due at `now_ms`: ack and verifier timeouts, escalation steps,
  // coalesced BranchStatus, turnout cap, expiry, retention purge. Each step is keyed
  // (alert, step, target) and runs once, so calling Tick again changes nothing. Returns
  // how many steps ran.
  Result<std::size_t> Tick(std::uint64_t now_ms);

  // The service's clock (AlertOptions::clock or the client's).
  std::uint64_t NowMs() const;

 private:
  explicit AlertService(std::unique_ptr<alerts::AlertEngine> engine);
  std::unique_ptr<alerts::AlertEngine> engine_;
};

}  // namespace tocsin

#endif  // TOCSIN_ALERTS_H_
