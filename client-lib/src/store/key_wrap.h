// The passphrase layer: Argon2id (crypto_pwhash) turns the passphrase into a
// key-encryption key, which wraps the store's random data key.
//
// The KDF parameters and salt are stored in clear (meta "kdf"); the data key is stored
// wrapped (meta "data_key") with the encoded parameters as associated data, so editing
// the parameters in the files cannot make a weaker derivation accepted. Changing the
// passphrase therefore means a new data key and a re-encryption of every value (see
// DeviceStore::ChangePassphrase), not just a new wrap: whoever knew the old passphrase
// and kept the old files must not be able to read the new ones.
//
// Thread-safety: free functions on caller-owned values.
#ifndef TOCSIN_STORE_KEY_WRAP_H_
#define TOCSIN_STORE_KEY_WRAP_H_

#include <sodium.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/random.h"
#include "crypto/secure_buffer.h"
#include "tocsin/status.h"

namespace tocsin::store {

// Argon2id cost. The default, INTERACTIVE (2 passes over 64 MiB, a fraction of a second),
// suits phones (memory-pressed, killed in the background, unlocked often) and the CLI,
// which derives the key on every command. A desktop that unlocks once per session can
// afford MODERATE (3 passes, 256 MiB). Tests use MIN.
struct KdfOptions {
  std::uint64_t opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  std::uint64_t memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
};

// The fastest parameters libsodium accepts. WARNING: tests only.
inline constexpr KdfOptions kTestKdfOptions{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};

// Upper bounds accepted from the files: a tampered "kdf" row must not make Open allocate
// gigabytes or spin for minutes.
inline constexpr std::uint64_t kMaxOpslimit = 16;
inline constexpr std::uint64_t kMaxMemlimit = crypto_pwhash_MEMLIMIT_SENSITIVE;

struct KdfParams {
  std::uint64_t opslimit = 0;
  std::uint64_t memlimit = 0;
  std::array<std::uint8_t, crypto_pwhash_SALTBYTES> salt{};
};

// kInvalidArgument when the options are outside [MIN, kMax*].
Status CheckKdfOptions(const KdfOptions& options);

// Fresh parameters with a random salt.
KdfParams NewKdfParams(const KdfOptions& options, crypto::Rng& rng);

// Fixed binary encoding: "A2id" || opslimit (8, BE) || memlimit (8, BE) || salt (16).
std::string EncodeKdfParams(const KdfParams& params);
// kCorruption when malformed or outside the accepted bounds.
Result<KdfParams> DecodeKdfParams(std::string_view encoded);

// The key-encryption key. kInvalidArgument for an empty passphrase; kUnavailable when
// Argon2 cannot get its memory.
Result<crypto::SecretBytes> DeriveKek(const crypto::SecretBytes& passphrase,
                                      const KdfParams& params);

// nonce (24) || XChaCha20-Poly1305(kek, data_key, ad = label || encoded_params).
std::string WrapDataKey(const crypto::SecretBytes& kek, const crypto::SecretBytes& data_key,
                        std::string_view encoded_params, crypto::Rng& rng);

// kUnauthorized "wrong passphrase" when the tag does not verify (a wrong passphrase and
// a damaged wrapped key cannot be told apart); kCorruption when malformed.
Result<crypto::SecretBytes> UnwrapDataKey(const crypto::SecretBytes& kek, std::string_view wrapped,
                                          std::string_view encoded_params);

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_KEY_WRAP_H_
