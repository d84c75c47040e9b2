#include "crypto/sealed_common.h"

#include "crypto/padding.h"

namespace tocsin::crypto {
namespace sealed_detail {

Result<std::vector<std::uint8_t>> TakeUnpadded(std::vector<std::uint8_t>& padded,
                                               std::size_t offset) {
  auto plaintext = Unpad(padded);
  if (!plaintext.ok() || plaintext->size() < offset) {
    sodium_memzero(padded.data(), padded.size());
    return Status::CryptoFailure("sealed: bad padding");
  }
  std::vector<std::uint8_t> content(plaintext->begin() + static_cast<std::ptrdiff_t>(offset),
                                    plaintext->end());
  sodium_memzero(padded.data(), padded.size());
  return content;
}

}  // namespace sealed_detail

}  // namespace tocsin::crypto
