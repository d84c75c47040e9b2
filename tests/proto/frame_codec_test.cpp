#include "tocsin/frame_codec.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

using tocsin::Code;
using tocsin::FrameDecoder;
using State = tocsin::FrameDecoder::State;
namespace wire = tocsin::wire;

namespace {

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

wire::Frame SendFrame(std::uint64_t id, std::size_t envelope_size) {
  wire::Frame f;
  auto* req = f.mutable_request();
  req->set_id(id);
  auto* send = req->mutable_send();
  send->set_mailbox_id(std::string(16, static_cast<char>(id)));
  send->set_token(std::string(16, 't'));
  send->set_envelope(std::string(envelope_size, static_cast<char>(0xA5)));
  send->set_ttl_seconds(3600);
  return f;
}

wire::Frame DeliveryFrame(std::uint64_t seq) {
  wire::Frame f;
  auto* d = f.mutable_push()->mutable_delivery();
  d->set_seq(seq);
  d->mutable_view()->set_blob("blob");
  d->mutable_view()->set_view(std::string(48, 'v'));
  return f;
}

std::string Encode(const wire::Frame& f) {
  auto r = tocsin::EncodeFrame(f);
  REQUIRE(r.ok());
  return *r;
}

// Feeds `stream` in the given chunk sizes (cycled) and collects every frame.
std::vector<wire::Frame> DecodeAll(FrameDecoder& d, const std::string& stream,
                                   const std::vector<std::size_t>& chunks, State* last) {
  std::vector<wire::Frame> frames;
  std::size_t pos = 0, chunk_index = 0;
  *last = State::kNeedMore;
  while (pos < stream.size()) {
    std::size_t n = std::min(chunks[chunk_index++ % chunks.size()], stream.size() - pos);
    auto chunk = Bytes(stream).subspan(pos, n);
    pos += n;
    while (!chunk.empty()) {
      wire::Frame f;
      auto step = d.Decode(chunk, &f);
      *last = step.state;
      if (step.state == State::kBad) return frames;
      chunk = chunk.subspan(step.consumed);
      if (step.state == State::kFrame) frames.push_back(f);
    }
  }
  return frames;
}

bool SameFrame(const wire::Frame& a, const wire::Frame& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

}  // namespace

TEST_CASE("a frame round-trips through encode and decode", "[frame]") {
  wire::Frame sent = SendFrame(42, 700);
  std::string bytes = Encode(sent);
  REQUIRE(bytes.size() == tocsin::kFrameHeaderBytes + sent.ByteSizeLong());
  CHECK(static_cast<std::uint8_t>(bytes[0]) == 0);  // big-endian length
  CHECK(static_cast<std::uint8_t>(bytes[3]) == (sent.ByteSizeLong() & 0xFF));
  FrameDecoder d;
  wire::Frame got;
  auto step = d.Decode(Bytes(bytes), &got);
  REQUIRE(step.state == State::kFrame);
  CHECK(step.consumed == bytes.size());
  CHECK(SameFrame(sent, got));
  CHECK(d.at_boundary());
}

TEST_CASE("a stream of frames decodes the same at every split point", "[frame]") {
  std::string stream = Encode(SendFrame(1, 10)) + Encode(DeliveryFrame(7)) +
                       Encode(SendFrame(2, 300)) + Encode(DeliveryFrame(8));
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    FrameDecoder d;
    State last;
    std::vector<std::size_t> chunks{split == 0 ? stream.size() : split, stream.size()};
    auto frames = DecodeAll(d, stream, chunks, &last);
    REQUIRE(frames.size() == 4);
    CHECK(frames[0].request().id() == 1);
    CHECK(frames[1].push().delivery().seq() == 7);
    CHECK(frames[2].request().send().envelope().size() == 300);
    CHECK(frames[3].push().delivery().seq() == 8);
    CHECK(d.at_boundary());
  }
}

TEST_CASE("a stream fed one byte at a time decodes", "[frame]") {
  std::string stream = Encode(SendFrame(3, 1000)) + Encode(DeliveryFrame(9));
  FrameDecoder d;
  State last;
  auto frames = DecodeAll(d, stream, {1}, &last);
  REQUIRE(frames.size() == 2);
  CHECK(last == State::kFrame);
}

TEST_CASE("random chunking never changes what is decoded", "[frame]") {
  std::string stream;
  for (int i = 0; i < 50; ++i) stream += Encode(SendFrame(i, static_cast<std::size_t>(i * 37)));
  std::mt19937 rng(1234);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> chunks;
    for (int i = 0; i < 30; ++i) chunks.push_back(1 + rng() % 400);
    FrameDecoder d;
    State last;
    auto frames = DecodeAll(d, stream, chunks, &last);
    REQUIRE(frames.size() == 50);
    for (int i = 0; i < 50; ++i) CHECK(frames[i].request().id() == static_cast<unsigned>(i));
  }
}

TEST_CASE("a truncated stream is need-more and not at a boundary", "[frame]") {
  std::string bytes = Encode(SendFrame(5, 100));
  for (std::size_t cut : {std::size_t{1}, std::size_t{3}, std::size_t{4}, bytes.size() - 1}) {
    FrameDecoder d;
    wire::Frame f;
    auto step = d.Decode(Bytes(bytes).first(cut), &f);
    CHECK(step.state == State::kNeedMore);
    CHECK(step.consumed == cut);
    CHECK_FALSE(d.at_boundary());
    CHECK(d.buffered() == cut);
  }
}

TEST_CASE("an oversized declared length is refused before the body is read", "[frame]") {
  FrameDecoder d(1024);
  std::string header("\x00\x00\x04\x01", 4);  // 1025 bytes declared
  wire::Frame f;
  auto step = d.Decode(Bytes(header), &f);
  CHECK(step.state == State::kBad);
  CHECK(d.error().code() == Code::kTooLarge);
  CHECK(d.buffered() == 0);
  // Sticky: nothing more is consumed.
  std::string more(100, 'x');
  step = d.Decode(Bytes(more), &f);
  CHECK(step.state == State::kBad);
  CHECK(step.consumed == 0);
}

TEST_CASE("an oversized length split across feeds is refused at the fourth byte", "[frame]") {
  FrameDecoder d(1024);
  std::string header("\xFF\xFF\xFF\xFF", 4);
  wire::Frame f;
  for (int i = 0; i < 3; ++i) {
    auto step = d.Decode(Bytes(header).subspan(i, 1), &f);
    CHECK(step.state == State::kNeedMore);
  }
  auto step = d.Decode(Bytes(header).subspan(3, 1), &f);
  CHECK(step.state == State::kBad);
  CHECK(d.error().code() == Code::kTooLarge);
}

TEST_CASE("encoding refuses a frame over the maximum and an empty frame", "[frame]") {
  auto big = tocsin::EncodeFrame(SendFrame(1, 2000), 1024);
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().code() == Code::kTooLarge);
  std::string out = "keep";
  CHECK(tocsin::AppendFrame(SendFrame(1, 2000), &out, 1024).code() == Code::kTooLarge);
  CHECK(out == "keep");
  auto empty = tocsin::EncodeFrame(wire::Frame());
  CHECK(empty.status().code() == Code::kBadFrame);
}

TEST_CASE("malformed protobuf and empty frames are bad frames", "[frame]") {
  SECTION("garbage body") {
    std::string bytes("\x00\x00\x00\x05\xFF\xFF\xFF\xFF\xFF", 9);
    FrameDecoder d;
    wire::Frame f;
    CHECK(d.Decode(Bytes(bytes), &f).state == State::kBad);
    CHECK(d.error().code() == Code::kBadFrame);
  }
  SECTION("zero-length frame carries nothing") {
    std::string bytes("\x00\x00\x00\x00", 4);
    FrameDecoder d;
    wire::Frame f;
    CHECK(d.Decode(Bytes(bytes), &f).state == State::kBad);
    CHECK(d.error().code() == Code::kBadFrame);
  }
  SECTION("a field truncated inside the body") {
    std::string body = SendFrame(1, 50).SerializeAsString();
    body.resize(body.size() - 10);
    std::string bytes("\x00\x00\x00", 3);
    bytes.push_back(static_cast<char>(body.size()));
    bytes += body;
    FrameDecoder d;
    wire::Frame f;
    CHECK(d.Decode(Bytes(bytes), &f).state == State::kBad);
    CHECK(d.error().code() == Code::kBadFrame);
  }
}

TEST_CASE("random garbage gives typed errors or need-more, never a crash", "[frame]") {
  std::mt19937 rng(99);
  for (int round = 0; round < 2000; ++round) {
    std::string garbage(1 + rng() % 300, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng());
    FrameDecoder d(4096);
    State last;
    DecodeAll(d, garbage, {1 + rng() % 64}, &last);
    if (last == State::kBad) {
      CHECK((d.error().code() == Code::kBadFrame || d.error().code() == Code::kTooLarge));
    }
    CHECK(d.buffered() <= 4096 + tocsin::kFrameHeaderBytes);
  }
}

TEST_CASE("unknown fields are skipped, so newer peers stay compatible", "[frame]") {
  wire::Frame f = SendFrame(11, 20);
  std::string body = f.SerializeAsString();
  body += std::string("\xF8\x3E\x01", 3);  // field 999, varint 1: unknown to this schema
  std::string bytes("\x00\x00\x00", 3);
  bytes.push_back(static_cast<char>(body.size()));
  bytes += body;
  FrameDecoder d;
  wire::Frame got;
  REQUIRE(d.Decode(Bytes(bytes), &got).state == State::kFrame);
  CHECK(got.request().id() == 11);
}
