// The frame decoder fed arbitrary bytes in arbitrary chunks (the first byte picks the
// chunk size). Checked beyond "no crash": it never buffers more than the maximum frame
// plus its header; a frame consumes bytes and need-more consumes all; once bad it stays
// bad; every frame it yields encodes back to bytes that decode to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fuzz_common.h"
#include "tocsin/frame_codec.h"

namespace {

using tocsin::fuzz::Require;

constexpr std::uint32_t kMax = 4096;  // small, so that the length checks are reached

void CheckRoundTrip(const tocsin::wire::Frame& frame) {
  auto encoded = tocsin::EncodeFrame(frame, kMax);
  if (!encoded.ok()) return;  // a decoded frame re-serialized can exceed the maximum
  tocsin::FrameDecoder again(kMax);
  tocsin::wire::Frame copy;
  const auto bytes =
      std::span(reinterpret_cast<const std::uint8_t*>(encoded->data()), encoded->size());
  const auto step = again.Decode(bytes, &copy);
  Require(step.state == tocsin::FrameDecoder::State::kFrame);
  Require(step.consumed == bytes.size());
  Require(copy.SerializeAsString() == frame.SerializeAsString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  tocsin::FrameDecoder decoder(kMax);
  while (!rest.empty()) {
    const auto piece = rest.first(std::min(chunk, rest.size()));
    std::span<const std::uint8_t> input = piece;
    while (!input.empty()) {
      tocsin::wire::Frame frame;
      const auto step = decoder.Decode(input, &frame);
      Require(step.consumed <= input.size());
      Require(decoder.buffered() <= kMax + tocsin::kFrameHeaderBytes);
      if (step.state == tocsin::FrameDecoder::State::kBad) {
        Require(decoder.bad());
        Require(decoder.Decode(input, &frame).state == tocsin::FrameDecoder::State::kBad);
        return 0;
      }
      if (step.state == tocsin::FrameDecoder::State::kFrame) {
        Require(step.consumed > 0);
        CheckRoundTrip(frame);
      }
      if (step.state == tocsin::FrameDecoder::State::kNeedMore) {
        Require(step.consumed == input.size());
      }
      input = input.subspan(step.consumed);
    }
    rest = rest.subspan(piece.size());
  }
  return 0;
}
