#include "crypto/signal_message.h"

#include <exception>
#include <utility>

#include "crypto/signal_context.h"
#include "crypto/signal_padding.h"

namespace tocsin::crypto::signal_internal {

signal_protocol_address ToSignalAddress(const Address& address) {
  return {address.name.c_str(), address.name.size(), address.device_id};
}

signal_protocol_sender_key_name ToSignalSenderKeyName(const SenderKeyName& name) {
  return {name.group_id.c_str(), name.group_id.size(), ToSignalAddress(name.sender)};
}

int DecryptCall::OnPlaintext(const signal_buffer* padded) {
  // Checked here, before libsignal stores anything: a message that is authentic but
  // badly padded leaves the state as it was.
  auto content = UnpadContent({signal_buffer_const_data(padded), signal_buffer_len(padded)});
  if (!content.ok()) {
    failure = content.status();
    return kSignalCallbackFailed;
  }
  if (on_plaintext == nullptr || !*on_plaintext) return SG_SUCCESS;
  try {
    failure = (*on_plaintext)(*content);
  } catch (const std::exception& e) {
    failure = Status::Internal(std::string("plaintext callback threw: ") + e.what());
  } catch (...) {
    failure = Status::Internal("plaintext callback threw");
  }
  return failure.ok() ? SG_SUCCESS : kSignalCallbackFailed;
}

Status DecryptCall::Failure(SignalStoreContext& store, int code, std::string_view what) {
  if (code == kSignalCallbackFailed && !failure.ok()) return std::exchange(failure, Status::Ok());
  return store.Failure(code, what);
}

std::vector<std::uint8_t> CopyOut(const signal_buffer* buffer) {
  const std::uint8_t* data = signal_buffer_const_data(buffer);
  return {data, data + signal_buffer_len(buffer)};
}

}  // namespace tocsin::crypto::signal_internal
