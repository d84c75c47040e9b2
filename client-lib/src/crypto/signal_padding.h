// Content padding inside libsignal messages. libsignal pads nothing: a Signal message's
// length is its content's length plus a constant. Padded, a libsignal ciphertext reveals
// its content's length only to a multiple of 160 bytes, wherever it is kept.
//
// The rule (SPEC.md section 10.5, "Inner padding", pad160): before libsignal encrypts a
// content, it becomes
//     content || 0x80 || zero bytes
// of the smallest positive multiple of 160 bytes that holds the content and the 0x80
// marker (as Signal's apps pad, though they stop one byte short of the multiple). After
// decryption the receiver removes it, and rejects (CRYPTO_FAILURE) a padded content that
// is empty or not a multiple of 160 bytes, whose last non-zero byte is not 0x80, or that
// is longer than the rule gives for its content (160 or more zero bytes after the
// marker): only what pad160 makes is accepted.
//
// The sealed layer pads again, the whole sealed plaintext to its buckets
// (crypto/padding.h); the two paddings are independent.
//
// Thread-safety: free functions.
#ifndef TOCSIN_CRYPTO_SIGNAL_PADDING_H_
#define TOCSIN_CRYPTO_SIGNAL_PADDING_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tocsin/status.h"

namespace tocsin::crypto {

inline constexpr std::size_t kContentPaddingBlock = 160;

// The padded size of a `length`-byte content.
constexpr std::size_t ContentPaddedSize(std::size_t length) {
  return (length / kContentPaddingBlock + 1) * kContentPaddingBlock;
}

// content || 0x80 || zeros, ContentPaddedSize(content.size()) bytes.
std::vector<std::uint8_t> PadContent(std::span<const std::uint8_t> content);

// The content inside `padded` (a view into it); kCryptoFailure for bad padding.
Result<std::span<const std::uint8_t>> UnpadContent(std::span<const std::uint8_t> padded);

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_PADDING_H_
