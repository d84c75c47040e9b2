#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "crypto/sealed_sender.h"

namespace tocsin::crypto {

std::uint8_t* StaticDhCache::Slot(std::size_t index) {
  return slabs_[index / kSlabEntries].data() + (index % kSlabEntries) * kX25519Size;
}

const std::uint8_t* StaticDhCache::Slot(std::size_t index) const {
  return slabs_[index / kSlabEntries].data() + (index % kSlabEntries) * kX25519Size;
}

StaticDhCache::Key StaticDhCache::KeyOf(const X25519KeyPair& ours, PublicKeyView theirs) {
  Key key;
  std::copy(ours.public_key().begin(), ours.public_key().end(), key.begin());
  std::copy(theirs.begin(), theirs.end(), key.begin() + kX25519Size);
  return key;
}

bool StaticDhCache::Lookup(const Key& key, std::span<std::uint8_t, kX25519Size> out) const {
  std::shared_lock lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  std::memcpy(out.data(), Slot(it->second), kX25519Size);
  return true;
}

Status StaticDhCache::Get(const X25519KeyPair& ours, PublicKeyView theirs,
                          std::span<std::uint8_t, kX25519Size> out) {
  const Key key = KeyOf(ours, theirs);
  if (Lookup(key, out)) return Status::Ok();
  TOCSIN_RETURN_IF_ERROR(X25519(ours.private_key(), theirs, out));
  std::unique_lock lock(mutex_);
  if (index_.contains(key)) return Status::Ok();  // another thread computed it meanwhile
  std::size_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = next_slot_++;
    if (slot / kSlabEntries == slabs_.size()) slabs_.emplace_back(kSlabEntries * kX25519Size);
  }
  std::memcpy(Slot(slot), out.data(), kX25519Size);
  index_.emplace(key, slot);
  return Status::Ok();
}

Status StaticDhCache::Find(const X25519KeyPair& ours, PublicKeyView theirs,
                           std::span<std::uint8_t, kX25519Size> out) const {
  if (Lookup(KeyOf(ours, theirs), out)) return Status::Ok();
  return X25519(ours.private_key(), theirs, out);
}

void StaticDhCache::Forget(PublicKeyView key) {
  std::unique_lock lock(mutex_);
  for (auto it = index_.begin(); it != index_.end();) {
    const bool ours = std::equal(key.begin(), key.end(), it->first.begin());
    const bool theirs = std::equal(key.begin(), key.end(), it->first.begin() + kX25519Size);
    if (ours || theirs) {
      sodium_memzero(Slot(it->second), kX25519Size);
      free_slots_.push_back(it->second);
      it = index_.erase(it);
    } else {
      ++it;
    }
  }
}

bool StaticDhCache::Contains(PublicKeyView key) const {
  std::shared_lock lock(mutex_);
  return std::any_of(index_.begin(), index_.end(), [key](const auto& entry) {
    return std::equal(key.begin(), key.end(), entry.first.begin()) ||
           std::equal(key.begin(), key.end(), entry.first.begin() + kX25519Size);
  });
}

std::size_t StaticDhCache::size() const {
  std::shared_lock lock(mutex_);
  return index_.size();
}

}  // namespace tocsin::crypto
