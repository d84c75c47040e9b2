// The column families of the device store and the names rows are addressed by.
//
// Three kinds of column:
// - named: a row is addressed by a meaningful name (a contact's identity key, a group id,
//   a session address, a message id). The stored RocksDB key is a keyed BLAKE2b hash of
//   the name, so the files do not reveal it; the name itself travels inside the sealed
//   value, so iteration gives it back. Iteration order is the hash order (no meaning).
// - sequence (outbox, pending): a row is addressed by an opaque monotonic counter
//   allocated by Transaction::Append; the stored key is the counter, big-endian, so
//   iteration is in insertion order. The name of a row is its 8-byte big-endian counter.
// - alert: a row is addressed by (day, counter). Its content is sealed under that day's
//   key (PurgeDay destroys it); the stored key is a keyed hash of the day followed by the
//   counter, so the days are not in the files either. The name is AlertName(day, seq).
//
// Thread-safety: constants and pure functions.
#ifndef TOCSIN_STORE_COLUMNS_H_
#define TOCSIN_STORE_COLUMNS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/plaintext.h"

namespace tocsin::store {

enum class Column : std::uint8_t {
  // libsignal's stores.
  kIdentity = 1,       // the device's own keys, registration id and settings
  kSessions = 2,       // pairwise session records by address
  kPreKeys = 3,        // one-time pre-keys by id
  kSignedPreKeys = 4,  // signed pre-keys by id
  kTrustedIdentities = 5,
  kSenderKeys = 6,  // sender-key records by (group, sender) name
  // Tocsin's own.
  kContacts = 7,
  kGroups = 8,
  kTrees = 9,
  kSeenIds = 10,  // (sender identity, message id) of messages already delivered
  kOutbox = 11,   // sequence: sealed bytes waiting for Stored
  kPending = 12,  // sequence: received messages that cannot be decrypted yet
  kAlerts = 13,   // alert: content sealed under a per-day key
};

inline constexpr std::array<Column, 13> kAllColumns = {Column::kIdentity,
                                                       Column::kSessions,
                                                       Column::kPreKeys,
                                                       Column::kSignedPreKeys,
                                                       Column::kTrustedIdentities,
                                                       Column::kSenderKeys,
                                                       Column::kContacts,
                                                       Column::kGroups,
                                                       Column::kTrees,
                                                       Column::kSeenIds,
                                                       Column::kOutbox,
                                                       Column::kPending,
                                                       Column::kAlerts};

enum class ColumnKind { kNamed, kSequence, kAlert };

ColumnKind KindOf(Column column);

// The RocksDB column family name ("sessions", "seen_ids", ...).
std::string_view ColumnName(Column column);

// Internal families, never addressed by callers: `meta` (format, passphrase KDF
// parameters and salt in clear, the wrapped data key, the sealed sequence high-water
// mark) and `day_keys` (one sealed random key per day that has alerts).
inline constexpr std::uint8_t kMetaFamily = 14;
inline constexpr std::uint8_t kDayKeysFamily = 15;
inline constexpr std::size_t kFamilyCount = 16;  // index 0 is RocksDB's "default"

inline std::uint8_t FamilyOf(Column column) { return static_cast<std::uint8_t>(column); }

// Every column family name, indexed by family id (0 = "default", 1..13 the columns,
// 14 = "meta", 15 = "day_keys"). Tools and tests that open the files raw use this.
std::vector<std::string> AllFamilyNames();

// Days are whole days since the Unix epoch (UTC), given by the caller's clock.
using Day = std::uint32_t;

inline constexpr std::size_t kSequenceNameSize = 8;
inline constexpr std::size_t kAlertNameSize = 4 + kSequenceNameSize;

// The name of a sequence row: `seq` big-endian.
std::array<std::uint8_t, kSequenceNameSize> SequenceName(std::uint64_t seq);
// The counter of a sequence row's name; nullopt when `name` is not 8 bytes.
std::optional<std::uint64_t> ParseSequence(ByteView name);

// A day as a row name (day_keys): 4 bytes big-endian.
std::array<std::uint8_t, 4> DayName(Day day);
std::optional<Day> ParseDayName(ByteView name);

struct AlertId {
  Day day = 0;
  std::uint64_t seq = 0;
  friend bool operator==(const AlertId&, const AlertId&) = default;
};
// The name of an alert row: day (4 bytes) || seq (8 bytes), big-endian.
std::array<std::uint8_t, kAlertNameSize> AlertName(AlertId id);
std::optional<AlertId> ParseAlertName(ByteView name);

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_COLUMNS_H_
