#include "store/key_wrap.h"

#include <cstring>

#include "store/sealer.h"

namespace tocsin::store {
namespace {

constexpr std::string_view kParamsMagic = "A2id";
constexpr std::size_t kParamsSize = 4 + 8 + 8 + crypto_pwhash_SALTBYTES;
constexpr std::string_view kWrapLabel = "tocsin/store/v1/data-key";
constexpr std::size_t kWrapNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kWrappedSize =
    kWrapNonceSize + kKeySize + crypto_aead_xchacha20poly1305_ietf_ABYTES;

void AppendBigEndian(std::uint64_t value, std::string& out) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

std::uint64_t ReadBigEndian(const char* in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<std::uint8_t>(in[i]);
  return value;
}

std::string WrapAd(std::string_view encoded_params) {
  std::string ad(kWrapLabel);
  ad.append(encoded_params);
  return ad;
}

}  // namespace

Status CheckKdfOptions(const KdfOptions& options) {
  if (options.opslimit < crypto_pwhash_OPSLIMIT_MIN || options.opslimit > kMaxOpslimit) {
    return Status::InvalidArgument("Argon2 opslimit out of range");
  }
  if (options.memlimit < crypto_pwhash_MEMLIMIT_MIN || options.memlimit > kMaxMemlimit) {
    return Status::InvalidArgument("Argon2 memlimit out of range");
  }
  return Status::Ok();
}

KdfParams NewKdfParams(const KdfOptions& options, crypto::Rng& rng) {
  KdfParams params;
  params.opslimit = options.opslimit;
  params.memlimit = options.memlimit;
  rng.Fill(params.salt);
  return params;
}

std::string EncodeKdfParams(const KdfParams& params) {
  std::string out(kParamsMagic);
  AppendBigEndian(params.opslimit, out);
  AppendBigEndian(params.memlimit, out);
  out.append(reinterpret_cast<const char*>(params.salt.data()), params.salt.size());
  return out;
}

Result<KdfParams> DecodeKdfParams(std::string_view encoded) {
  if (encoded.size() != kParamsSize || encoded.substr(0, 4) != kParamsMagic) {
    return Status::Corruption("passphrase KDF parameters are malformed");
  }
  KdfParams params;
  params.opslimit = ReadBigEndian(encoded.data() + 4);
  params.memlimit = ReadBigEndian(encoded.data() + 12);
  std::memcpy(params.salt.data(), encoded.data() + 20, params.salt.size());
  if (!CheckKdfOptions({params.opslimit, params.memlimit}).ok()) {
    return Status::Corruption("passphrase KDF parameters are out of range");
  }
  return params;
}

Result<crypto::SecretBytes> DeriveKek(const crypto::SecretBytes& passphrase,
                                      const KdfParams& params) {
  if (passphrase.empty()) return Status::InvalidArgument("empty passphrase");
  crypto::SecretBytes kek(kKeySize);
  if (crypto_pwhash(kek.data(), kek.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), params.salt.data(), params.opslimit,
                    static_cast<std::size_t>(params.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Unavailable("not enough memory for the passphrase KDF");
  }
  return kek;
}

std::string WrapDataKey(const crypto::SecretBytes& kek, const crypto::SecretBytes& data_key,
                        std::string_view encoded_params, crypto::Rng& rng) {
  std::string wrapped(kWrappedSize, '\0');
  auto* out = reinterpret_cast<std::uint8_t*>(wrapped.data());
  rng.Fill({out, kWrapNonceSize});
  const std::string ad = WrapAd(encoded_params);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out + kWrapNonceSize, nullptr, data_key.data(), data_key.size(),
      reinterpret_cast<const std::uint8_t*>(ad.data()), ad.size(), nullptr, out, kek.data());
  return wrapped;
}

Result<crypto::SecretBytes> UnwrapDataKey(const crypto::SecretBytes& kek, std::string_view wrapped,
                                          std::string_view encoded_params) {
  if (wrapped.size() != kWrappedSize) return Status::Corruption("wrapped data key is malformed");
  const auto* in = reinterpret_cast<const std::uint8_t*>(wrapped.data());
  const std::string ad = WrapAd(encoded_params);
  crypto::SecretBytes data_key(kKeySize);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          data_key.data(), nullptr, nullptr, in + kWrapNonceSize, wrapped.size() - kWrapNonceSize,
          reinterpret_cast<const std::uint8_t*>(ad.data()), ad.size(), in, kek.data()) != 0) {
    return Status::Unauthorized("wrong passphrase");
  }
  return data_key;
}

}  // namespace tocsin::store
