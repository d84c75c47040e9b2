#include "protocol/auth.h"

#include <sodium.h>

namespace tocsin::relay {

std::string SignedMessage(std::string_view label, std::span<const std::uint8_t> nonce,
                          std::span<const std::uint8_t> value) {
  std::string message(label);
  message.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  message.append(reinterpret_cast<const char*>(value.data()), value.size());
  return message;
}

bool VerifySignature(std::string_view label, std::span<const std::uint8_t> nonce,
                     std::span<const std::uint8_t> value, std::string_view signature,
                     const AuthKey& key) {
  if (signature.size() != crypto_sign_BYTES) return false;
  const std::string message = SignedMessage(label, nonce, value);
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.data()) == 0;
}

}  // namespace tocsin::relay
