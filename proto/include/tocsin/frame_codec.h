// Framing of the relay protocol, with no I/O: 4-byte big-endian length, then one
// serialized tocsin.wire.Frame (proto/SPEC.md: framing).
//
// The decoder is fed bytes in chunks of any size and answers frame / need-more / bad.
// It reads a declared length before anything of the body and refuses one over the
// maximum at once, so a peer cannot make it buffer more than max_frame_bytes + 4.
//
// Thread-safety: a FrameDecoder is used by one thread at a time; the free functions are
// thread-safe.
#ifndef TOCSIN_FRAME_CODEC_H_
#define TOCSIN_FRAME_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "tocsin/relay.pb.h"
#include "tocsin/status.h"

namespace tocsin {

inline constexpr std::size_t kFrameHeaderBytes = 4;
inline constexpr std::uint32_t kDefaultMaxFrameBytes = 256 * 1024;

// Appends the encoded frame to `out`.
// Returns TOO_LARGE (and leaves `out` unchanged) when the body is over max_frame_bytes,
// BAD_FRAME when `frame` has no kind set.
Status AppendFrame(const wire::Frame& frame, std::string* out,
                   std::uint32_t max_frame_bytes = kDefaultMaxFrameBytes);

// As AppendFrame, into a new string.
Result<std::string> EncodeFrame(const wire::Frame& frame,
                                std::uint32_t max_frame_bytes = kDefaultMaxFrameBytes);

class FrameDecoder {
 public:
  enum class State {
    kFrame,     // a whole frame was decoded into *out
    kNeedMore,  // all input consumed; feed more
    kBad,       // the stream is broken for good: error() says why; close the connection
  };

  struct Step {
    State state;
    std::size_t consumed;  // bytes of `input` used; on kFrame the rest starts the next frame
  };

  explicit FrameDecoder(std::uint32_t max_frame_bytes = kDefaultMaxFrameBytes);

  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Consumes bytes up to the end of the next frame at most. On kFrame, *out holds the
  // frame; call again with the unconsumed rest. Once kBad, every call answers kBad and
  // consumes nothing.
  // REQUIRES: out != nullptr.
  Step Decode(std::span<const std::uint8_t> input, wire::Frame* out);

  // Why the stream is bad: TOO_LARGE (declared length over the maximum) or BAD_FRAME
  // (malformed protobuf, or a frame with nothing in it).
  const Status& error() const { return error_; }

  // Bytes of an unfinished frame held inside (header or body).
  std::size_t buffered() const { return partial_.size(); }

  // True when no partial frame is held: the stream ended on a frame boundary. A stream
  // that ends otherwise was truncated.
  bool at_boundary() const { return partial_.empty() && !bad(); }

  bool bad() const { return !error_.ok(); }

 private:
  State Fail(Status status);
  State ParseBody(const std::uint8_t* data, std::size_t size, wire::Frame* out);

  std::uint32_t max_frame_bytes_;
  std::string partial_;            // header bytes, then header + body bytes, of one frame
  std::uint32_t body_length_ = 0;  // valid once partial_ holds a whole header
  Status error_;
};

}  // namespace tocsin

#endif  // TOCSIN_FRAME_CODEC_H_
