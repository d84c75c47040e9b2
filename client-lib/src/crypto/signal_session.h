// Pairwise Signal sessions (X3DH + double ratchet, libsignal's session_builder and
// session_cipher) between this device and one remote device.
//
// A session starts from the contact's pre-key bundle (ProcessPreKeyBundle). Until the
// contact answers, what we send is a PreKeySignalMessage; then SignalMessages. Contents
// are padded (crypto/signal_padding.h) before encryption and unpadded after decryption.
//
// Results of Decrypt: the plaintext, or
//  - kDuplicate: a message already decrypted (a replay or a second relay's copy): drop
//    it silently, never reset the session;
//  - kUntrustedIdentity: the sender's identity key is not the one we trust for it;
//  - kCryptoFailure: anything else libsignal rejects (bad MAC, malformed, no session,
//    unknown pre-key, bad padding);
//  - the Status of a failing store or PlaintextCallback, unchanged.
// What the stores see, and in which order, is in crypto/signal_store.h.
//
// Thread-safety: each operation takes the SignalContext lock. A PairwiseCipher may be
// used from several threads, one operation at a time.
#ifndef TOCSIN_CRYPTO_SIGNAL_SESSION_H_
#define TOCSIN_CRYPTO_SIGNAL_SESSION_H_

#include <signal/session_cipher.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "crypto/signal_keys.h"
#include "crypto/signal_message.h"
#include "crypto/signal_ptr.h"
#include "crypto/signal_store.h"
#include "crypto/signal_store_context.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

// Starts a session with `remote` from its bundle: checks the signed pre-key's signature
// (kCryptoFailure), the identity key against the IdentityKeyStore (kUntrustedIdentity),
// then stores the new session and the identity. An existing session is archived.
Status ProcessPreKeyBundle(SignalStoreContext& store, const Address& remote,
                           const PreKeyBundle& bundle);

// Encrypts to and decrypts from one remote device.
class PairwiseCipher {
 public:
  // REQUIRES: `store` outlives the cipher.
  static Result<PairwiseCipher> Create(SignalStoreContext& store, Address remote);

  PairwiseCipher(PairwiseCipher&&) noexcept = default;
  PairwiseCipher& operator=(PairwiseCipher&&) noexcept = default;

  // Pads and encrypts `plaintext`. kNotFound when there is no session with the remote.
  Result<SignalCiphertext> Encrypt(std::span<const std::uint8_t> plaintext);

  // Decrypts a message of `type` (kSignal or kPreKeySignal; kInvalidArgument for
  // others). `on_plaintext`, if set, runs before the new state is stored.
  Result<std::vector<std::uint8_t>> Decrypt(MessageType type,
                                            std::span<const std::uint8_t> ciphertext,
                                            const PlaintextCallback& on_plaintext = {});

  const Address& remote() const { return target_->address; }

 private:
  // libsignal keeps a pointer to the address: it lives on the heap, as long as the cipher,
  // and does not move when the PairwiseCipher does.
  struct Target {
    Address address;
    signal_protocol_address signal_address;
  };
  PairwiseCipher(SignalStoreContext& store, std::unique_ptr<Target> target,
                 SignalOwned<session_cipher> cipher)
      : store_(&store), target_(std::move(target)), cipher_(std::move(cipher)) {}
  Result<std::vector<std::uint8_t>> DecryptPreKey(std::span<const std::uint8_t> ciphertext,
                                                  signal_internal::DecryptCall& call);
  Result<std::vector<std::uint8_t>> DecryptSignal(std::span<const std::uint8_t> ciphertext,
                                                  signal_internal::DecryptCall& call);

  SignalStoreContext* store_;
  std::unique_ptr<Target> target_;  // declared before cipher_: destroyed after it
  SignalOwned<session_cipher> cipher_;
};

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_SESSION_H_
