#include "core/contacts.h"

#include <algorithm>

#include "core/hex.h"
#include "core/records.h"

namespace tocsin::core {
namespace {

// The keys of a contact that static DH outputs may be cached for.
std::vector<std::string> DhKeys(const client::ContactRecord& record) {
  std::vector<std::string> keys{record.identity_key(), record.envelope_key().public_key(),
                                record.offered_identity_key(),
                                record.offered_envelope_key().public_key()};
  std::erase_if(keys, [](const std::string& key) { return key.size() != crypto::kX25519Size; });
  return keys;
}

}  // namespace

Result<std::unique_ptr<ContactBook>> ContactBook::Load(store::DeviceStore& store,
                                                       crypto::StaticDhCache* dh_cache) {
  std::unique_ptr<ContactBook> book(new ContactBook());
  book->dh_cache_ = dh_cache;
  auto cursor = store.NewCursor(store::Column::kContacts);
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
    client::ContactRecord record;
    TOCSIN_RETURN_IF_ERROR(Parse(cursor->value(), &record));
    book->Apply(record);
  }
  TOCSIN_RETURN_IF_ERROR(cursor->status());
  return book;
}

const client::ContactRecord* ContactBook::Find(const std::string& id) const {
  auto it = contacts_.find(id);
  return it == contacts_.end() ? nullptr : &it->second;
}

const client::ContactRecord* ContactBook::FindByIdentity(const std::string& identity_key) const {
  auto it = by_identity_.find(identity_key);
  return it == by_identity_.end() ? nullptr : Find(it->second);
}

const client::ContactRecord* ContactBook::FindByOfferedIdentity(
    const std::string& identity_key) const {
  auto it = by_offered_.find(identity_key);
  return it == by_offered_.end() ? nullptr : Find(it->second);
}

std::vector<const client::ContactRecord*> ContactBook::All() const {
  std::vector<const client::ContactRecord*> out;
  out.reserve(contacts_.size());
  for (const auto& [id, record] : contacts_) out.push_back(&record);
  return out;
}

Status ContactBook::Stage(Batch& batch, const client::ContactRecord& record) {
  TOCSIN_RETURN_IF_ERROR(
      PutRecord(batch.txn(), store::Column::kContacts, Bytes(record.contact_id()), record));
  batch.OnCommit([this, record] { Apply(record); });
  return Status::Ok();
}

Status ContactBook::StageDelete(Batch& batch, const std::string& id) {
  TOCSIN_RETURN_IF_ERROR(batch.txn().Delete(store::Column::kContacts, Bytes(id)));
  batch.OnCommit([this, id] {
    if (const client::ContactRecord* old = Find(id)) ForgetReplacedKeys(*old, nullptr);
    Remove(id);
  });
  return Status::Ok();
}

void ContactBook::ForgetReplacedKeys(const client::ContactRecord& old,
                                     const client::ContactRecord* now) {
  if (dh_cache_ == nullptr) return;
  const std::vector<std::string> kept = now != nullptr ? DhKeys(*now) : std::vector<std::string>{};
  for (const std::string& key : DhKeys(old)) {
    if (std::find(kept.begin(), kept.end(), key) != kept.end()) continue;
    dh_cache_->Forget(Bytes(key).first<crypto::kX25519Size>());
  }
}

void ContactBook::Remove(const std::string& id) {
  auto it = contacts_.find(id);
  if (it == contacts_.end()) return;
  by_identity_.erase(it->second.identity_key());
  if (!it->second.offered_identity_key().empty()) {
    by_offered_.erase(it->second.offered_identity_key());
  }
  contacts_.erase(it);
}

void ContactBook::Apply(const client::ContactRecord& record) {
  if (const client::ContactRecord* old = Find(record.contact_id())) {
    ForgetReplacedKeys(*old, &record);
  }
  Remove(record.contact_id());
  contacts_[record.contact_id()] = record;
  by_identity_[record.identity_key()] = record.contact_id();
  if (!record.offered_identity_key().empty()) {
    by_offered_[record.offered_identity_key()] = record.contact_id();
  }
}

bool Reachable(const client::ContactRecord& record) {
  return record.envelope_key().public_key().size() == 32 && !record.addresses().empty();
}

ContactInfo ToContactInfo(const client::ContactRecord& record) {
  ContactInfo info;
  info.id = ToHex(record.contact_id());
  info.name = record.name();
  info.identity_key = ToHex(record.identity_key());
  info.origin =
      record.origin() == client::REQUESTED ? ContactOrigin::kRequested : ContactOrigin::kAdded;
  info.verified = record.verified();
  info.identity_changed = !record.offered_identity_key().empty();
  info.reachable = Reachable(record);
  info.added_ms = record.added_ms();
  return info;
}

}  // namespace tocsin::core
