// Sealing of store rows: keys derived from the data key, hashed row names and AEAD
// records bound to their row.
//
// A record is: version (1 byte) || nonce (24) || XChaCha20-Poly1305-IETF ciphertext of
// (name length, 4 bytes big-endian || name || value) || tag (16). The associated data is
// "tocsin/store/v1" || version || family id || stored key, so a record copied to another
// row, another column or another store version fails authentication. The name inside
// lets iteration and re-keying recover what a hashed row is called.
//
// Thread-safety: a KeySet is immutable once built and may be shared between threads.
#ifndef TOCSIN_STORE_SEALER_H_
#define TOCSIN_STORE_SEALER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/random.h"
#include "crypto/secure_buffer.h"
#include "store/columns.h"
#include "store/plaintext.h"
#include "tocsin/status.h"

namespace tocsin::store {

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kNamedKeySize = 32;   // BLAKE2b-256 of a name
inline constexpr std::size_t kDayPrefixSize = 16;  // BLAKE2b-128 of a day
inline constexpr std::uint8_t kRecordVersion = 1;
// version + nonce + name length + tag
inline constexpr std::size_t kRecordOverhead = 1 + 24 + 4 + 16;

// The keys of an unlocked store. The value key and the index key are independent
// subkeys of the data key (crypto_kdf_derive_from_key), so a hashed row name says
// nothing about the sealing key and vice versa.
class KeySet {
 public:
  // REQUIRES: data_key.size() == kKeySize.
  static std::shared_ptr<const KeySet> Derive(const crypto::SecretBytes& data_key);

  // The stored key of a named row: BLAKE2b-256 keyed with the index key over
  // family || name.
  std::string NamedKey(std::uint8_t family, ByteView name) const;
  // The stored-key prefix of one day's alert rows: BLAKE2b-128 keyed over "day" || day.
  std::string DayPrefix(Day day) const;

  const crypto::SecretBytes& value_key() const { return value_key_; }

 private:
  KeySet() = default;
  crypto::SecretBytes value_key_;
  crypto::SecretBytes index_key_;
};

// Seals (name, value) for the row `stored_key` of `family` under `key` (the value key,
// or a day key for alert content).
std::string SealRecord(const crypto::SecretBytes& key, std::uint8_t family,
                       std::string_view stored_key, ByteView name, ByteView value,
                       crypto::Rng& rng);

// A decrypted record; name() and value() view into bytes.
struct OpenedRecord {
  Plaintext bytes;
  std::size_t name_size = 0;
  ByteView name() const { return ByteView(bytes).subspan(4, name_size); }
  ByteView value() const { return ByteView(bytes).subspan(4 + name_size); }
};

// Opens a record sealed by SealRecord for the same key, family and stored key.
// kCorruption when it is malformed or fails authentication (tampered, or moved from
// another row); nothing is decrypted into memory the caller sees in that case.
Result<OpenedRecord> OpenRecord(const crypto::SecretBytes& key, std::uint8_t family,
                                std::string_view stored_key, std::string_view record);

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_SEALER_H_
