#include "crypto/padding.h"

#include <algorithm>

namespace tocsin::crypto {

std::size_t PaddedSize(std::size_t length) {
  for (std::size_t bucket : kPaddingBuckets) {
    if (length < bucket) return bucket;
  }
  return 0;
}

Status AppendPadded(std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) {
  const std::size_t bucket = PaddedSize(plaintext.size());
  if (bucket == 0) return Status::TooLarge("plaintext over the largest padding bucket");
  out.reserve(out.size() + bucket);
  out.insert(out.end(), plaintext.begin(), plaintext.end());
  out.push_back(0x80);
  out.resize(out.size() + bucket - plaintext.size() - 1, 0);
  return Status::Ok();
}

Result<std::span<const std::uint8_t>> Unpad(std::span<const std::uint8_t> padded) {
  if (std::find(kPaddingBuckets.begin(), kPaddingBuckets.end(), padded.size()) ==
      kPaddingBuckets.end()) {
    return Status::CryptoFailure("padded plaintext is not a bucket size");
  }
  // The marker is the last non-zero byte.
  auto last = std::find_if(padded.rbegin(), padded.rend(), [](std::uint8_t b) { return b != 0; });
  if (last == padded.rend() || *last != 0x80) {
    return Status::CryptoFailure("bad padding");
  }
  const std::size_t length = static_cast<std::size_t>(padded.rend() - last) - 1;
  return padded.first(length);
}

}  // namespace tocsin::crypto
