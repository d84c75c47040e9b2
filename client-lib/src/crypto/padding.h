// Bucket padding of sealed plaintext (SPEC.md section 10.1): the plaintext, one 0x80
// byte, then zeros up to the smallest bucket that holds them (1, 4, 16 or 64 KiB), so
// that an ack and a short alert look alike to a relay.
//
// Thread-safety: free functions.
#ifndef TOCSIN_CRYPTO_PADDING_H_
#define TOCSIN_CRYPTO_PADDING_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tocsin/status.h"

namespace tocsin::crypto {

inline constexpr std::array<std::size_t, 4> kPaddingBuckets = {1024, 4096, 16384, 65536};
// The longest plaintext that fits: the largest bucket less the 0x80 marker.
inline constexpr std::size_t kMaxPaddedPlaintext = 65536 - 1;

// The bucket `length` bytes of plaintext pad to; 0 when it fits none.
std::size_t PaddedSize(std::size_t length);

// Appends plaintext || 0x80 || zeros to `out`. kTooLarge over kMaxPaddedPlaintext.
Status AppendPadded(std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out);

// The plaintext inside padded bytes: kCryptoFailure unless `padded` is a bucket size
// and ends in 0x80 followed only by zeros.
Result<std::span<const std::uint8_t>> Unpad(std::span<const std::uint8_t> padded);

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_PADDING_H_
