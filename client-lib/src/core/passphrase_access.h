// The library's side of tocsin::Passphrase: the SecretBytes inside it.
#ifndef TOCSIN_CORE_PASSPHRASE_ACCESS_H_
#define TOCSIN_CORE_PASSPHRASE_ACCESS_H_

#include "crypto/secure_buffer.h"
#include "tocsin/passphrase.h"

namespace tocsin::internal {

struct PassphraseAccess {
  static Passphrase Make(crypto::SecretBytes secret);
  // An empty SecretBytes for a moved-from passphrase.
  static const crypto::SecretBytes& Secret(const Passphrase& passphrase);
};

}  // namespace tocsin::internal

#endif  // TOCSIN_CORE_PASSPHRASE_ACCESS_H_
