#include "crypto/signal_memory_store.h"

#include <algorithm>
#include <cassert>

namespace tocsin::crypto {

// ---------------------------------------------------------------- Table

template <typename Key>
std::optional<Record> InMemorySignalStore::Table<Key>::Get(const Key& key) const {
  if (auto staged = staged_.find(key); staged != staged_.end()) return staged->second;
  if (auto committed = committed_.find(key); committed != committed_.end()) {
    return committed->second;
  }
  return std::nullopt;
}

template <typename Key>
std::vector<Key> InMemorySignalStore::Table<Key>::Keys() const {
  std::vector<Key> keys;
  for (const auto& [key, value] : committed_) {
    if (!staged_.contains(key)) keys.push_back(key);
  }
  for (const auto& [key, value] : staged_) {
    if (value) keys.push_back(key);
  }
  return keys;
}

template <typename Key>
void InMemorySignalStore::Table<Key>::Commit() {
  for (auto& [key, value] : staged_) {
    if (value) {
      committed_[key] = std::move(*value);
    } else {
      committed_.erase(key);
    }
  }
  staged_.clear();
}

// ---------------------------------------------------------------- Batches

InMemorySignalStore::InMemorySignalStore(X25519KeyPair identity, std::uint32_t registration_id)
    : identity_(std::move(identity)), registration_id_(registration_id) {}

void InMemorySignalStore::BeginBatch() {
  std::lock_guard lock(mutex_);
  assert(!batch_open_);
  batch_open_ = true;
}

void InMemorySignalStore::CommitBatch() {
  std::lock_guard lock(mutex_);
  assert(batch_open_);
  CommitAll();
  batch_open_ = false;
}

void InMemorySignalStore::DiscardBatch() {
  std::lock_guard lock(mutex_);
  assert(batch_open_);
  identities_.Discard();
  sessions_.Discard();
  pre_keys_.Discard();
  signed_pre_keys_.Discard();
  sender_keys_.Discard();
  batch_open_ = false;
}

void InMemorySignalStore::set_write_observer(std::function<void(std::string_view)> observer) {
  std::lock_guard lock(mutex_);
  observer_ = std::move(observer);
}

void InMemorySignalStore::CommitAll() {
  identities_.Commit();
  sessions_.Commit();
  pre_keys_.Commit();
  signed_pre_keys_.Commit();
  sender_keys_.Commit();
}

template <typename Key>
void InMemorySignalStore::Write(Table<Key>& table, std::string_view what, const Key& key,
                                std::optional<Record> value) {
  table.Put(key, std::move(value));
  if (observer_) observer_(what);
  if (!batch_open_) CommitAll();
}

namespace {
Record ToRecord(std::span<const std::uint8_t> bytes) { return {bytes.begin(), bytes.end()}; }
}  // namespace

// ---------------------------------------------------------------- Identity

Result<bool> InMemorySignalStore::SaveIdentity(const Address& address, PublicKeyView identity_key) {
  std::lock_guard lock(mutex_);
  const Record key = ToRecord(identity_key);
  const bool changed = identities_.Get(address) != key;
  Write(identities_, "SaveIdentity", address, key);
  return changed;
}

Status InMemorySignalStore::ClearIdentity(const Address& address) {
  std::lock_guard lock(mutex_);
  Write(identities_, "ClearIdentity", address, std::nullopt);
  return Status::Ok();
}

Result<bool> InMemorySignalStore::IsTrustedIdentity(const Address& address,
                                                    PublicKeyView identity_key) {
  std::lock_guard lock(mutex_);
  const std::optional<Record> stored = identities_.Get(address);
  return !stored || *stored == ToRecord(identity_key);
}

// ---------------------------------------------------------------- Sessions

Result<std::optional<Record>> InMemorySignalStore::LoadSession(const Address& address) {
  std::lock_guard lock(mutex_);
  return sessions_.Get(address);
}

Status InMemorySignalStore::StoreSession(const Address& address,
                                         std::span<const std::uint8_t> record) {
  std::lock_guard lock(mutex_);
  Write(sessions_, "StoreSession", address, ToRecord(record));
  return Status::Ok();
}

Result<bool> InMemorySignalStore::ContainsSession(const Address& address) {
  std::lock_guard lock(mutex_);
  return sessions_.Get(address).has_value();
}

Result<std::vector<std::int32_t>> InMemorySignalStore::GetSubDeviceSessions(std::string_view name) {
  std::lock_guard lock(mutex_);
  std::vector<std::int32_t> ids;
  for (const Address& address : sessions_.Keys()) {
    if (address.name == name && address.device_id != 1) ids.push_back(address.device_id);
  }
  return ids;
}

Result<bool> InMemorySignalStore::DeleteSession(const Address& address) {
  std::lock_guard lock(mutex_);
  if (!sessions_.Get(address)) return false;
  Write(sessions_, "DeleteSession", address, std::nullopt);
  return true;
}

Result<int> InMemorySignalStore::DeleteAllSessions(std::string_view name) {
  std::lock_guard lock(mutex_);
  int deleted = 0;
  for (const Address& address : sessions_.Keys()) {
    if (address.name != name) continue;
    Write(sessions_, "DeleteSession", address, std::nullopt);
    ++deleted;
  }
  return deleted;
}

// ---------------------------------------------------------------- Pre-keys

Result<std::optional<Record>> InMemorySignalStore::LoadPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  return pre_keys_.Get(id);
}

Status InMemorySignalStore::StorePreKey(std::uint32_t id, std::span<const std::uint8_t> record) {
  std::lock_guard lock(mutex_);
  Write(pre_keys_, "StorePreKey", id, ToRecord(record));
  return Status::Ok();
}

Result<bool> InMemorySignalStore::ContainsPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  return pre_keys_.Get(id).has_value();
}

Status InMemorySignalStore::RemovePreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  Write(pre_keys_, "RemovePreKey", id, std::nullopt);
  return Status::Ok();
}

Result<std::optional<Record>> InMemorySignalStore::LoadSignedPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  return signed_pre_keys_.Get(id);
}

Status InMemorySignalStore::StoreSignedPreKey(std::uint32_t id,
                                              std::span<const std::uint8_t> record) {
  std::lock_guard lock(mutex_);
  Write(signed_pre_keys_, "StoreSignedPreKey", id, ToRecord(record));
  return Status::Ok();
}

Result<bool> InMemorySignalStore::ContainsSignedPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  return signed_pre_keys_.Get(id).has_value();
}

Status InMemorySignalStore::RemoveSignedPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  Write(signed_pre_keys_, "RemoveSignedPreKey", id, std::nullopt);
  return Status::Ok();
}

// ---------------------------------------------------------------- Sender keys

Status InMemorySignalStore::StoreSenderKey(const SenderKeyName& name,
                                           std::span<const std::uint8_t> record) {
  std::lock_guard lock(mutex_);
  Write(sender_keys_, "StoreSenderKey", name, ToRecord(record));
  return Status::Ok();
}

Result<std::optional<Record>> InMemorySignalStore::LoadSenderKey(const SenderKeyName& name) {
  std::lock_guard lock(mutex_);
  return sender_keys_.Get(name);
}

}  // namespace tocsin::crypto
