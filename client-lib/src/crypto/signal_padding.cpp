#include "crypto/signal_padding.h"

#include <algorithm>

namespace tocsin::crypto {

namespace {
constexpr std::uint8_t kMarker = 0x80;
}  // namespace

std::vector<std::uint8_t> PadContent(std::span<const std::uint8_t> content) {
  std::vector<std::uint8_t> padded;
  padded.reserve(ContentPaddedSize(content.size()));
  padded.assign(content.begin(), content.end());
  padded.push_back(kMarker);
  padded.resize(ContentPaddedSize(content.size()), 0);
  return padded;
}

Result<std::span<const std::uint8_t>> UnpadContent(std::span<const std::uint8_t> padded) {
  if (padded.empty() || padded.size() % kContentPaddingBlock != 0) {
    return Status::CryptoFailure("padded content is not a multiple of 160 bytes");
  }
  // The marker is the last non-zero byte.
  auto last = std::find_if(padded.rbegin(), padded.rend(), [](std::uint8_t b) { return b != 0; });
  if (last == padded.rend() || *last != kMarker) {
    return Status::CryptoFailure("bad content padding");
  }
  const auto length = static_cast<std::size_t>(padded.rend() - last) - 1;
  if (ContentPaddedSize(length) != padded.size()) {
    return Status::CryptoFailure("content padding longer than needed");
  }
  return padded.first(length);
}

}  // namespace tocsin::crypto
