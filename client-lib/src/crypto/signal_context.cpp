#include "crypto/signal_context.h"

#include <string>

namespace tocsin::crypto {
namespace {

std::string_view SignalErrorName(int code) {
  switch (code) {
    case SG_ERR_NOMEM:
      return "out of memory";
    case SG_ERR_INVAL:
      return "invalid argument";
    case SG_ERR_DUPLICATE_MESSAGE:
      return "duplicate message";
    case SG_ERR_INVALID_KEY:
      return "invalid key";
    case SG_ERR_INVALID_KEY_ID:
      return "unknown key id";
    case SG_ERR_INVALID_MAC:
      return "bad MAC";
    case SG_ERR_INVALID_MESSAGE:
      return "invalid message";
    case SG_ERR_INVALID_VERSION:
      return "unsupported version";
    case SG_ERR_LEGACY_MESSAGE:
      return "legacy message";
    case SG_ERR_NO_SESSION:
      return "no session";
    case SG_ERR_STALE_KEY_EXCHANGE:
      return "stale key exchange";
    case SG_ERR_UNTRUSTED_IDENTITY:
      return "untrusted identity";
    case SG_ERR_VRF_SIG_VERIF_FAILED:
      return "bad signature";
    case SG_ERR_INVALID_PROTO_BUF:
      return "malformed message";
    default:
      return "libsignal error";
  }
}

}  // namespace

Status SignalError(int code, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += SignalErrorName(code);
  message += " (" + std::to_string(code) + ")";
  switch (code) {
    case SG_ERR_DUPLICATE_MESSAGE:
      return Status::Duplicate(message);
    case SG_ERR_UNTRUSTED_IDENTITY:
      return Status::UntrustedIdentity(message);
    case SG_ERR_NOMEM:
      return Status::Internal(message);
    default:
      return Status::CryptoFailure(message);
  }
}

void SignalContext::LockCallback(void* user_data) {
  static_cast<SignalContext*>(user_data)->mutex_.lock();
}

void SignalContext::UnlockCallback(void* user_data) {
  static_cast<SignalContext*>(user_data)->mutex_.unlock();
}

Result<std::shared_ptr<SignalContext>> SignalContext::Create(Rng& rng) {
  std::shared_ptr<SignalContext> context(new SignalContext());
  auto provider = SignalCryptoProvider::Create(rng);
  if (!provider.ok()) return provider.status();
  context->provider_ = std::move(provider).value();
  // The lock callbacks receive `context.get()`: the object never moves (shared_ptr).
  int result = signal_context_create(&context->context_, context.get());
  if (result < 0) return SignalError(result, "create libsignal context");
  result = signal_context_set_crypto_provider(context->context_, &context->provider_->table());
  if (result < 0) return SignalError(result, "install crypto provider");
  result = signal_context_set_locking_functions(context->context_, &LockCallback, &UnlockCallback);
  if (result < 0) return SignalError(result, "install locks");
  return context;
}

SignalContext::~SignalContext() {
  if (context_ != nullptr) signal_context_destroy(context_);
}

}  // namespace tocsin::crypto
