// Safety numbers: libsignal's displayable fingerprint of two identity keys (60 digits,
// the same on both devices), so two people can check that nobody sits between them.
//
// Parameters (SPEC.md section 13): libsignal-protocol-c's fingerprint generator with
// 5200 iterations and scannable version 1; the stable identifiers are the identity
// keys' 32 bytes in lower-case hex. Printed as 12 groups of 5 digits.
//
// Thread-safety: free function; takes the SignalContext lock.
#ifndef TOCSIN_CORE_SAFETY_NUMBER_H_
#define TOCSIN_CORE_SAFETY_NUMBER_H_

#include <string>

#include "crypto/signal_context.h"
#include "crypto/x25519.h"
#include "tocsin/status.h"

namespace tocsin::core {

inline constexpr int kFingerprintIterations = 5200;

Result<std::string> SafetyNumber(const crypto::SignalContext& context, crypto::PublicKeyView ours,
                                 crypto::PublicKeyView theirs);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_SAFETY_NUMBER_H_
