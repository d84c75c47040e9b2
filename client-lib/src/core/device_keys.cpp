#include "core/device_keys.h"

#include <algorithm>

#include "core/hex.h"
#include "core/records.h"
#include "crypto/signal_xeddsa.h"

namespace tocsin::core {
namespace {

constexpr std::string_view kDeviceRow = "core/device";
constexpr std::string_view kKeysRow = "core/keys";

std::string EnvelopeKeyRow(std::uint32_t id) { return "core/envelope_key/" + std::to_string(id); }

std::string AsString(std::span<const std::uint8_t> bytes) { return ToString(bytes); }

}  // namespace

crypto::Address ContactAddress(std::string_view contact_id) {
  return crypto::Address{ToHex(contact_id), 1};
}

Result<std::unique_ptr<DeviceKeys>> DeviceKeys::CreateNew(const KeyDeps& deps, Batch& batch,
                                                          std::uint32_t mailboxes_per_device) {
  std::unique_ptr<DeviceKeys> keys(new DeviceKeys(deps));
  keys->device_.set_format(1);
  keys->device_.set_created_ms(deps.env.NowMs());
  keys->device_.set_mailboxes_per_device(mailboxes_per_device);
  keys->device_.set_next_counter(1);
  keys->device_.set_next_signed_prekey_id(1);
  keys->device_.set_next_envelope_key_id(1);
  std::shared_ptr<crypto::X25519KeyPair> pair;
  auto envelope = keys->NewEnvelopeKey(batch, &pair);
  if (!envelope.ok()) return envelope.status();
  auto signed_prekey = keys->NewSignedPrekey(batch);
  if (!signed_prekey.ok()) return signed_prekey.status();
  *keys->ring_.add_envelope_keys() = *envelope;
  *keys->ring_.add_signed_prekeys() = *signed_prekey;
  keys->envelope_pairs_[envelope->key().key_id()] = std::move(pair);
  TOCSIN_RETURN_IF_ERROR(keys->StageRing(batch, keys->ring_));
  TOCSIN_RETURN_IF_ERROR(keys->StageDevice(batch));
  return keys;
}

Result<std::unique_ptr<DeviceKeys>> DeviceKeys::Load(const KeyDeps& deps) {
  std::unique_ptr<DeviceKeys> keys(new DeviceKeys(deps));
  auto device =
      GetRecord<client::DeviceRecord>(*deps.store, store::Column::kIdentity, Name(kDeviceRow));
  if (!device.ok()) return device.status();
  auto ring = GetRecord<client::KeyRing>(*deps.store, store::Column::kIdentity, Name(kKeysRow));
  if (!ring.ok()) return ring.status();
  if (!device->has_value() || !ring->has_value() || (*ring)->envelope_keys().empty() ||
      (*ring)->signed_prekeys().empty()) {
    return Status::Corruption("the device was not completely created; create it again");
  }
  keys->device_ = std::move(**device);
  keys->ring_ = std::move(**ring);
  TOCSIN_RETURN_IF_ERROR(keys->LoadEnvelopeKeys());
  return keys;
}

Status DeviceKeys::LoadEnvelopeKeys() {
  for (const auto& record : ring_.envelope_keys()) {
    const std::uint32_t id = record.key().key_id();
    auto row = deps_.store->Get(store::Column::kIdentity, Name(EnvelopeKeyRow(id)));
    if (!row.ok()) return row.status();
    if (!row->has_value()) return Status::Corruption("an envelope private key is missing");
    auto pair = crypto::X25519KeyPair::FromPrivate(store::View(**row));
    if (!pair.ok()) return Status::Corruption("an envelope private key is malformed");
    envelope_pairs_[id] = std::make_shared<crypto::X25519KeyPair>(std::move(pair).value());
  }
  return Status::Ok();
}

const crypto::X25519KeyPair& DeviceKeys::identity() const {
  return deps_.signal_store->GetIdentityKeyPair();
}

std::uint32_t DeviceKeys::registration_id() const {
  return deps_.signal_store->GetLocalRegistrationId();
}

const envelope::SignedEnvelopeKey& DeviceKeys::envelope_key() const {
  return ring_.envelope_keys(0).key();
}

std::vector<const crypto::X25519KeyPair*> DeviceKeys::EnvelopeKeyPairs() const {
  std::vector<const crypto::X25519KeyPair*> out;
  for (const auto& record : ring_.envelope_keys()) {
    auto it = envelope_pairs_.find(record.key().key_id());
    if (it != envelope_pairs_.end()) out.push_back(it->second.get());
  }
  return out;
}

const client::SignedPrekeyRecord& DeviceKeys::signed_prekey() const {
  return ring_.signed_prekeys(0);
}

std::uint64_t DeviceKeys::NextCounter(Batch& batch) {
  const std::uint64_t counter = device_.next_counter();
  device_.set_next_counter(counter + 1);
  (void)StageDevice(batch);  // a failure here fails the batch's commit anyway
  return counter;
}

Status DeviceKeys::StageDevice(Batch& batch) {
  return PutRecord(batch.txn(), store::Column::kIdentity, Name(kDeviceRow), device_);
}

Status DeviceKeys::StageRing(Batch& batch, const client::KeyRing& ring) {
  return PutRecord(batch.txn(), store::Column::kIdentity, Name(kKeysRow), ring);
}

Result<client::EnvelopeKeyRecord> DeviceKeys::NewEnvelopeKey(
    Batch& batch, std::shared_ptr<crypto::X25519KeyPair>* pair) {
  const std::uint32_t id = device_.next_envelope_key_id();
  device_.set_next_envelope_key_id(id + 1);
  const std::uint64_t now = deps_.env.NowMs();
  *pair = std::make_shared<crypto::X25519KeyPair>(crypto::X25519KeyPair::Generate(*deps_.env.rng));
  auto signature =
      crypto::SignEnvelopeKey(*deps_.signal, identity(), id, now, (*pair)->public_key());
  if (!signature.ok()) return signature.status();
  TOCSIN_RETURN_IF_ERROR(
      batch.txn().Put(store::Column::kIdentity, Name(EnvelopeKeyRow(id)), (*pair)->private_key()));
  client::EnvelopeKeyRecord record;
  record.mutable_key()->set_key_id(id);
  record.mutable_key()->set_public_key(AsString((*pair)->public_key()));
  record.mutable_key()->set_created_ms(now);
  record.mutable_key()->set_signature(AsString(*signature));
  return record;
}

Result<client::SignedPrekeyRecord> DeviceKeys::NewSignedPrekey(Batch& batch) {
  const std::uint32_t id = device_.next_signed_prekey_id();
  device_.set_next_signed_prekey_id(id + 1);
  auto key = crypto::GenerateSignedPreKey(*deps_.signal, identity(), id, deps_.env.NowMs());
  if (!key.ok()) return key.status();
  store::ScopedSignalBatch attach(*deps_.signal_store, batch.txn());
  TOCSIN_RETURN_IF_ERROR(deps_.signal_store->StoreSignedPreKey(id, key->record));
  client::SignedPrekeyRecord record;
  record.set_id(id);
  record.set_created_ms(key->timestamp_ms);
  record.set_public_key(AsString(key->public_key));
  record.set_signature(AsString(key->signature));
  return record;
}

Result<bool> DeviceKeys::RotateEnvelopeKeyIfDue(Batch& batch, std::uint64_t every_ms) {
  const std::uint64_t now = deps_.env.NowMs();
  if (now < envelope_key().created_ms() + every_ms) return false;
  std::shared_ptr<crypto::X25519KeyPair> pair;
  auto record = NewEnvelopeKey(batch, &pair);
  if (!record.ok()) return record.status();
  client::KeyRing ring = ring_;
  ring.mutable_envelope_keys(0)->set_retired_ms(now);
  ring.mutable_envelope_keys()->Add(std::move(record).value());
  // Newest first.
  std::rotate(ring.mutable_envelope_keys()->rbegin(), ring.mutable_envelope_keys()->rbegin() + 1,
              ring.mutable_envelope_keys()->rend());
  TOCSIN_RETURN_IF_ERROR(StageRing(batch, ring));
  TOCSIN_RETURN_IF_ERROR(StageDevice(batch));
  batch.OnCommit([this, ring, pair] {
    ring_ = ring;
    envelope_pairs_[ring_.envelope_keys(0).key().key_id()] = pair;
  });
  return true;
}

Result<bool> DeviceKeys::RotateSignedPrekeyIfDue(Batch& batch, std::uint64_t every_ms) {
  const std::uint64_t now = deps_.env.NowMs();
  if (now < signed_prekey().created_ms() + every_ms) return false;
  auto record = NewSignedPrekey(batch);
  if (!record.ok()) return record.status();
  client::KeyRing ring = ring_;
  ring.mutable_signed_prekeys(0)->set_retired_ms(now);
  ring.mutable_signed_prekeys()->Add(std::move(record).value());
  std::rotate(ring.mutable_signed_prekeys()->rbegin(), ring.mutable_signed_prekeys()->rbegin() + 1,
              ring.mutable_signed_prekeys()->rend());
  TOCSIN_RETURN_IF_ERROR(StageRing(batch, ring));
  TOCSIN_RETURN_IF_ERROR(StageDevice(batch));
  batch.OnCommit([this, ring] { ring_ = ring; });
  return true;
}

Result<bool> DeviceKeys::PruneRetired(Batch& batch, std::uint64_t retention_ms) {
  const std::uint64_t now = deps_.env.NowMs();
  auto expired = [&](std::uint64_t retired) {
    return retired != 0 && retired + retention_ms < now;
  };
  client::KeyRing ring;
  std::vector<std::uint32_t> wiped_envelope_keys;
  for (const auto& key : ring_.envelope_keys()) {
    if (!expired(key.retired_ms())) {
      *ring.add_envelope_keys() = key;
      continue;
    }
    wiped_envelope_keys.push_back(key.key().key_id());
    TOCSIN_RETURN_IF_ERROR(
        batch.txn().Delete(store::Column::kIdentity, Name(EnvelopeKeyRow(key.key().key_id()))));
  }
  bool pruned = !wiped_envelope_keys.empty();
  store::ScopedSignalBatch attach(*deps_.signal_store, batch.txn());
  for (const auto& key : ring_.signed_prekeys()) {
    if (!expired(key.retired_ms())) {
      *ring.add_signed_prekeys() = key;
      continue;
    }
    pruned = true;
    TOCSIN_RETURN_IF_ERROR(deps_.signal_store->RemoveSignedPreKey(key.id()));
  }
  if (!pruned) return false;
  batch.txn().ScrubOnCommit();
  TOCSIN_RETURN_IF_ERROR(StageRing(batch, ring));
  batch.OnCommit([this, ring, wiped_envelope_keys] {
    ring_ = ring;
    for (std::uint32_t id : wiped_envelope_keys) {
      auto it = envelope_pairs_.find(id);
      if (it == envelope_pairs_.end()) continue;
      deps_.dh_cache->Forget(it->second->public_key());
      envelope_pairs_.erase(it);  // SecretBytes wipes the private key
    }
  });
  return true;
}

Result<std::vector<crypto::PreKey>> DeviceKeys::MakeOneTimePrekeys(Batch& batch,
                                                                   client::OwnMailbox& mailbox,
                                                                   std::uint32_t count) {
  auto range = crypto::PreKeyIdRangeForSlot(mailbox.index());
  if (!range.ok()) return range.status();
  std::uint32_t start = mailbox.next_prekey_id();
  if (!range->Contains(start)) start = range->first;
  auto keys = crypto::GeneratePreKeys(*deps_.signal, *range, start, count);
  if (!keys.ok()) return keys.status();
  store::ScopedSignalBatch attach(*deps_.signal_store, batch.txn());
  for (const auto& key : *keys) {
    TOCSIN_RETURN_IF_ERROR(deps_.signal_store->StorePreKey(key.id, key.record));
  }
  mailbox.set_next_prekey_id(range->Next(keys->back().id));
  return keys;
}

}  // namespace tocsin::core
