// ContactBook: this device's contacts, in memory, written through batches.
//
// A contact is named by a random 16-byte id (ContactId in the API is its hex), which is
// also its libsignal address name: the id stays when the contact's identity key is
// replaced and re-verified. The trusted identity key is the one sealed envelopes from
// the contact must be authenticated by; an offered different key (a replaced phone)
// waits in `offered_identity_key` until the user verifies it.
//
// Static DH outputs cached for a contact's keys (its identity key, offered identity key
// and envelope keys; SPEC.md 10, "Caching") are dropped when a committed change replaces
// one of those keys (a newer envelope key, a verified new identity) or deletes the
// contact.
//
// Thread-safety: the client's worker thread only.
#ifndef TOCSIN_CORE_CONTACTS_H_
#define TOCSIN_CORE_CONTACTS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "crypto/sealed_sender.h"
#include "store/device_store.h"
#include "tocsin/client.pb.h"
#include "tocsin/status.h"
#include "tocsin/types.h"

namespace tocsin::core {

class ContactBook {
 public:
  // `dh_cache` (may be null) is the cache to drop replaced keys from; it must outlive
  // the book.
  static Result<std::unique_ptr<ContactBook>> Load(store::DeviceStore& store,
                                                   crypto::StaticDhCache* dh_cache);

  // nullptr when unknown. Pointers stay valid until the next commit that changes them.
  const client::ContactRecord* Find(const std::string& id) const;
  const client::ContactRecord* FindByIdentity(const std::string& identity_key) const;
  const client::ContactRecord* FindByOfferedIdentity(const std::string& identity_key) const;
  std::vector<const client::ContactRecord*> All() const;
  std::size_t size() const { return contacts_.size(); }

  // Stages `record` (new or changed); memory follows on commit.
  Status Stage(Batch& batch, const client::ContactRecord& record);
  Status StageDelete(Batch& batch, const std::string& id);

 private:
  ContactBook() = default;
  void Apply(const client::ContactRecord& record);
  void Remove(const std::string& id);
  // Forgets the cached DH outputs of the keys of `old` that `now` (null: none) no longer
  // holds.
  void ForgetReplacedKeys(const client::ContactRecord& old, const client::ContactRecord* now);

  crypto::StaticDhCache* dh_cache_ = nullptr;
  std::map<std::string, client::ContactRecord> contacts_;  // by contact id (16 bytes)
  std::map<std::string, std::string> by_identity_;         // identity key -> id
  std::map<std::string, std::string> by_offered_;          // offered identity key -> id
};

// The API's view of a contact.
ContactInfo ToContactInfo(const client::ContactRecord& record);

// Whether a contact's record gives us somewhere to send (an envelope key and an
// address).
bool Reachable(const client::ContactRecord& record);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_CONTACTS_H_
