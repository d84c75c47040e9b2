#include "protocol/wire_encoding.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace tocsin::relay {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

// Field numbers of relay.proto.
constexpr int kFramePush = 3;
constexpr int kPushDelivery = 1;
constexpr int kDeliveryMailbox = 1;
constexpr int kDeliverySeq = 2;
constexpr int kDeliveryExpires = 3;
constexpr int kDeliveryEnvelope = 4;
constexpr int kDeliveryView = 5;
constexpr int kBlobViewBlob = 1;
constexpr int kBlobViewView = 2;

// Size of a length-delimited field with a one-byte tag (all field numbers here are < 16).
std::size_t BytesFieldSize(std::size_t length) {
  return 1 + CodedOutputStream::VarintSize32(static_cast<std::uint32_t>(length)) + length;
}

std::size_t VarintFieldSize(std::uint64_t v) {
  return v == 0 ? 0 : 1 + CodedOutputStream::VarintSize64(v);
}

void PutTag(int field, WireFormatLite::WireType type, std::string* out) {
  out->push_back(static_cast<char>(WireFormatLite::MakeTag(field, type)));
}

void PutVarint(std::uint64_t v, std::string* out) {
  std::uint8_t buf[10];
  const std::uint8_t* end = CodedOutputStream::WriteVarint64ToArray(v, buf);
  out->append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(end - buf));
}

void PutBytesHeader(int field, std::size_t length, std::string* out) {
  PutTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, out);
  PutVarint(length, out);
}

void PutBytes(int field, const char* data, std::size_t length, std::string* out) {
  PutBytesHeader(field, length, out);
  out->append(data, length);
}

void PutVarintField(int field, std::uint64_t v, std::string* out) {
  if (v == 0) return;  // proto3 leaves zero scalars out
  PutTag(field, WireFormatLite::WIRETYPE_VARINT, out);
  PutVarint(v, out);
}

}  // namespace

void AppendDeliveryFrame(const QueuedEntry& entry, std::string* out) {
  const std::size_t blob_size = entry.blob ? entry.blob->size() : 0;
  const std::size_t envelope_size = entry.envelope ? entry.envelope->size() : 0;
  const std::size_t view_body =
      entry.envelope ? 0 : BytesFieldSize(blob_size) + BytesFieldSize(entry.view.size());
  const std::size_t delivery =
      BytesFieldSize(kMailboxIdSize) + VarintFieldSize(entry.seq) +
      VarintFieldSize(entry.expires_at_ms) +
      (entry.envelope ? BytesFieldSize(envelope_size) : BytesFieldSize(view_body));
  const std::size_t push = BytesFieldSize(delivery);
  const std::size_t frame = BytesFieldSize(push);
  out->reserve(out->size() + 4 + frame);
  const auto length = static_cast<std::uint32_t>(frame);
  const char header[4] = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                          static_cast<char>(length >> 8), static_cast<char>(length)};
  out->append(header, 4);
  PutBytesHeader(kFramePush, push, out);
  PutBytesHeader(kPushDelivery, delivery, out);
  PutBytes(kDeliveryMailbox, reinterpret_cast<const char*>(entry.mailbox.data()), kMailboxIdSize,
           out);
  PutVarintField(kDeliverySeq, entry.seq, out);
  PutVarintField(kDeliveryExpires, entry.expires_at_ms, out);
  if (entry.envelope) {
    PutBytes(kDeliveryEnvelope, entry.envelope->data(), envelope_size, out);
    return;
  }
  PutBytesHeader(kDeliveryView, view_body, out);
  PutBytes(kBlobViewBlob, entry.blob ? entry.blob->data() : "", blob_size, out);
  PutBytes(kBlobViewView, entry.view.data(), entry.view.size(), out);
}

wire::ErrorCode ToWireCode(Code code) {
  if (IsWireCode(code)) return static_cast<wire::ErrorCode>(static_cast<int>(code));
  if (code == Code::kInvalidArgument) return wire::BAD_FRAME;
  if (code == Code::kIoError) return wire::UNAVAILABLE;
  return wire::INTERNAL;
}

}  // namespace tocsin::relay
