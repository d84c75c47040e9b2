#include "core/safety_number.h"

#include <signal/fingerprint.h>

#include "core/hex.h"
#include "crypto/signal_keys.h"
#include "crypto/signal_ptr.h"

namespace tocsin::core {
namespace {

struct GeneratorFree {
  void operator()(fingerprint_generator* p) const { fingerprint_generator_free(p); }
};

std::string Grouped(std::string_view digits) {
  std::string out;
  for (std::size_t i = 0; i < digits.size(); i += 5) {
    if (!out.empty()) out += ' ';
    out.append(digits.substr(i, 5));
  }
  return out;
}

}  // namespace

Result<std::string> SafetyNumber(const crypto::SignalContext& context, crypto::PublicKeyView ours,
                                 crypto::PublicKeyView theirs) {
  auto lock = context.Lock();
  auto local = crypto::ToSignalPublicKey(context, ours);
  if (!local.ok()) return local.status();
  auto remote = crypto::ToSignalPublicKey(context, theirs);
  if (!remote.ok()) return remote.status();
  fingerprint_generator* raw = nullptr;
  int result = fingerprint_generator_create(&raw, kFingerprintIterations, 1, context.get());
  if (result < 0) return crypto::SignalError(result, "fingerprint generator");
  std::unique_ptr<fingerprint_generator, GeneratorFree> generator(raw);
  const std::string local_id = ToHex(ours);
  const std::string remote_id = ToHex(theirs);
  crypto::SignalRef<fingerprint> print;
  result = fingerprint_generator_create_for(generator.get(), local_id.c_str(), local->get(),
                                            remote_id.c_str(), remote->get(), print.out());
  if (result < 0) return crypto::SignalError(result, "fingerprint");
  const char* text = displayable_fingerprint_text(fingerprint_get_displayable(print.get()));
  if (text == nullptr) return Status::Internal("fingerprint has no text");
  return Grouped(text);
}

}  // namespace tocsin::core
