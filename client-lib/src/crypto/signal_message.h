// What pairwise and group ciphers share: message types, the plaintext callback and the
// decryption-callback plumbing.
//
// Thread-safety: values and free functions.
#ifndef TOCSIN_CRYPTO_SIGNAL_MESSAGE_H_
#define TOCSIN_CRYPTO_SIGNAL_MESSAGE_H_

#include <signal/signal_protocol.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/signal_store.h"
#include "crypto/signal_store_context.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

// Which libsignal message a ciphertext is. Every libsignal message starts with the same
// version byte (0x33), so the type travels beside the bytes. The values are those of
// envelope.proto ContentType.
enum class MessageType : std::uint32_t {
  kSignal = 1,                 // SIGNAL_MESSAGE: an established pairwise session
  kPreKeySignal = 2,           // PREKEY_SIGNAL_MESSAGE: until the peer has answered
  kSenderKey = 3,              // SENDER_KEY_MESSAGE: a group message
  kSenderKeyDistribution = 4,  // SENDER_KEY_DISTRIBUTION: sent inside a pairwise message
};

struct SignalCiphertext {
  MessageType type = MessageType::kSignal;
  std::vector<std::uint8_t> bytes;
};

// Called once per successful decryption with the unpadded plaintext, after it is
// authenticated and before libsignal stores the new state (signal_store.h: "One write
// batch"). Returning a non-OK Status makes the decryption fail with that Status and store
// nothing. The span is valid during the call only.
// REQUIRES: it does not use the cipher that called it (libsignal refuses re-entry).
using PlaintextCallback = std::function<Status(std::span<const std::uint8_t> plaintext)>;

namespace signal_internal {

// libsignal's view of an Address. REQUIRES: `address` outlives the result (it points into
// address.name).
signal_protocol_address ToSignalAddress(const Address& address);
signal_protocol_sender_key_name ToSignalSenderKeyName(const SenderKeyName& name);

// One decryption: libsignal's decryption callback receives a pointer to it as its
// decrypt_context, checks the padding and calls the caller's PlaintextCallback. A failure
// there is kept in `failure` and reported to libsignal as kSignalCallbackFailed.
struct DecryptCall {
  const PlaintextCallback* on_plaintext = nullptr;
  Status failure;
  // Our side of libsignal's callback.
  int OnPlaintext(const signal_buffer* padded);
  // The Status for libsignal's negative `code` from decryption `what`: the callback's
  // failure, the store's failure or SignalError(), in that order.
  Status Failure(SignalStoreContext& store, int code, std::string_view what);
};

// The callback libsignal calls (session and group ciphers share its shape but not its
// first parameter's type).
template <typename Cipher>
int OnDecrypted(Cipher*, signal_buffer* padded, void* decrypt_context) {
  return static_cast<DecryptCall*>(decrypt_context)->OnPlaintext(padded);
}

// Copies a libsignal buffer out.
std::vector<std::uint8_t> CopyOut(const signal_buffer* buffer);

}  // namespace signal_internal
}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_MESSAGE_H_
