// Opening sealed envelopes (SPEC.md sections 10 and 11) from arbitrary bytes. The first
// byte picks v1 (even) or v2 (odd); for v2 the last 48 bytes are the view and the rest
// the blob. The recipient holds two envelope keys (current and older), as a device does
// after a rotation. Checked beyond "no crash": every failure is kCryptoFailure, and
// whatever opens came from the one sender whose envelopes are in the seed corpus (the
// fuzzer cannot forge one), with content no larger than the padded maximum.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "crypto/padding.h"
#include "crypto/sealed_sender.h"
#include "fuzz_common.h"
#include "fuzz_keys.h"

namespace {

using tocsin::fuzz::Require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tocsin::crypto;
  if (size == 0) return 0;
  const auto& keys = tocsin::fuzz::Keys();
  const X25519KeyPair* const recipient_keys[] = {&keys.recipient, &keys.older};
  const std::span<const std::uint8_t> input(data + 1, size - 1);
  tocsin::Result<OpenedEnvelope> opened = tocsin::Status::Internal("not tried");
  if (data[0] % 2 == 0) {
    opened = OpenV1(recipient_keys, input);
  } else {
    if (input.size() < kV2ViewSize) return 0;
    const auto blob = input.first(input.size() - kV2ViewSize);
    const auto view = input.last(kV2ViewSize);
    StaticDhCache cache;  // the cached path, as receivers use it
    opened = OpenV2(recipient_keys, blob, view, &cache);
  }
  if (!opened.ok()) {
    Require(opened.status().code() == tocsin::Code::kCryptoFailure);
    return 0;
  }
  Require(opened->sender == keys.sender.public_key());
  Require(opened->content.size() <= kMaxPaddedPlaintext);
  return 0;
}
