// Group messages with sender keys (libsignal's group_session_builder and group_cipher).
//
// Each member has its own sender-key chain per group, named (group id, member's address).
// A member creates its chain and a distribution message (CreateSenderKeyDistribution),
// sends that message to every other member over their pairwise sessions (type
// kSenderKeyDistribution), and each of them processes it (ProcessSenderKeyDistribution).
// Then one GroupCipher::Encrypt per group message reaches every member. Contents are
// padded (crypto/signal_padding.h) as in pairwise sessions.
//
// Results of GroupCipher::Decrypt: the plaintext, or
//  - kNotFound: the sender's key is not known yet (its distribution has not arrived, or
//    it distributed a new chain since): the caller parks the message in its `pending`
//    store and decrypts it again after processing the distribution;
//  - kDuplicate: a message already decrypted: drop it silently;
//  - kCryptoFailure: anything else libsignal rejects (bad signature, malformed, more
//    than 2,000 messages ahead, bad padding);
//  - the Status of a failing store or PlaintextCallback, unchanged.
// What the stores see, and in which order, is in crypto/signal_store.h.
//
// Thread-safety: each operation takes the SignalContext lock. A GroupCipher may be used
// from several threads, one operation at a time.
#ifndef TOCSIN_CRYPTO_SIGNAL_GROUP_H_
#define TOCSIN_CRYPTO_SIGNAL_GROUP_H_

#include <signal/group_cipher.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "crypto/signal_message.h"
#include "crypto/signal_ptr.h"
#include "crypto/signal_store.h"
#include "crypto/signal_store_context.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

// Our distribution message for `own` = (group id, this device's address), creating our
// chain for the group if there is none yet (later calls describe the same chain at its
// current iteration).
Result<std::vector<std::uint8_t>> CreateSenderKeyDistribution(SignalStoreContext& store,
                                                              const SenderKeyName& own);

// Accepts `sender`'s distribution message, so its group messages can be decrypted.
// REQUIRES: it came over a pairwise session with sender.sender, from a current member
// (the caller checks membership; this function cannot).
Status ProcessSenderKeyDistribution(SignalStoreContext& store, const SenderKeyName& sender,
                                    std::span<const std::uint8_t> distribution);

// Encrypts with our own chain (name = our own SenderKeyName) or decrypts a sender's.
class GroupCipher {
 public:
  // REQUIRES: `store` outlives the cipher.
  static Result<GroupCipher> Create(SignalStoreContext& store, SenderKeyName name);

  GroupCipher(GroupCipher&&) noexcept = default;
  GroupCipher& operator=(GroupCipher&&) noexcept = default;

  // Pads and encrypts one group message (type kSenderKey). kNotFound when we have no
  // chain for this name (call CreateSenderKeyDistribution first).
  Result<SignalCiphertext> Encrypt(std::span<const std::uint8_t> plaintext);

  // Decrypts one of the sender's group messages. `on_plaintext`, if set, runs before the
  // new chain state is stored.
  Result<std::vector<std::uint8_t>> Decrypt(std::span<const std::uint8_t> ciphertext,
                                            const PlaintextCallback& on_plaintext = {});

  const SenderKeyName& name() const { return target_->name; }

 private:
  // libsignal keeps a pointer to the name: it lives on the heap, as long as the cipher.
  struct Target {
    SenderKeyName name;
    signal_protocol_sender_key_name signal_name;
  };
  GroupCipher(SignalStoreContext& store, std::unique_ptr<Target> target,
              SignalOwned<group_cipher> cipher)
      : store_(&store), target_(std::move(target)), cipher_(std::move(cipher)) {}
  bool KnowsKey(std::uint32_t key_id) const;

  SignalStoreContext* store_;
  std::unique_ptr<Target> target_;  // declared before cipher_: destroyed after it
  SignalOwned<group_cipher> cipher_;
};

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_GROUP_H_
