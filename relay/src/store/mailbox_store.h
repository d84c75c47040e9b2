// MailboxStore: everything a relay keeps, behind one narrow interface (docs/design.md,
// docs/architecture.md, proto/SPEC.md Appendix A).
//
// What it holds: mailboxes (auth key, token hashes by class, quota counters, next
// sequence number), their queues of envelopes and views, multi-recipient blobs, pre-keys
// and invites, plus an expiry index for the sweeper.
//
// Writes go through one writer thread that coalesces whatever requests are waiting into
// one batch and one commit (group commit; one fsync with Durability::kFsync). A write's
// callback runs only after its batch is durable, so "Stored" is never answered for
// something a crash could lose. Acks are the exception: a batch of Acks only is committed
// without an fsync (the next synced batch carries it; proto/SPEC.md 5.5). Validation
// (tokens, quotas, invites, pre-key counts) happens on the writer thread against committed
// state plus the batch being built, so two racing requests can never both take the last
// pre-key or the last quota slot.
//
// Reads (GetMailbox, ReadQueue, Stats, Check) see committed data only and may run on
// any thread.
//
// Thread-safety: every method may be called from any thread. Callbacks run on the
// writer thread: they must be short and must not call back into the store
// synchronously (post the work elsewhere instead).
#ifndef TOCSIN_RELAY_STORE_MAILBOX_STORE_H_
#define TOCSIN_RELAY_STORE_MAILBOX_STORE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/kv_store.h"
#include "tocsin/status.h"

namespace tocsin::relay {

class KvStore;  // store/kv_store.h: the key-value layer (RocksDB, in-memory, faulty)

inline constexpr std::size_t kMailboxIdSize = 16;
inline constexpr std::size_t kBlobHandleSize = 16;
inline constexpr std::size_t kTokenSize = 16;
inline constexpr std::size_t kTokenHashSize = 32;
inline constexpr std::size_t kAuthKeySize = 32;
inline constexpr std::size_t kInviteSize = 16;

using MailboxId = std::array<std::uint8_t, kMailboxIdSize>;
using BlobHandle = std::array<std::uint8_t, kBlobHandleSize>;
using Token = std::array<std::uint8_t, kTokenSize>;
// BLAKE2b-256 of a Token (crypto_generichash, no key). The store keeps only these.
using TokenHash = std::array<std::uint8_t, kTokenHashSize>;
using AuthKey = std::array<std::uint8_t, kAuthKeySize>;  // Ed25519 public key

// Same numbers as relay.proto TokenClass.
enum class TokenClass : std::uint8_t { kIntro = 1, kContact = 2, kAlert = 3 };
inline constexpr std::size_t kTokenClassCount = 3;
// 0 for kIntro, 1 for kContact, 2 for kAlert.
constexpr std::size_t ClassIndex(TokenClass c) { return static_cast<std::size_t>(c) - 1; }

enum class Durability {
  kFsync,  // every commit is fsync'd before its callbacks run (the default)
  kWal,    // written to the WAL without fsync: a power cut may lose the last commits
};

// Limits of one token class, per mailbox. 0 means "no limit" for the counters.
struct ClassQuota {
  std::uint32_t max_queued_messages = 0;        // envelopes + views queued under this class
  std::uint64_t max_queued_bytes = 0;           // their bytes (envelope, or view + blob size)
  std::uint32_t max_sends = 0;                  // over the life of one token (intro: a few)
  std::uint32_t max_prekey_fetches = 0;         // over the life of one token (intro: 1)
  std::uint32_t default_token_ttl_seconds = 0;  // TokenEntry.ttl_seconds == 0; 0 = never
};

struct StoreOptions {
  Durability durability = Durability::kFsync;
  std::array<ClassQuota, kTokenClassCount> quotas{};   // indexed by ClassIndex()
  std::uint64_t token_grace_ms = 24ull * 3600 * 1000;  // RotateToken without grace
  std::uint32_t max_views_per_blob = 20000;
  std::uint32_t max_one_time_prekeys = 1000;  // stored per mailbox
  std::uint32_t max_tokens_per_mailbox = 256;
  // How often the built-in sweeper deletes expired entries, blobs, tokens and invites;
  // 0 disables it (tests call SweepExpired themselves).
  std::uint32_t sweep_interval_ms = 10000;
  // Tokens and invites past their expiry are kept this long before the sweeper deletes
  // them, so that their use is answered kExpired rather than kUnauthorized.
  std::uint64_t expired_keep_ms = 7ull * 24 * 3600 * 1000;
  // TTL of an Append or PutBlob with ttl_seconds == 0, and the most any may ask for.
  std::uint32_t max_ttl_seconds = 72u * 3600;
  // Writes are refused (kUnavailable, "disk full") while the filesystem holding the
  // store has less free space than this, so that RocksDB itself does not run out of
  // space: after a failed write it takes no more until it is reopened. 0: no reserve.
  std::uint64_t min_free_bytes = 0;
  // RocksDB's own messages (Open only; see RocksKvOptions::log). Empty: dropped.
  KvLog engine_log;
  // Unix time in ms. A parameter so that tests control expiry.
  std::function<std::uint64_t()> now_ms;  // empty: the system clock
  // Bytes for mailbox ids, blob handles and invites. Empty: randombytes_buf.
  std::function<void(std::span<std::uint8_t>)> random;
  // Called on the writer thread after each commit that wrote, or failed: requests in
  // the batch, microseconds of the write (+ fsync), success. For metrics and logs;
  // must be quick and must not call the store.
  std::function<void(std::uint64_t ops, std::uint64_t micros, bool ok)> on_commit;
};

// One queued item of a mailbox, as pushed to its owner (relay.proto Delivery).
struct QueuedEntry {
  MailboxId mailbox{};
  std::uint64_t seq = 0;  // per mailbox, from 1, strictly increasing, never reused
  std::uint64_t expires_at_ms = 0;
  // Exactly one of `envelope` (a Send) or `blob` + `view` (a SendViews view) is set.
  std::shared_ptr<const std::string> envelope;
  std::shared_ptr<const std::string> blob;  // shared by every view of one blob
  std::string view;                         // 48 bytes
};

struct MailboxInfo {
  AuthKey auth_key{};
  std::uint64_t queued = 0;  // entries waiting
  std::uint32_t one_time_prekeys_left = 0;
};

struct TokenEntry {
  TokenClass token_class = TokenClass::kContact;
  TokenHash token_hash{};
  std::uint32_t ttl_seconds = 0;  // 0: the class default
};

struct SignedPrekey {
  std::uint32_t id = 0;
  std::string public_key;  // libsignal serialized, 33 bytes
  std::string signature;   // 64 bytes
};

struct OneTimePrekey {
  std::uint32_t id = 0;
  std::string public_key;  // 33 bytes
};

struct PrekeyUpload {
  std::uint32_t registration_id = 0;
  std::uint32_t device_id = 0;
  std::optional<SignedPrekey> signed_prekey;  // replaces the stored one when set
  std::vector<OneTimePrekey> one_time;        // added (an existing id is replaced)
};

struct PrekeyBundle {
  std::uint32_t registration_id = 0;
  std::uint32_t device_id = 0;
  SignedPrekey signed_prekey;
  std::optional<OneTimePrekey> one_time;  // deleted durably before this is returned
};

// Names the rate buckets of one (mailbox, delivery token) pair (proto/SPEC.md section
// 11). `token_digest` is SipHash (128-bit output) of mailbox and token under the rate
// limiter's own random key (protocol/rate_limiter.h): it holds no secret, means nothing
// outside the process, and nobody can steer digests into one hash-table slot. SipHash
// rather than BLAKE2b because a SendViews frame needs up to 2,000 of them.
struct DeliveryRateKey {
  MailboxId mailbox{};
  std::array<std::uint8_t, 16> token_digest{};
};

// Envelope rates into mailboxes, enforced where nothing can overtake them. The store's
// writer asks the gate about each envelope, view and pre-key fetch that passed every
// other check, right before it is written; one refused is refused RATE_LIMITED, and
// nothing of it is written. What the gate admits it counts at once, so requests that
// were all in flight together cannot all pass a check made before any was counted, and
// a sender that closes its connection before the answer is counted all the same. Only
// what passed the token check is counted: a sender without a valid token cannot use up
// a mailbox's rate. Called on the writer thread only.
class DeliveryGate {
 public:
  virtual ~DeliveryGate() = default;
  // 0: admitted and counted against `key`'s rates. Otherwise the ms until it would be.
  virtual std::uint32_t Admit(const DeliveryRateKey& key, std::uint64_t now_ms) = 0;
  // Gives back one envelope Admit counted whose commit then failed: it was never stored.
  virtual void Refund(const DeliveryRateKey& key, std::uint64_t now_ms) = 0;
};

struct ViewRequest {
  MailboxId mailbox{};
  Token token{};
  std::string view;                     // 48 bytes
  std::optional<DeliveryRateKey> rate;  // asked of the delivery gate, when set
};

struct StoreStats {
  std::uint64_t mailboxes = 0;
  std::uint64_t queued_entries = 0;
  std::uint64_t queued_bytes = 0;
  std::uint64_t blobs = 0;
  std::uint64_t blob_bytes = 0;
  std::uint64_t one_time_prekeys = 0;
  std::uint64_t invites = 0;
  std::uint64_t oldest_entry_ms = 0;  // when the oldest queued entry was stored; 0: none
  KvMemory memory;                    // the storage engine's caches and buffers
};

struct CheckReport {
  std::uint64_t entries_checked = 0;
  std::vector<std::string> problems;  // empty when consistent; no ids in clear text
  bool ok() const { return problems.empty(); }
};

// Counters for metrics; monotonic since Open.
struct StoreCounters {
  std::uint64_t commits = 0;
  std::uint64_t committed_ops = 0;  // requests committed (sum of batch sizes)
  std::uint64_t commit_micros = 0;  // total time in Write (+ fsync)
  std::uint64_t entries_stored = 0;
  std::uint64_t entries_acked = 0;
  std::uint64_t entries_expired = 0;
  std::uint64_t bytes_stored = 0;
  std::uint64_t commit_failures = 0;
  std::uint64_t disk_full_refusals = 0;  // batches refused for the free-space reserve
  std::uint64_t recoveries = 0;          // reopens after a failed write
  bool writable = true;                  // false from a failed write until a recovery
};

template <typename T>
using Callback = std::function<void(Result<T>)>;
using StatusCallback = std::function<void(Status)>;

class MailboxStore {
 public:
  // Opens (creating if missing) the RocksDB store in `dir` (the parent must exist).
  // kIoError / kCorruption with the reason when it cannot be opened (another process
  // holds its lock, a damaged file, ...).
  static Result<std::unique_ptr<MailboxStore>> Open(const std::string& dir, StoreOptions options);
  // The same logic over any key-value layer (in-memory, fault-injecting).
  static Result<std::unique_ptr<MailboxStore>> OpenOn(std::unique_ptr<KvStore> kv,
                                                      StoreOptions options);

  // Close()s if still open.
  ~MailboxStore();
  MailboxStore(const MailboxStore&) = delete;
  MailboxStore& operator=(const MailboxStore&) = delete;

  // Stops taking writes (later ones fail with kUnavailable), commits what is queued,
  // runs its callbacks, stops the sweeper and closes the database. Idempotent.
  void Close();

  // Called on the writer thread after each commit with the entries it stored, in
  // commit order (seq increasing per mailbox), before the writes' own callbacks run.
  // The fan-out pushes them to live subscribers. Thread-safe: the writer may already be
  // committing (the sweeper runs from the start); entries stored before the listener is
  // set are not passed to it. The listener must not call SetStoredListener.
  void SetStoredListener(std::function<void(std::span<const QueuedEntry>)> listener);

  // ---- invites and mailboxes

  // A new invite good for `uses` mailboxes until `expires_at_ms` (0: never). Returns
  // its kInviteSize bytes; only their BLAKE2b-256 hash is stored.
  void CreateInvite(std::uint32_t uses, std::uint64_t expires_at_ms, Callback<std::string> done);

  // Spends one use of `invite` and opens a mailbox with a random id for `auth_key`.
  // kUnauthorized: no such invite, or used up; kExpired: past its expiry.
  void CreateMailbox(std::string invite, const AuthKey& auth_key, Callback<MailboxId> done);

  // kNotFound for an unknown mailbox.
  Result<MailboxInfo> GetMailbox(const MailboxId& mailbox) const;

  // Deletes the mailbox and everything of it: queue, views, tokens, pre-keys.
  void DeleteMailbox(const MailboxId& mailbox, StatusCallback done);

  // ---- tokens

  // Adds tokens to a mailbox. kNotFound: no mailbox; kQuotaExceeded: over
  // max_tokens_per_mailbox. Returns how many tokens are now valid.
  void SetTokens(const MailboxId& mailbox, std::vector<TokenEntry> tokens,
                 Callback<std::uint32_t> done);

  // Adds `new_token` and makes `old_hash` expire after `grace_seconds` (unset: the
  // store's token_grace_ms; 0: now). kNotFound for an unknown mailbox or old token.
  // Returns when the old token stops working (Unix ms).
  void RotateToken(const MailboxId& mailbox, const TokenHash& old_hash, TokenEntry new_token,
                   std::optional<std::uint32_t> grace_seconds, Callback<std::uint64_t> done);

  // ---- sending (token-checked: kNotFound no mailbox, kUnauthorized no such token,
  // kExpired token past its life, kQuotaExceeded over its class quota)

  // Queues one envelope; returns its seq once durable. `ttl_seconds` is already
  // checked against the relay's cap by the caller. With `rate`, the delivery gate is
  // asked last (kRateLimited).
  void Append(const MailboxId& mailbox, const Token& token, std::string envelope,
              std::uint32_t ttl_seconds, Callback<std::uint64_t> done,
              std::optional<DeliveryRateKey> rate = std::nullopt);

  // Stores a multi-recipient body once; its views expire with it.
  void PutBlob(std::string blob, std::uint32_t ttl_seconds, Callback<BlobHandle> done);

  // Queues views of a stored blob; one code per view, in order (kOk or a send error
  // above; kBadFrame for a view that is not 48 bytes or names a mailbox twice in one
  // call). A mailbox that already has a view of this blob gets kOk and nothing new is
  // queued, so a retried SendViews never delivers twice. The whole call fails with
  // kNotFound for an unknown or expired handle, kTooLarge past max_views_per_blob.
  void AppendViews(const BlobHandle& handle, std::vector<ViewRequest> views,
                   Callback<std::vector<Code>> done);

  // ---- receiving

  // Up to `max` entries of `mailbox` with seq > after_seq, in order, unexpired.
  Status ReadQueue(const MailboxId& mailbox, std::uint64_t after_seq, std::size_t max,
                   std::vector<QueuedEntry>* out) const;

  // Deletes the listed entries (unknown seqs are ignored); returns how many existed. Its
  // commit is not fsync'd unless another op of the batch needs it: a power cut before the
  // next synced commit brings the entries back (delivered again, never lost).
  void Ack(const MailboxId& mailbox, std::vector<std::uint64_t> seqs, Callback<std::uint32_t> done);

  // ---- pre-keys

  // Returns the number of one-time pre-keys now stored. kNotFound: no mailbox;
  // kQuotaExceeded: over max_one_time_prekeys (nothing stored).
  void PutPrekeys(const MailboxId& mailbox, PrekeyUpload upload, Callback<std::uint32_t> done);

  // Token-checked (counts against the class's max_prekey_fetches). Deletes the lowest-id
  // one-time pre-key durably, then returns it with the signed pre-key. kNotFound when no
  // signed pre-key was ever uploaded. With `rate`, the delivery gate is asked last.
  void TakePrekeyBundle(const MailboxId& mailbox, const Token& token, Callback<PrekeyBundle> done,
                        std::optional<DeliveryRateKey> rate = std::nullopt);

  // The gate that sending requests with a rate key are admitted by (nullptr: none, every
  // one passes). Any thread; a batch being written keeps the gate it started with.
  void SetDeliveryGate(std::shared_ptr<DeliveryGate> gate);

  // ---- operations

  // Deletes everything expired now (entries, blobs, tokens, invites). Returns how many
  // queue entries went.
  void SweepExpired(Callback<std::uint64_t> done);

  Result<StoreStats> Stats() const;
  // Every queued view points at a live blob, the expiry index matches the queue and
  // blobs, quota counters match the queue, nothing is orphaned.
  Result<CheckReport> Check() const;
  // A consistent copy of the store in `dir` (must not exist), while writes continue.
  Status Checkpoint(const std::string& dir) const;

  StoreCounters counters() const;

 private:
  class Impl;
  explicit MailboxStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// BLAKE2b-256 of a token, as the store and SetTokens use it.
TokenHash HashToken(const Token& token);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_STORE_MAILBOX_STORE_H_
