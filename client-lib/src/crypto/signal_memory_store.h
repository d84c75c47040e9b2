// InMemorySignalStore: the five stores of crypto/signal_store.h in memory, for unit tests
// of the logic above them (and the reference for the device store's behaviour).
//
// Identity trust is trust-on-first-use: a key is trusted when none is stored for the
// address or it equals the stored one; a changed key is refused until SaveIdentity
// records the new one (what verifying a contact does).
//
// Write batches, as signal_store.h ("One write batch") describes: between BeginBatch and
// CommitBatch every write is staged and reads see it; DiscardBatch drops the staged
// writes, as a crash before the commit would. Outside a batch, each write commits at once.
//
// WARNING: records are kept in ordinary heap memory, unsealed: tests only.
//
// Thread-safety: thread-safe (one mutex).
#ifndef TOCSIN_CRYPTO_SIGNAL_MEMORY_STORE_H_
#define TOCSIN_CRYPTO_SIGNAL_MEMORY_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/signal_store.h"
#include "crypto/x25519.h"

namespace tocsin::crypto {

class InMemorySignalStore final : public IdentityKeyStore,
                                  public SessionStore,
                                  public PreKeyStore,
                                  public SignedPreKeyStore,
                                  public SenderKeyStore {
 public:
  InMemorySignalStore(X25519KeyPair identity, std::uint32_t registration_id);

  // This object as all five stores.
  SignalStores stores() { return {this, this, this, this, this}; }

  // REQUIRES: no batch open (BeginBatch) / a batch open (CommitBatch, DiscardBatch).
  void BeginBatch();
  void CommitBatch();
  void DiscardBatch();

  // Called with the name of each write ("SaveIdentity", "StoreSession", ...) as it is
  // made, for tests that check the order of libsignal's writes.
  void set_write_observer(std::function<void(std::string_view)> observer);

  // IdentityKeyStore
  const X25519KeyPair& GetIdentityKeyPair() override { return identity_; }
  std::uint32_t GetLocalRegistrationId() override { return registration_id_; }
  Result<bool> SaveIdentity(const Address& address, PublicKeyView identity_key) override;
  Status ClearIdentity(const Address& address) override;
  Result<bool> IsTrustedIdentity(const Address& address, PublicKeyView identity_key) override;

  // SessionStore
  Result<std::optional<Record>> LoadSession(const Address& address) override;
  Status StoreSession(const Address& address, std::span<const std::uint8_t> record) override;
  Result<bool> ContainsSession(const Address& address) override;
  Result<std::vector<std::int32_t>> GetSubDeviceSessions(std::string_view name) override;
  Result<bool> DeleteSession(const Address& address) override;
  Result<int> DeleteAllSessions(std::string_view name) override;

  // PreKeyStore
  Result<std::optional<Record>> LoadPreKey(std::uint32_t id) override;
  Status StorePreKey(std::uint32_t id, std::span<const std::uint8_t> record) override;
  Result<bool> ContainsPreKey(std::uint32_t id) override;
  Status RemovePreKey(std::uint32_t id) override;

  // SignedPreKeyStore
  Result<std::optional<Record>> LoadSignedPreKey(std::uint32_t id) override;
  Status StoreSignedPreKey(std::uint32_t id, std::span<const std::uint8_t> record) override;
  Result<bool> ContainsSignedPreKey(std::uint32_t id) override;
  Status RemoveSignedPreKey(std::uint32_t id) override;

  // SenderKeyStore
  Status StoreSenderKey(const SenderKeyName& name, std::span<const std::uint8_t> record) override;
  Result<std::optional<Record>> LoadSenderKey(const SenderKeyName& name) override;

 private:
  // One key-value table: committed values and the open batch's staged writes
  // (std::nullopt = deleted).
  template <typename Key>
  class Table {
   public:
    std::optional<Record> Get(const Key& key) const;
    void Put(const Key& key, std::optional<Record> value) { staged_[key] = std::move(value); }
    std::vector<Key> Keys() const;  // present keys, staged writes applied
    void Commit();
    void Discard() { staged_.clear(); }

   private:
    std::map<Key, Record> committed_;
    std::map<Key, std::optional<Record>> staged_;
  };

  // Stages a write in `table`, tells the observer, commits it at once outside a batch.
  template <typename Key>
  void Write(Table<Key>& table, std::string_view what, const Key& key, std::optional<Record> value);
  void CommitAll();

  const X25519KeyPair identity_;
  const std::uint32_t registration_id_;
  std::mutex mutex_;
  bool batch_open_ = false;                         // GUARDED_BY(mutex_)
  std::function<void(std::string_view)> observer_;  // GUARDED_BY(mutex_)
  Table<Address> identities_;                       // GUARDED_BY(mutex_)
  Table<Address> sessions_;                         // GUARDED_BY(mutex_)
  Table<std::uint32_t> pre_keys_;                   // GUARDED_BY(mutex_)
  Table<std::uint32_t> signed_pre_keys_;            // GUARDED_BY(mutex_)
  Table<SenderKeyName> sender_keys_;                // GUARDED_BY(mutex_)
};

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_MEMORY_STORE_H_
