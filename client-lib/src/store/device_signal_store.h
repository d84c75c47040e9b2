// DeviceSignalStore: libsignal's five stores (crypto/signal_store.h) on the encrypted
// DeviceStore.
//
// Rows (all sealed like every store value; names hashed):
//   identity            "signal/identity_key_pair" -> the 32-byte private key (the
//                       public key is derived at Open), "signal/registration_id" -> 4 bytes
//   trusted_identities  address -> the 32-byte identity key
//   sessions            address -> session record
//   prekeys, signed_prekeys  id (4 bytes, big-endian) -> record
//   sender_keys         sender-key name -> record
// An address is encoded as name length (4 bytes BE) || name || device id (4 bytes BE); a
// sender-key name as group id length (4 bytes BE) || group id || address.
//
// One write batch (signal_store.h): while a Transaction is attached, every write libsignal
// makes is staged into it and every read sees the staged values, so the caller can stage
// the plaintext and the seen id into the same transaction from the decryption callback and
// commit once. Without an attached transaction each write commits at once (one synced
// batch per write), which suits set-up (publishing pre-keys) but not message handling.
//
// Identity trust is trust on first use, as InMemorySignalStore: a key is trusted when none
// is stored for the address or it equals the stored one; a changed key is refused until
// SaveIdentity records the new one (what verifying the contact does).
//
// Thread-safety: calls are serialised by a mutex. Attach and Detach belong to the thread
// that runs the libsignal operation; one transaction is attached at a time.
#ifndef TOCSIN_STORE_DEVICE_SIGNAL_STORE_H_
#define TOCSIN_STORE_DEVICE_SIGNAL_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/signal_store.h"
#include "crypto/x25519.h"
#include "store/device_store.h"
#include "store/transaction.h"
#include "tocsin/status.h"

namespace tocsin::store {

class DeviceSignalStore final : public crypto::IdentityKeyStore,
                                public crypto::SessionStore,
                                public crypto::PreKeyStore,
                                public crypto::SignedPreKeyStore,
                                public crypto::SenderKeyStore {
 public:
  // Records this device's identity key pair and registration id, at init.
  // kInvalidArgument when the store already has an identity.
  static Status InitIdentity(DeviceStore& store, const crypto::X25519KeyPair& identity,
                             std::uint32_t registration_id);
  // kNotFound when InitIdentity never ran on this store.
  // REQUIRES: `store` outlives the result.
  static Result<std::unique_ptr<DeviceSignalStore>> Open(DeviceStore& store);

  // This object as all five stores.
  crypto::SignalStores stores() { return {this, this, this, this, this}; }

  // Stages every write into `txn` until Detach.
  // REQUIRES: no transaction is attached; `txn` stays alive until Detach.
  void Attach(Transaction& txn);
  void Detach();

  // IdentityKeyStore
  const crypto::X25519KeyPair& GetIdentityKeyPair() override { return identity_; }
  std::uint32_t GetLocalRegistrationId() override { return registration_id_; }
  Result<bool> SaveIdentity(const crypto::Address& address,
                            crypto::PublicKeyView identity_key) override;
  Status ClearIdentity(const crypto::Address& address) override;
  Result<bool> IsTrustedIdentity(const crypto::Address& address,
                                 crypto::PublicKeyView identity_key) override;

  // SessionStore. GetSubDeviceSessions and DeleteAllSessions scan the sessions column
  // (row names are hashed, so there is no prefix to seek): they are for rare, app-level
  // calls, never for the message path. Sub-device ids come sorted.
  Result<std::optional<crypto::Record>> LoadSession(const crypto::Address& address) override;
  Status StoreSession(const crypto::Address& address,
                      std::span<const std::uint8_t> record) override;
  Result<bool> ContainsSession(const crypto::Address& address) override;
  Result<std::vector<std::int32_t>> GetSubDeviceSessions(std::string_view name) override;
  Result<bool> DeleteSession(const crypto::Address& address) override;
  Result<int> DeleteAllSessions(std::string_view name) override;

  // PreKeyStore
  Result<std::optional<crypto::Record>> LoadPreKey(std::uint32_t id) override;
  Status StorePreKey(std::uint32_t id, std::span<const std::uint8_t> record) override;
  Result<bool> ContainsPreKey(std::uint32_t id) override;
  Status RemovePreKey(std::uint32_t id) override;

  // SignedPreKeyStore
  Result<std::optional<crypto::Record>> LoadSignedPreKey(std::uint32_t id) override;
  Status StoreSignedPreKey(std::uint32_t id, std::span<const std::uint8_t> record) override;
  Result<bool> ContainsSignedPreKey(std::uint32_t id) override;
  Status RemoveSignedPreKey(std::uint32_t id) override;

  // SenderKeyStore
  Status StoreSenderKey(const crypto::SenderKeyName& name,
                        std::span<const std::uint8_t> record) override;
  Result<std::optional<crypto::Record>> LoadSenderKey(const crypto::SenderKeyName& name) override;

 private:
  DeviceSignalStore(DeviceStore& store, crypto::X25519KeyPair identity,
                    std::uint32_t registration_id)
      : store_(store), identity_(std::move(identity)), registration_id_(registration_id) {}

  // Through the attached transaction when there is one. REQUIRES: mutex_ held.
  Result<std::optional<crypto::Record>> Read(Column column, ByteView name);
  Status Write(Column column, ByteView name, ByteView value);
  Status Erase(Column column, ByteView name);
  Result<std::vector<crypto::Address>> SessionAddresses(std::string_view name);

  DeviceStore& store_;
  const crypto::X25519KeyPair identity_;
  const std::uint32_t registration_id_;
  std::mutex mutex_;
  Transaction* attached_ = nullptr;  // GUARDED_BY(mutex_)
};

// Attaches `txn` to `store` for its lifetime.
class ScopedSignalBatch {
 public:
  ScopedSignalBatch(DeviceSignalStore& store, Transaction& txn) : store_(store) {
    store_.Attach(txn);
  }
  ~ScopedSignalBatch() { store_.Detach(); }
  ScopedSignalBatch(const ScopedSignalBatch&) = delete;
  ScopedSignalBatch& operator=(const ScopedSignalBatch&) = delete;

 private:
  DeviceSignalStore& store_;
};

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_DEVICE_SIGNAL_STORE_H_
