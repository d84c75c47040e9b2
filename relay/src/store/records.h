// Keys and records of the relay store, as laid out in the column families (kv_store.h).
//
// Integers in keys are big-endian so that keys sort by them; integers in values are
// little-endian fixed width. Every decoder checks sizes and answers false on a short or
// malformed record (Check() reports those as corruption).
#ifndef TOCSIN_RELAY_STORE_RECORDS_H_
#define TOCSIN_RELAY_STORE_RECORDS_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/kv_store.h"
#include "store/mailbox_store.h"

namespace tocsin::relay {

// A short key built without allocation.
class Key {
 public:
  static constexpr std::size_t kCapacity = 96;
  Key& Add(std::string_view bytes);
  template <std::size_t N>
  Key& Add(const std::array<std::uint8_t, N>& bytes) {
    return Add(std::string_view(reinterpret_cast<const char*>(bytes.data()), N));
  }
  Key& AddByte(char byte) { return Add(std::string_view(&byte, 1)); }
  Key& AddBigEndian64(std::uint64_t n);
  Key& AddBigEndian32(std::uint32_t n);
  std::string_view view() const { return std::string_view(data_.data(), size_); }
  operator std::string_view() const { return view(); }  // NOLINT: a key is its bytes

 private:
  std::array<char, kCapacity> data_{};
  std::size_t size_ = 0;
};

std::uint64_t ReadBigEndian64(const char* p);
std::uint32_t ReadBigEndian32(const char* p);
void PutFixed32(std::string* out, std::uint32_t n);
void PutFixed64(std::string* out, std::uint64_t n);
std::uint32_t ReadFixed32(const char* p);
std::uint64_t ReadFixed64(const char* p);

template <std::size_t N>
std::string_view Bytes(const std::array<std::uint8_t, N>& a) {
  return std::string_view(reinterpret_cast<const char*>(a.data()), N);
}
template <std::size_t N>
std::array<std::uint8_t, N> ArrayFrom(std::string_view bytes) {  // REQUIRES: size >= N
  std::array<std::uint8_t, N> out{};
  std::memcpy(out.data(), bytes.data(), N);
  return out;
}

// ---- mailbox family: id || kind [|| token hash]
inline constexpr char kAuthRecord = 'a';
inline constexpr char kStateRecord = 'q';
inline constexpr char kTokenRecord = 't';
Key MailboxKey(const MailboxId& id, char kind);
Key TokenKey(const MailboxId& id, const TokenHash& hash);

struct AuthRecord {
  AuthKey auth_key{};
  std::uint64_t created_ms = 0;
};
std::string EncodeAuth(const AuthRecord& r);
bool DecodeAuth(std::string_view in, AuthRecord* r);

struct ClassUsage {
  std::uint32_t messages = 0;
  std::uint64_t bytes = 0;
  friend bool operator==(const ClassUsage&, const ClassUsage&) = default;
};
// At most this many seqs are handed out past a mailbox's state record before the
// record is written again. Since a removed tail entry leaves no trace, a load from the
// database resumes the numbering this far past the record
// (StoreEngine::ResumeNumbering): no seq is ever given twice, whatever was acked.
inline constexpr std::uint64_t kMaxUnsavedSeqs = 64;

// Written at creation, when pre-keys change, when an entry below next_seq goes (ack,
// expiry) and every kMaxUnsavedSeqs appends, not on every append: the entries at or
// after next_seq (the tail) are counted on top of it when loaded (AddQueueTail), and
// removing one of them needs no new record. That saves a write per queued entry and
// one per ack of a recent entry.
struct StateRecord {
  std::uint64_t next_seq = 1;
  std::uint32_t prekeys = 0;
  std::array<ClassUsage, kTokenClassCount> usage{};
};
std::string EncodeState(const StateRecord& r);
bool DecodeState(std::string_view in, StateRecord* r);

struct TokenRecord {
  TokenClass token_class = TokenClass::kContact;
  std::uint64_t expires_ms = 0;  // 0: never
  std::uint32_t sends = 0;
  std::uint32_t prekey_fetches = 0;
};
std::string EncodeToken(const TokenRecord& r);
bool DecodeToken(std::string_view in, TokenRecord* r);

// ---- queue family: id || big-endian seq
inline constexpr std::size_t kQueueKeySize = kMailboxIdSize + 8;
Key QueueKey(const MailboxId& id, std::uint64_t seq);

enum class EntryKind : std::uint8_t { kEnvelope = 1, kView = 2 };
struct EntryHeader {
  EntryKind kind = EntryKind::kEnvelope;
  TokenClass token_class = TokenClass::kContact;
  std::uint64_t stored_ms = 0;
  std::uint64_t expires_ms = 0;
  std::uint32_t charged_bytes = 0;  // what it counts against its class's byte quota
};
inline constexpr std::size_t kEntryHeaderSize = 22;
// Appends the header; the body follows: envelope bytes, or handle || view.
void EncodeEntryHeader(const EntryHeader& h, std::string* out);
// On success `body` is what follows the header.
bool DecodeEntry(std::string_view in, EntryHeader* h, std::string_view* body);

// Counts the entries of `id` at or after state->next_seq into `state` (usage, next seq).
Status AddQueueTail(const KvReader& kv, const MailboxId& id, StateRecord* state);
// The same for many mailboxes at once, in one pass. Sorts `states` by id.
Status AddQueueTails(const KvReader& kv, std::vector<std::pair<MailboxId, StateRecord*>>* states);

// ---- blob family: handle -> expires, stored, body
inline constexpr std::size_t kBlobHeaderSize = 16;
void EncodeBlobHeader(std::uint64_t expires_ms, std::uint64_t stored_ms, std::string* out);
bool DecodeBlob(std::string_view in, std::uint64_t* expires_ms, std::string_view* body);

// ---- blob views family: handle || be32 record number -> the views one AppendViews
// queued, each mailbox id || fixed64 seq. One record per call, not one per view: a
// 2,000-view frame costs one index write.
inline constexpr std::size_t kViewRefSize = kMailboxIdSize + 8;
Key BlobViewsKey(const BlobHandle& handle, std::uint32_t record);
void AppendViewRef(const MailboxId& mailbox, std::uint64_t seq, std::string* out);
// Calls f(mailbox, seq) for each reference; false when the record is malformed.
template <typename F>
bool ForEachViewRef(std::string_view record, F&& f) {
  if (record.size() % kViewRefSize != 0) return false;
  for (std::size_t pos = 0; pos < record.size(); pos += kViewRefSize) {
    f(ArrayFrom<kMailboxIdSize>(record.substr(pos)),
      ReadFixed64(record.data() + pos + kMailboxIdSize));
  }
  return true;
}

// ---- pre-key family: id || 'r' (ids), id || 's' (signed), id || 'o' || be32 (one-time)
inline constexpr char kPrekeyIds = 'r';
inline constexpr char kSignedPrekey = 's';
inline constexpr char kOneTimePrekey = 'o';
Key PrekeyKey(const MailboxId& id, char kind);
Key OneTimePrekeyKey(const MailboxId& id, std::uint32_t prekey_id);
std::string EncodeSignedPrekey(const SignedPrekey& p);
bool DecodeSignedPrekey(std::string_view in, SignedPrekey* p);

// ---- invite family: hash -> uses left, expires
struct InviteRecord {
  std::uint32_t uses_left = 0;
  std::uint64_t expires_ms = 0;  // 0: never
};
std::string EncodeInvite(const InviteRecord& r);
bool DecodeInvite(std::string_view in, InviteRecord* r);

// ---- expiry family: be64 time || cf || key of the record that expires then
Key ExpiryKey(std::uint64_t at_ms, Cf cf, std::string_view key);
struct ExpiryRef {
  std::uint64_t at_ms = 0;
  Cf cf = Cf::kQueue;
  std::string_view key;
};
bool DecodeExpiryKey(std::string_view in, ExpiryRef* ref);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_STORE_RECORDS_H_
