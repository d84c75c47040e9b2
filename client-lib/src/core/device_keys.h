// DeviceKeys: this device's keys and counters beside libsignal's identity.
//
// - The identity key pair and registration id live in the DeviceSignalStore (made at
//   Create); the identity's public key is sealed sender's S.pub.
// - Envelope keys (SPEC.md 10.4): X25519 pairs signed by the identity key, rotated on
//   schedule; a replaced private key is kept for the retention (TTL cap + 7 days) so
//   envelopes sealed to it can still be opened, then wiped. Opening tries the current key
//   first (EnvelopeKeyPairs()).
// - Signed pre-keys: rotated on the same kind of schedule, old ones kept as long.
// - One-time pre-keys: made in the id slot of each mailbox (SPEC.md section 9).
// - The device record: message counter and the next key ids.
//
// Rows (identity column): "core/device" DeviceRecord, "core/keys" KeyRing,
// "core/envelope_key/<id>" the 32-byte private key (raw, so it only lives in wiped
// buffers).
//
// Changes are staged into a Batch; memory follows on commit.
// Thread-safety: the client's worker thread only.
#ifndef TOCSIN_CORE_DEVICE_KEYS_H_
#define TOCSIN_CORE_DEVICE_KEYS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "core/batch.h"
#include "core/environment.h"
#include "crypto/sealed_sender.h"
#include "crypto/signal_context.h"
#include "crypto/signal_keys.h"
#include "store/device_signal_store.h"
#include "store/device_store.h"
#include "tocsin/client.pb.h"
#include "tocsin/envelope.pb.h"
#include "tocsin/status.h"

namespace tocsin::core {

struct KeyDeps {
  Env env;
  crypto::SignalContext* signal = nullptr;
  store::DeviceStore* store = nullptr;
  store::DeviceSignalStore* signal_store = nullptr;
  crypto::StaticDhCache* dh_cache = nullptr;
};

class DeviceKeys {
 public:
  // A new device: the first envelope key and signed pre-key, and the device record,
  // staged into `batch`. REQUIRES: the identity is in deps.signal_store.
  static Result<std::unique_ptr<DeviceKeys>> CreateNew(const KeyDeps& deps, Batch& batch,
                                                       std::uint32_t mailboxes_per_device);
  // kCorruption when the device was never completely created.
  static Result<std::unique_ptr<DeviceKeys>> Load(const KeyDeps& deps);

  const crypto::X25519KeyPair& identity() const;
  std::uint32_t registration_id() const;
  const client::DeviceRecord& device() const { return device_; }

  // The current envelope key, signed, as contacts get it.
  const envelope::SignedEnvelopeKey& envelope_key() const;
  // Current first, then the retired ones still kept.
  std::vector<const crypto::X25519KeyPair*> EnvelopeKeyPairs() const;
  const client::SignedPrekeyRecord& signed_prekey() const;

  // The next SealedContent counter (memory first: a dropped batch leaves a gap).
  std::uint64_t NextCounter(Batch& batch);

  // Replaces the envelope key / signed pre-key when the current one is older than
  // `every`. True when it did (the new key is current once `batch` commits).
  Result<bool> RotateEnvelopeKeyIfDue(Batch& batch, std::uint64_t every_ms);
  Result<bool> RotateSignedPrekeyIfDue(Batch& batch, std::uint64_t every_ms);
  // Wipes retired keys retired for longer than `retention_ms`. True when any was; then
  // the batch is marked for a scrub, and the caller compacts the identity and signed
  // pre-key columns once it commits (DeviceStore::CompactColumns), so the sealed bytes
  // of the wiped keys leave the files.
  Result<bool> PruneRetired(Batch& batch, std::uint64_t retention_ms);

  // `count` new one-time pre-keys in `mailbox`'s slot (its next_prekey_id advances),
  // their records staged into `batch`. The caller stages the mailbox record.
  Result<std::vector<crypto::PreKey>> MakeOneTimePrekeys(Batch& batch, client::OwnMailbox& mailbox,
                                                         std::uint32_t count);

  // The records as they would be after the batch commits (for the next stage).
  Status StageDevice(Batch& batch);

 private:
  explicit DeviceKeys(const KeyDeps& deps) : deps_(deps) {}
  Status LoadEnvelopeKeys();
  Result<client::EnvelopeKeyRecord> NewEnvelopeKey(Batch& batch,
                                                   std::shared_ptr<crypto::X25519KeyPair>* pair);
  Result<client::SignedPrekeyRecord> NewSignedPrekey(Batch& batch);
  Status StageRing(Batch& batch, const client::KeyRing& ring);

  KeyDeps deps_;
  client::DeviceRecord device_;
  client::KeyRing ring_;                                                            // newest first
  std::map<std::uint32_t, std::shared_ptr<crypto::X25519KeyPair>> envelope_pairs_;  // by key id
};

// The libsignal address of a contact (its id in hex, device 1).
crypto::Address ContactAddress(std::string_view contact_id);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_DEVICE_KEYS_H_
