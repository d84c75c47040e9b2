// SignalStoreContext: one device's libsignal store context, with the five C++ stores of
// crypto/signal_store.h registered as its callbacks.
//
// Ownership and order: it keeps its SignalContext alive (shared_ptr) and destroys its
// signal_protocol_store_context first, as libsignal requires. Ciphers made from it
// (PairwiseCipher, GroupCipher) point to it: it must outlive them.
//
// Every callback catches what a store throws and reports it as a store failure; a store
// failure's Status is kept until the operation that caused it turns it into its result.
//
// Thread-safety: operations take the SignalContext lock for their whole duration, so
// one store context may be used from several threads (one operation at a time).
#ifndef TOCSIN_CRYPTO_SIGNAL_STORE_CONTEXT_H_
#define TOCSIN_CRYPTO_SIGNAL_STORE_CONTEXT_H_

#include <signal/signal_protocol.h>

#include <memory>
#include <optional>
#include <string_view>

#include "crypto/signal_context.h"
#include "crypto/signal_store.h"
#include "tocsin/status.h"

namespace tocsin::crypto {

class SignalStoreContext {
 public:
  // REQUIRES: `context` is set; every store of `stores` is set and outlives the result.
  static Result<std::unique_ptr<SignalStoreContext>> Create(std::shared_ptr<SignalContext> context,
                                                            const SignalStores& stores);
  ~SignalStoreContext();

  // Not movable: libsignal's callbacks hold its address.
  SignalStoreContext(const SignalStoreContext&) = delete;
  SignalStoreContext& operator=(const SignalStoreContext&) = delete;

  signal_protocol_store_context* get() const { return store_; }
  const SignalContext& context() const { return *context_; }
  signal_context* global() const { return context_->get(); }
  const SignalStores& stores() const { return stores_; }

  // The Status for libsignal's negative result `code` from operation `what`: the store's
  // own Status for kSignalStoreFailed, SignalError() otherwise.
  // REQUIRES: the SignalContext lock is held since the operation started.
  Status Failure(int code, std::string_view what);

  // Called by the store callbacks: remembers `status` and answers kSignalStoreFailed.
  int RecordStoreFailure(Status status);

  // A failed decryption must leave no newly trusted identity behind, and libsignal 2.3.3
  // saves the sender's identity before it decrypts (and does not undo it on failure).
  // Decrypt calls BeginIdentityWatch() first; the SaveIdentity callback reports a change
  // with NoteIdentityChanged(); on failure Decrypt calls UndoIdentityChange(), which
  // calls ClearIdentity for that address.
  // REQUIRES (all three): the SignalContext lock is held.
  void BeginIdentityWatch() { changed_identity_.reset(); }
  void NoteIdentityChanged(const Address& address) { changed_identity_ = address; }
  Status UndoIdentityChange();

 private:
  SignalStoreContext(std::shared_ptr<SignalContext> context, const SignalStores& stores)
      : context_(std::move(context)), stores_(stores) {}
  Status Register();

  std::shared_ptr<SignalContext> context_;  // first member: destroyed last
  SignalStores stores_;
  signal_protocol_store_context* store_ = nullptr;
  Status store_failure_;                     // GUARDED_BY(context_->Lock())
  std::optional<Address> changed_identity_;  // GUARDED_BY(context_->Lock())
};

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_STORE_CONTEXT_H_
