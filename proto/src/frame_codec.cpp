#include "tocsin/frame_codec.h"

#include <algorithm>

namespace tocsin {
namespace {

std::uint32_t ReadBigEndian32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void AppendBigEndian32(std::uint32_t v, std::string* out) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(bytes, 4);
}

}  // namespace

Status AppendFrame(const wire::Frame& frame, std::string* out, std::uint32_t max_frame_bytes) {
  if (frame.kind_case() == wire::Frame::KIND_NOT_SET) {
    return Status::BadFrame("frame has no request, response or push");
  }
  const std::size_t size = frame.ByteSizeLong();
  if (size > max_frame_bytes) return Status::TooLarge("frame over the maximum size");
  const std::size_t start = out->size();
  AppendBigEndian32(static_cast<std::uint32_t>(size), out);
  out->resize(start + kFrameHeaderBytes + size);
  auto* body = reinterpret_cast<std::uint8_t*>(out->data() + start + kFrameHeaderBytes);
  frame.SerializeWithCachedSizesToArray(body);
  return Status::Ok();
}

Result<std::string> EncodeFrame(const wire::Frame& frame, std::uint32_t max_frame_bytes) {
  std::string out;
  Status status = AppendFrame(frame, &out, max_frame_bytes);
  if (!status.ok()) return status;
  return out;
}

FrameDecoder::FrameDecoder(std::uint32_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

FrameDecoder::State FrameDecoder::Fail(Status status) {
  error_ = std::move(status);
  partial_.clear();
  partial_.shrink_to_fit();
  return State::kBad;
}

FrameDecoder::State FrameDecoder::ParseBody(const std::uint8_t* data, std::size_t size,
                                            wire::Frame* out) {
  out->Clear();
  if (!out->ParseFromArray(data, static_cast<int>(size))) {
    return Fail(Status::BadFrame("malformed frame"));
  }
  if (out->kind_case() == wire::Frame::KIND_NOT_SET) {
    return Fail(Status::BadFrame("frame has no request, response or push"));
  }
  return State::kFrame;
}

FrameDecoder::Step FrameDecoder::Decode(std::span<const std::uint8_t> input, wire::Frame* out) {
  if (bad()) return {State::kBad, 0};
  std::size_t used = 0;

  // Fast path: nothing held and the whole frame is in `input`: parse it in place.
  if (partial_.empty() && input.size() >= kFrameHeaderBytes) {
    const std::uint32_t length = ReadBigEndian32(input.data());
    if (length > max_frame_bytes_)
      return {Fail(Status::TooLarge("declared frame length over the maximum")), 0};
    if (input.size() - kFrameHeaderBytes >= length) {
      const State state = ParseBody(input.data() + kFrameHeaderBytes, length, out);
      return {state, state == State::kFrame ? kFrameHeaderBytes + length : 0};
    }
  }

  // Slow path: collect the header, check it, then collect the body.
  if (partial_.size() < kFrameHeaderBytes) {
    const std::size_t take = std::min(kFrameHeaderBytes - partial_.size(), input.size());
    partial_.append(reinterpret_cast<const char*>(input.data()), take);
    used += take;
    if (partial_.size() < kFrameHeaderBytes) return {State::kNeedMore, used};
    body_length_ = ReadBigEndian32(reinterpret_cast<const std::uint8_t*>(partial_.data()));
    if (body_length_ > max_frame_bytes_) {
      return {Fail(Status::TooLarge("declared frame length over the maximum")), used};
    }
    partial_.reserve(kFrameHeaderBytes + body_length_);
  }
  const std::size_t wanted = kFrameHeaderBytes + body_length_ - partial_.size();
  const std::size_t take = std::min(wanted, input.size() - used);
  partial_.append(reinterpret_cast<const char*>(input.data() + used), take);
  used += take;
  if (take < wanted) return {State::kNeedMore, used};

  const State state =
      ParseBody(reinterpret_cast<const std::uint8_t*>(partial_.data()) + kFrameHeaderBytes,
                body_length_, out);
  partial_.clear();
  if (partial_.capacity() > 64 * 1024) partial_.shrink_to_fit();
  return {state, used};
}

}  // namespace tocsin
