// What a device does with the content of an opened envelope, from arbitrary bytes: parse
// SealedContent, then decrypt its ciphertext as the type says (libsignal's parsers and
// our layer over them), or process it as a sender-key distribution; and the content
// padding (SPEC.md section 10.5) and the application payload (alert.proto) parsers on the
// same bytes. Bob is a fresh, deterministic device each time, holding Alice's session
// bundle and sender key. Checked beyond "no crash": a plaintext comes only with the
// sender and type the seeds were made with, and unpadding never grows the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "crypto/signal_padding.h"
#include "fuzz_common.h"
#include "signal_rig.h"
#include "tocsin/alert.pb.h"
#include "tocsin/envelope.pb.h"

namespace {

using tocsin::fuzz::Require;

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void Decrypt(const tocsin::envelope::SealedContent& content) {
  using namespace tocsin::crypto;
  tocsin::fuzz::SignalRig rig;
  const auto ciphertext = Bytes(content.ciphertext());
  switch (content.type()) {
    case tocsin::envelope::SIGNAL_MESSAGE:
    case tocsin::envelope::PREKEY_SIGNAL_MESSAGE: {
      auto cipher =
          tocsin::fuzz::OrAbort(PairwiseCipher::Create(*rig.bob.signal, rig.alice.address));
      const auto type = content.type() == tocsin::envelope::SIGNAL_MESSAGE
                            ? MessageType::kSignal
                            : MessageType::kPreKeySignal;
      auto plaintext = cipher.Decrypt(type, ciphertext);
      if (plaintext.ok()) Require(type == MessageType::kPreKeySignal);  // the seeds' first message
      break;
    }
    case tocsin::envelope::SENDER_KEY_MESSAGE: {
      auto cipher = tocsin::fuzz::OrAbort(GroupCipher::Create(*rig.bob.signal, rig.AliceGroup()));
      (void)cipher.Decrypt(ciphertext);
      break;
    }
    case tocsin::envelope::SENDER_KEY_DISTRIBUTION:
      (void)ProcessSenderKeyDistribution(*rig.bob.signal, rig.AliceGroup(), ciphertext);
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  auto unpadded = tocsin::crypto::UnpadContent(input);
  if (unpadded.ok()) {
    Require(unpadded->size() < size);
    tocsin::app::Payload payload;
    (void)payload.ParseFromArray(unpadded->data(), static_cast<int>(unpadded->size()));
  }
  tocsin::envelope::SealedContent content;
  if (!content.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (content.ciphertext().empty()) return 0;
  Decrypt(content);
  return 0;
}
