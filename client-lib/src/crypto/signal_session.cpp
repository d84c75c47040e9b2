#include "crypto/signal_session.h"

#include <signal/protocol.h>
#include <signal/session_builder.h>
#include <signal/session_pre_key.h>

#include "crypto/signal_padding.h"

namespace tocsin::crypto {

using signal_internal::CopyOut;
using signal_internal::DecryptCall;
using signal_internal::OnDecrypted;
using signal_internal::ToSignalAddress;

namespace {

// The bundle's keys as libsignal objects (kept alive while the bundle uses them).
struct BundleKeys {
  SignalRef<ec_public_key> identity;
  SignalRef<ec_public_key> signed_pre_key;
  SignalRef<ec_public_key> one_time;
};

Result<BundleKeys> DecodeBundleKeys(const SignalContext& context, const PreKeyBundle& bundle) {
  BundleKeys keys;
  auto identity = ToSignalPublicKey(context, bundle.identity_key);
  auto signed_pre_key = ToSignalPublicKey(context, bundle.signed_pre_key);
  if (!identity.ok()) return identity.status();
  if (!signed_pre_key.ok()) return signed_pre_key.status();
  keys.identity = std::move(identity).value();
  keys.signed_pre_key = std::move(signed_pre_key).value();
  if (bundle.one_time) {
    auto one_time = ToSignalPublicKey(context, bundle.one_time->key);
    if (!one_time.ok()) return one_time.status();
    keys.one_time = std::move(one_time).value();
  }
  return keys;
}

Result<SignalRef<session_pre_key_bundle>> MakeBundle(const PreKeyBundle& bundle,
                                                     const BundleKeys& keys) {
  SignalRef<session_pre_key_bundle> out;
  const int result = session_pre_key_bundle_create(
      out.out(), bundle.registration_id, bundle.device_id,
      bundle.one_time ? bundle.one_time->id : 0, keys.one_time.get(), bundle.signed_pre_key_id,
      keys.signed_pre_key.get(), bundle.signed_pre_key_signature.data(),
      bundle.signed_pre_key_signature.size(), keys.identity.get());
  if (result < 0) return SignalError(result, "make pre-key bundle");
  return out;
}

}  // namespace

Status ProcessPreKeyBundle(SignalStoreContext& store, const Address& remote,
                           const PreKeyBundle& bundle) {
  auto lock = store.context().Lock();
  auto keys = DecodeBundleKeys(store.context(), bundle);
  if (!keys.ok()) return keys.status();
  auto signal_bundle = MakeBundle(bundle, *keys);
  if (!signal_bundle.ok()) return signal_bundle.status();
  const signal_protocol_address address = ToSignalAddress(remote);
  session_builder* raw = nullptr;
  int result = session_builder_create(&raw, store.get(), &address, store.global());
  SignalOwned<session_builder> builder(raw);
  if (result < 0) return SignalError(result, "create session builder");
  result = session_builder_process_pre_key_bundle(builder.get(), signal_bundle->get());
  // SG_ERR_INVALID_KEY is libsignal's answer to a bad signed pre-key signature.
  if (result < 0) return store.Failure(result, "process pre-key bundle");
  return Status::Ok();
}

Result<PairwiseCipher> PairwiseCipher::Create(SignalStoreContext& store, Address remote) {
  auto target = std::make_unique<Target>();
  target->address = std::move(remote);
  target->signal_address = ToSignalAddress(target->address);
  auto lock = store.context().Lock();
  session_cipher* raw = nullptr;
  const int result =
      session_cipher_create(&raw, store.get(), &target->signal_address, store.global());
  SignalOwned<session_cipher> cipher(raw);
  if (result < 0) return SignalError(result, "create session cipher");
  session_cipher_set_decryption_callback(cipher.get(), &OnDecrypted<session_cipher>);
  return PairwiseCipher(store, std::move(target), std::move(cipher));
}

Result<SignalCiphertext> PairwiseCipher::Encrypt(std::span<const std::uint8_t> plaintext) {
  const std::vector<std::uint8_t> padded = PadContent(plaintext);
  auto lock = store_->context().Lock();
  SignalRef<ciphertext_message> message;
  const int result =
      session_cipher_encrypt(cipher_.get(), padded.data(), padded.size(), message.out());
  if (result < 0) {
    Status failure = store_->Failure(result, "encrypt");
    if (failure.code() == Code::kCryptoFailure &&
        signal_protocol_session_contains_session(store_->get(), &target_->signal_address) == 0) {
      return Status::NotFound("no session with this contact: process its pre-key bundle first");
    }
    return failure;
  }
  SignalCiphertext out;
  out.type = ciphertext_message_get_type(message.get()) == CIPHERTEXT_PREKEY_TYPE
                 ? MessageType::kPreKeySignal
                 : MessageType::kSignal;
  out.bytes = CopyOut(ciphertext_message_get_serialized(message.get()));
  return out;
}

Result<std::vector<std::uint8_t>> PairwiseCipher::Decrypt(MessageType type,
                                                          std::span<const std::uint8_t> ciphertext,
                                                          const PlaintextCallback& on_plaintext) {
  DecryptCall call;
  call.on_plaintext = &on_plaintext;
  auto lock = store_->context().Lock();
  switch (type) {
    case MessageType::kPreKeySignal:
      return DecryptPreKey(ciphertext, call);
    case MessageType::kSignal:
      return DecryptSignal(ciphertext, call);
    default:
      return Status::InvalidArgument("not a pairwise message type");
  }
}

namespace {

// The unpadded plaintext of a successful decryption (its padding was already checked by
// the decryption callback, before the state was stored).
Result<std::vector<std::uint8_t>> Unpadded(const SignalBuffer& padded) {
  auto content = UnpadContent(padded.span());
  if (!content.ok()) return content.status();
  return std::vector<std::uint8_t>(content->begin(), content->end());
}

}  // namespace

Result<std::vector<std::uint8_t>> PairwiseCipher::DecryptPreKey(
    std::span<const std::uint8_t> ciphertext, DecryptCall& call) {
  SignalRef<pre_key_signal_message> message;
  int result = pre_key_signal_message_deserialize(message.out(), ciphertext.data(),
                                                  ciphertext.size(), store_->global());
  if (result < 0) return SignalError(result, "parse pre-key message");
  SignalBuffer plaintext;
  store_->BeginIdentityWatch();
  result = session_cipher_decrypt_pre_key_signal_message(cipher_.get(), message.get(), &call,
                                                         plaintext.out());
  if (result < 0) {
    Status failure = call.Failure(*store_, result, "decrypt pre-key message");
    // The decryption's failure is what the caller needs; an undo that fails too is
    // harmless in a batch that the caller now discards.
    (void)store_->UndoIdentityChange();
    return failure;
  }
  return Unpadded(plaintext);
}

Result<std::vector<std::uint8_t>> PairwiseCipher::DecryptSignal(
    std::span<const std::uint8_t> ciphertext, DecryptCall& call) {
  SignalRef<signal_message> message;
  int result = signal_message_deserialize(message.out(), ciphertext.data(), ciphertext.size(),
                                          store_->global());
  if (result < 0) return SignalError(result, "parse message");
  SignalBuffer plaintext;
  result =
      session_cipher_decrypt_signal_message(cipher_.get(), message.get(), &call, plaintext.out());
  if (result < 0) return call.Failure(*store_, result, "decrypt message");
  return Unpadded(plaintext);
}

}  // namespace tocsin::crypto
