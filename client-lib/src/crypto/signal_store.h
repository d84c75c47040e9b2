// The five stores libsignal keeps its state in, as narrow C++ interfaces.
//
// A device store (client-lib/src/store, RocksDB) implements them for real;
// InMemorySignalStore (crypto/signal_memory_store.h) implements them for unit tests.
// SignalStoreContext (crypto/signal_store_context.h) registers them with libsignal.
//
// Records are libsignal's own serialisations, opaque here. They hold private keys and
// chain keys: an implementation seals them at rest and never logs them.
// Public keys are X25519 keys of 32 bytes (libsignal's 0x05 type byte dropped).
//
// ---------------------------------------------------------------- Write order
// What a store sees, in order, during each operation of crypto/signal_session.h and
// crypto/signal_group.h (reads in brackets; a failing step ends the operation with an
// error and nothing after it happens):
//
//  PairwiseCipher::Decrypt(PreKeySignalMessage):
//    [LoadSession] [IsTrustedIdentity: false -> kUntrustedIdentity]
//    [LoadSignedPreKey, GetIdentityKeyPair, LoadPreKey, GetLocalRegistrationId: only when
//     the message starts a new session]
//    SaveIdentity(sender)                     <- before the plaintext is known
//    on_plaintext(plaintext)                  <- the caller's callback
//    StoreSession(sender)
//    RemovePreKey(id)                         <- when a one-time pre-key was used
//    If anything after a SaveIdentity that reported a change fails (decryption,
//    on_plaintext, a store), ClearIdentity(sender) follows before the error returns.
//  PairwiseCipher::Decrypt(SignalMessage):
//    [ContainsSession] [LoadSession]  on_plaintext(plaintext)  StoreSession(sender)
//  GroupCipher::Decrypt:
//    [LoadSenderKey]  on_plaintext(plaintext)  StoreSenderKey(name)
//  PairwiseCipher::Encrypt: [LoadSession] StoreSession(recipient), then the ciphertext is
//    returned.   GroupCipher::Encrypt: [LoadSenderKey] StoreSenderKey, then the ciphertext.
//  ProcessPreKeyBundle: [IsTrustedIdentity] [LoadSession] [GetIdentityKeyPair]
//    [GetLocalRegistrationId] StoreSession(contact) SaveIdentity(contact).
//  CreateSenderKeyDistribution / ProcessSenderKeyDistribution: [LoadSenderKey]
//    StoreSenderKey.
//
// ---------------------------------------------------------------- One write batch
// libsignal writes its new state *after* on_plaintext and before the operation returns,
// and a failing on_plaintext stops it before any state is stored (libsignal's decryption
// callback, session_cipher_set_decryption_callback). A store that commits the new
// state and the plaintext together therefore:
//  1. opens a write batch before the operation; while it is open, every write above
//     (SaveIdentity, ClearIdentity, StoreSession, RemovePreKey, StoreSenderKey) is staged
//     in it, and reads see the staged values;
//  2. stages the plaintext (and the seen message id) into the same batch from
//     on_plaintext;
//  3. commits the batch once the operation returned OK, or discards it on any error.
// A crash anywhere before the commit leaves the stored state as it was before the
// message, so the same ciphertext decrypts again after a restart (the relay keeps it
// until it is acked, after the commit). Without a batch, a crash between the early
// SaveIdentity of a PreKeySignalMessage and the commit would leave a newly trusted
// identity behind with no session. InMemorySignalStore::BeginBatch shows the pattern.
// The send side is the same: stage StoreSession / StoreSenderKey, then the outbox entry
// with the returned ciphertext, then commit once, before anything leaves.
//
// ---------------------------------------------------------------- Failures
// A method that cannot read or write (disk, corruption, locked store) returns a non-OK
// Status; the operation stops and returns that Status unchanged. "Not found" is never an
// error: it is std::nullopt / false.
//
// Thread-safety: libsignal calls a store only from inside an operation, under the
// SignalContext lock, so calls for one store context never overlap. An implementation
// shared by several store contexts must synchronise itself.
#ifndef TOCSIN_CRYPTO_SIGNAL_STORE_H_
#define TOCSIN_CRYPTO_SIGNAL_STORE_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/x25519.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

// A remote device: libsignal's (name, device id). The name is the caller's identifier
// of the contact, opaque here; libsignal logs it, which is why its log is not forwarded.
struct Address {
  std::string name;
  std::int32_t device_id = 1;
  auto operator<=>(const Address&) const = default;
};

// A sender-key chain: the group and its sender. `group_id` is raw bytes.
struct SenderKeyName {
  std::string group_id;
  Address sender;
  auto operator<=>(const SenderKeyName&) const = default;
};

// A serialised libsignal record (session, pre-key, signed pre-key or sender key).
using Record = std::vector<std::uint8_t>;

class IdentityKeyStore {
 public:
  virtual ~IdentityKeyStore() = default;
  // This device's identity key pair. Loaded when the store is opened, so it cannot fail.
  // Its private key is used clamped (RFC 7748), as libsignal's own keys are.
  virtual const X25519KeyPair& GetIdentityKeyPair() = 0;
  // This device's registration id (1..16380), fixed at init.
  virtual std::uint32_t GetLocalRegistrationId() = 0;
  // Records `identity_key` as `address`'s identity. Returns true when that changed what
  // was stored (no key before, or a different one), false when it was already stored.
  virtual Result<bool> SaveIdentity(const Address& address, PublicKeyView identity_key) = 0;
  // Undoes a SaveIdentity that returned true, when the PreKeySignalMessage that caused
  // the save then failed (see "Write order"). Forgets the key of `address`, so that its
  // next message is judged as a first contact again (a key that replaced an approved
  // different one is forgotten too, not restored).
  virtual Status ClearIdentity(const Address& address) = 0;
  // Whether `identity_key` may be used for `address`: true when nothing is stored for it
  // or the stored key is equal; for a different key, only when the store's policy
  // accepts the change (verified by the user, or vouched for by a signed roster view).
  virtual Result<bool> IsTrustedIdentity(const Address& address, PublicKeyView identity_key) = 0;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual Result<std::optional<Record>> LoadSession(const Address& address) = 0;
  virtual Status StoreSession(const Address& address, std::span<const std::uint8_t> record) = 0;
  virtual Result<bool> ContainsSession(const Address& address) = 0;
  // The device ids other than 1 that have a session under `name`.
  virtual Result<std::vector<std::int32_t>> GetSubDeviceSessions(std::string_view name) = 0;
  // Returns whether a session was deleted.
  virtual Result<bool> DeleteSession(const Address& address) = 0;
  // Returns how many sessions were deleted.
  virtual Result<int> DeleteAllSessions(std::string_view name) = 0;
};

class PreKeyStore {
 public:
  virtual ~PreKeyStore() = default;
  virtual Result<std::optional<Record>> LoadPreKey(std::uint32_t id) = 0;
  virtual Status StorePreKey(std::uint32_t id, std::span<const std::uint8_t> record) = 0;
  virtual Result<bool> ContainsPreKey(std::uint32_t id) = 0;
  // Removing an absent pre-key is OK.
  virtual Status RemovePreKey(std::uint32_t id) = 0;
};

class SignedPreKeyStore {
 public:
  virtual ~SignedPreKeyStore() = default;
  virtual Result<std::optional<Record>> LoadSignedPreKey(std::uint32_t id) = 0;
  virtual Status StoreSignedPreKey(std::uint32_t id, std::span<const std::uint8_t> record) = 0;
  virtual Result<bool> ContainsSignedPreKey(std::uint32_t id) = 0;
  // Removing an absent signed pre-key is OK.
  virtual Status RemoveSignedPreKey(std::uint32_t id) = 0;
};

class SenderKeyStore {
 public:
  virtual ~SenderKeyStore() = default;
  virtual Status StoreSenderKey(const SenderKeyName& name,
                                std::span<const std::uint8_t> record) = 0;
  virtual Result<std::optional<Record>> LoadSenderKey(const SenderKeyName& name) = 0;
};

// The five stores of one device. They may all be one object.
// REQUIRES: every pointer is set and outlives the SignalStoreContext made from it.
struct SignalStores {
  IdentityKeyStore* identity = nullptr;
  SessionStore* sessions = nullptr;
  PreKeyStore* pre_keys = nullptr;
  SignedPreKeyStore* signed_pre_keys = nullptr;
  SenderKeyStore* sender_keys = nullptr;
};

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_STORE_H_
