#include "crypto/signal_group.h"

#include <signal/group_session_builder.h>
#include <signal/protocol.h>
#include <signal/sender_key_record.h>

#include "crypto/signal_padding.h"

namespace tocsin::crypto {

using signal_internal::CopyOut;
using signal_internal::DecryptCall;
using signal_internal::OnDecrypted;
using signal_internal::ToSignalSenderKeyName;

namespace {

Result<SignalOwned<group_session_builder>> MakeBuilder(SignalStoreContext& store) {
  group_session_builder* raw = nullptr;
  const int result = group_session_builder_create(&raw, store.get(), store.global());
  SignalOwned<group_session_builder> builder(raw);
  if (result < 0) return SignalError(result, "create group session builder");
  return builder;
}

}  // namespace

Result<std::vector<std::uint8_t>> CreateSenderKeyDistribution(SignalStoreContext& store,
                                                              const SenderKeyName& own) {
  auto lock = store.context().Lock();
  auto builder = MakeBuilder(store);
  if (!builder.ok()) return builder.status();
  const signal_protocol_sender_key_name name = ToSignalSenderKeyName(own);
  SignalRef<sender_key_distribution_message> message;
  const int result = group_session_builder_create_session(builder->get(), message.out(), &name);
  if (result < 0) return store.Failure(result, "create sender key");
  return CopyOut(
      ciphertext_message_get_serialized(reinterpret_cast<ciphertext_message*>(message.get())));
}

Status ProcessSenderKeyDistribution(SignalStoreContext& store, const SenderKeyName& sender,
                                    std::span<const std::uint8_t> distribution) {
  auto lock = store.context().Lock();
  SignalRef<sender_key_distribution_message> message;
  int result = sender_key_distribution_message_deserialize(message.out(), distribution.data(),
                                                           distribution.size(), store.global());
  if (result < 0) return SignalError(result, "parse sender key distribution");
  auto builder = MakeBuilder(store);
  if (!builder.ok()) return builder.status();
  const signal_protocol_sender_key_name name = ToSignalSenderKeyName(sender);
  result = group_session_builder_process_session(builder->get(), &name, message.get());
  if (result < 0) return store.Failure(result, "process sender key distribution");
  return Status::Ok();
}

Result<GroupCipher> GroupCipher::Create(SignalStoreContext& store, SenderKeyName name) {
  auto target = std::make_unique<Target>();
  target->name = std::move(name);
  target->signal_name = ToSignalSenderKeyName(target->name);
  auto lock = store.context().Lock();
  group_cipher* raw = nullptr;
  const int result = group_cipher_create(&raw, store.get(), &target->signal_name, store.global());
  SignalOwned<group_cipher> cipher(raw);
  if (result < 0) return SignalError(result, "create group cipher");
  group_cipher_set_decryption_callback(cipher.get(), &OnDecrypted<group_cipher>);
  return GroupCipher(store, std::move(target), std::move(cipher));
}

Result<SignalCiphertext> GroupCipher::Encrypt(std::span<const std::uint8_t> plaintext) {
  const std::vector<std::uint8_t> padded = PadContent(plaintext);
  auto lock = store_->context().Lock();
  SignalRef<ciphertext_message> message;
  const int result =
      group_cipher_encrypt(cipher_.get(), padded.data(), padded.size(), message.out());
  if (result == SG_ERR_NO_SESSION) {
    return Status::NotFound("no sender key of ours for this group: distribute one first");
  }
  if (result < 0) return store_->Failure(result, "group encrypt");
  return SignalCiphertext{MessageType::kSenderKey,
                          CopyOut(ciphertext_message_get_serialized(message.get()))};
}

Result<std::vector<std::uint8_t>> GroupCipher::Decrypt(std::span<const std::uint8_t> ciphertext,
                                                       const PlaintextCallback& on_plaintext) {
  DecryptCall call;
  call.on_plaintext = &on_plaintext;
  auto lock = store_->context().Lock();
  SignalRef<sender_key_message> message;
  int result = sender_key_message_deserialize(message.out(), ciphertext.data(), ciphertext.size(),
                                              store_->global());
  if (result < 0) return SignalError(result, "parse group message");
  SignalBuffer padded;
  result = group_cipher_decrypt(cipher_.get(), message.get(), &call, padded.out());
  if (result < 0) {
    // libsignal answers "no session" for an unknown sender and "invalid message" for an
    // unknown key id of a known sender (a chain distributed since): both wait for a
    // distribution.
    if (result == SG_ERR_NO_SESSION || (result == SG_ERR_INVALID_MESSAGE &&
                                        !KnowsKey(sender_key_message_get_key_id(message.get())))) {
      return Status::NotFound("sender key not known yet: waiting for its distribution");
    }
    return call.Failure(*store_, result, "group decrypt");
  }
  auto content = UnpadContent(padded.span());
  if (!content.ok()) return content.status();
  return std::vector<std::uint8_t>(content->begin(), content->end());
}

bool GroupCipher::KnowsKey(std::uint32_t key_id) const {
  SignalRef<sender_key_record> record;
  if (signal_protocol_sender_key_load_key(store_->get(), record.out(), &target_->signal_name) < 0) {
    return true;  // cannot tell: report the decryption failure itself
  }
  sender_key_state* state = nullptr;  // borrowed from the record
  return sender_key_record_is_empty(record.get()) == 0 &&
         sender_key_record_get_sender_key_state_by_id(record.get(), &state, key_id) >= 0;
}

}  // namespace tocsin::crypto
