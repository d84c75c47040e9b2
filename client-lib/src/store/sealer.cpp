#include "store/sealer.h"

#include <sodium.h>

#include <cassert>
#include <cstring>

namespace tocsin::store {
namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "tocsinDB";
constexpr std::uint64_t kValueKeyId = 1;
constexpr std::uint64_t kIndexKeyId = 2;
constexpr std::string_view kRecordLabel = "tocsin/store/v1";
constexpr std::size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;

static_assert(kRecordOverhead == 1 + kNonceSize + 4 + kTagSize);

crypto::SecretBytes Subkey(const crypto::SecretBytes& data_key, std::uint64_t id) {
  crypto::SecretBytes out(kKeySize);
  crypto_kdf_derive_from_key(out.data(), out.size(), id, kKdfContext, data_key.data());
  return out;
}

std::string AssociatedData(std::uint8_t family, std::string_view stored_key) {
  std::string ad(kRecordLabel);
  ad.push_back(static_cast<char>(kRecordVersion));
  ad.push_back(static_cast<char>(family));
  ad.append(stored_key);
  return ad;
}

std::string KeyedHash(const crypto::SecretBytes& key, std::size_t size,
                      std::initializer_list<ByteView> parts) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), size);
  for (ByteView part : parts) crypto_generichash_update(&state, part.data(), part.size());
  std::string out(size, '\0');
  crypto_generichash_final(&state, reinterpret_cast<std::uint8_t*>(out.data()), size);
  return out;
}

}  // namespace

std::shared_ptr<const KeySet> KeySet::Derive(const crypto::SecretBytes& data_key) {
  assert(data_key.size() == kKeySize);
  auto keys = std::shared_ptr<KeySet>(new KeySet());
  keys->value_key_ = Subkey(data_key, kValueKeyId);
  keys->index_key_ = Subkey(data_key, kIndexKeyId);
  return keys;
}

std::string KeySet::NamedKey(std::uint8_t family, ByteView name) const {
  const std::uint8_t family_byte[1] = {family};
  return KeyedHash(index_key_, kNamedKeySize, {family_byte, name});
}

std::string KeySet::DayPrefix(Day day) const {
  const std::uint8_t day_bytes[7] = {'d',
                                     'a',
                                     'y',
                                     static_cast<std::uint8_t>(day >> 24),
                                     static_cast<std::uint8_t>(day >> 16),
                                     static_cast<std::uint8_t>(day >> 8),
                                     static_cast<std::uint8_t>(day)};
  const std::uint8_t family_byte[1] = {FamilyOf(Column::kAlerts)};
  return KeyedHash(index_key_, kDayPrefixSize, {family_byte, day_bytes});
}

std::string SealRecord(const crypto::SecretBytes& key, std::uint8_t family,
                       std::string_view stored_key, ByteView name, ByteView value,
                       crypto::Rng& rng) {
  assert(key.size() == kKeySize);
  Plaintext plain(4 + name.size() + value.size());
  const auto name_size = static_cast<std::uint32_t>(name.size());
  for (int i = 0; i < 4; ++i) plain[i] = static_cast<std::uint8_t>(name_size >> (24 - 8 * i));
  if (!name.empty()) std::memcpy(plain.data() + 4, name.data(), name.size());
  if (!value.empty()) std::memcpy(plain.data() + 4 + name.size(), value.data(), value.size());

  std::string record(1 + kNonceSize + plain.size() + kTagSize, '\0');
  auto* out = reinterpret_cast<std::uint8_t*>(record.data());
  out[0] = kRecordVersion;
  rng.Fill({out + 1, kNonceSize});
  const std::string ad = AssociatedData(family, stored_key);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out + 1 + kNonceSize, nullptr, plain.data(), plain.size(),
      reinterpret_cast<const std::uint8_t*>(ad.data()), ad.size(), nullptr, out + 1, key.data());
  return record;
}

Result<OpenedRecord> OpenRecord(const crypto::SecretBytes& key, std::uint8_t family,
                                std::string_view stored_key, std::string_view record) {
  assert(key.size() == kKeySize);
  if (record.size() < kRecordOverhead) return Status::Corruption("store record too short");
  const auto* in = reinterpret_cast<const std::uint8_t*>(record.data());
  if (in[0] != kRecordVersion) return Status::Corruption("store record of unknown version");
  const std::size_t sealed_size = record.size() - 1 - kNonceSize;
  OpenedRecord opened;
  opened.bytes.resize(sealed_size - kTagSize);
  const std::string ad = AssociatedData(family, stored_key);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          opened.bytes.data(), nullptr, nullptr, in + 1 + kNonceSize, sealed_size,
          reinterpret_cast<const std::uint8_t*>(ad.data()), ad.size(), in + 1, key.data()) != 0) {
    return Status::Corruption("store record fails authentication (tampered or moved row)");
  }
  std::uint32_t name_size = 0;
  for (int i = 0; i < 4; ++i) name_size = (name_size << 8) | opened.bytes[i];
  if (name_size > opened.bytes.size() - 4) return Status::Corruption("store record name size");
  opened.name_size = name_size;
  return opened;
}

}  // namespace tocsin::store
