// SignalContext: libsignal-protocol-c's global context, with our crypto provider
// (crypto/signal_crypto_provider.h) and a recursive lock installed.
//
// One per process is enough (every device store context of the process may share it);
// tests make one per simulated device so that each has its own deterministic Rng.
//
// libsignal takes the context's lock around every cipher and builder operation and takes
// it again from inside (hence recursive). Our C++ layer takes the same lock around each
// whole operation, so an operation and the store callbacks it triggers run as one unit.
//
// libsignal's own log lines are not forwarded: they name contacts (addresses) and would
// reach logs at warning level.
//
// Thread-safety: thread-safe when its Rng is; operations are serialised by the lock.
#ifndef TOCSIN_CRYPTO_SIGNAL_CONTEXT_H_
#define TOCSIN_CRYPTO_SIGNAL_CONTEXT_H_

#include <signal/signal_protocol.h>

#include <memory>
#include <mutex>
#include <string_view>

#include "crypto/random.h"
#include "crypto/signal_crypto_provider.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

class SignalContext {
 public:
  // A context whose randomness comes from `rng` (DefaultRng(): libsodium). Shared, because
  // every SignalStoreContext made from it keeps it alive: libsignal requires the global
  // context to be destroyed after the store contexts.
  // REQUIRES: sodium_init() succeeded; `rng` outlives the context.
  static Result<std::shared_ptr<SignalContext>> Create(Rng& rng = DefaultRng());
  ~SignalContext();

  SignalContext(const SignalContext&) = delete;
  SignalContext& operator=(const SignalContext&) = delete;

  signal_context* get() const { return context_; }
  const SignalCryptoProvider& provider() const { return *provider_; }

  // Holds libsignal's (recursive) lock for the life of the returned guard.
  [[nodiscard]] std::unique_lock<std::recursive_mutex> Lock() const {
    return std::unique_lock<std::recursive_mutex>(mutex_);
  }

 private:
  SignalContext() = default;
  static void LockCallback(void* user_data);
  static void UnlockCallback(void* user_data);

  mutable std::recursive_mutex mutex_;
  std::unique_ptr<SignalCryptoProvider> provider_;
  signal_context* context_ = nullptr;
};

// Negative codes of our own, below SG_ERR_MINIMUM as libsignal asks, that a store
// callback or a decryption callback returns to make libsignal stop. The Status that
// caused them is kept aside and returned to the caller instead.
inline constexpr int kSignalStoreFailed = SG_ERR_MINIMUM - 1;
inline constexpr int kSignalCallbackFailed = SG_ERR_MINIMUM - 2;

// The Status for a negative libsignal result `code` of operation `what`:
// SG_ERR_DUPLICATE_MESSAGE -> kDuplicate, SG_ERR_UNTRUSTED_IDENTITY -> kUntrustedIdentity,
// SG_ERR_NOMEM -> kInternal, anything else -> kCryptoFailure. The message names the
// libsignal error, never a key or an address.
Status SignalError(int code, std::string_view what);

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_CONTEXT_H_
