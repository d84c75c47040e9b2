#include "crypto/signal_store_context.h"

#include <sodium.h>

#include <exception>
#include <string>
#include <utility>

#include "crypto/signal_keys.h"

namespace tocsin::crypto {
namespace {

// ---------------------------------------------------------------- Helpers

SignalStoreContext& StoreOf(void* user_data) {
  return *static_cast<SignalStoreContext*>(user_data);
}

Address ToAddress(const signal_protocol_address* address) {
  return {std::string(address->name, address->name_len), address->device_id};
}

SenderKeyName ToSenderKeyName(const signal_protocol_sender_key_name* name) {
  return {std::string(name->group_id, name->group_id_len), ToAddress(&name->sender)};
}

// Runs `body` and turns what it throws into a store failure: no exception may cross
// libsignal's C frames.
template <typename Body>
int Guard(void* user_data, Body&& body) {
  try {
    return std::forward<Body>(body)(StoreOf(user_data));
  } catch (const std::exception& e) {
    return StoreOf(user_data).RecordStoreFailure(
        Status::Internal(std::string("store: ") + e.what()));
  } catch (...) {
    return StoreOf(user_data).RecordStoreFailure(Status::Internal("store: unknown exception"));
  }
}

// Hands a loaded record to libsignal (which frees the buffer) and wipes our copy.
int GiveRecord(Record& record, signal_buffer** out) {
  *out = signal_buffer_create(record.data(), record.size());
  sodium_memzero(record.data(), record.size());
  return *out != nullptr ? SG_SUCCESS : SG_ERR_NOMEM;
}

// 1 / 0 for libsignal's yes-or-no questions.
int Answer(SignalStoreContext& self, const Result<bool>& result) {
  if (!result.ok()) return self.RecordStoreFailure(result.status());
  return *result ? 1 : 0;
}

int Done(SignalStoreContext& self, const Status& status) {
  return status.ok() ? SG_SUCCESS : self.RecordStoreFailure(status);
}

void NoDestroy(void*) {}

// ---------------------------------------------------------------- Identity

int GetIdentityKeyPair(signal_buffer** public_data, signal_buffer** private_data, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    const X25519KeyPair& pair = self.stores().identity->GetIdentityKeyPair();
    const SerializedPublicKey serialized = SerializePublicKey(pair.public_key());
    std::uint8_t scalar[kX25519Size];
    std::copy(pair.private_key().begin(), pair.private_key().end(), scalar);
    ClampScalar(scalar);
    *public_data = signal_buffer_create(serialized.data(), serialized.size());
    *private_data = signal_buffer_create(scalar, sizeof scalar);
    sodium_memzero(scalar, sizeof scalar);
    return *public_data != nullptr && *private_data != nullptr ? SG_SUCCESS : SG_ERR_NOMEM;
  });
}

int GetLocalRegistrationId(void* user_data, std::uint32_t* registration_id) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    *registration_id = self.stores().identity->GetLocalRegistrationId();
    return SG_SUCCESS;
  });
}

// libsignal reads 0 as "the stored identity changed" (later upstream versions then clear
// it if the message fails to decrypt; PairwiseCipher does so itself), 1 as "it was
// already stored".
int SaveIdentity(const signal_protocol_address* address, std::uint8_t* key_data,
                 std::size_t key_len, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    IdentityKeyStore& store = *self.stores().identity;
    if (key_data == nullptr) return Done(self, store.ClearIdentity(ToAddress(address)));
    auto key = ParsePublicKey({key_data, key_len});
    if (!key.ok()) return SG_ERR_INVALID_KEY;
    const Address remote = ToAddress(address);
    auto changed = store.SaveIdentity(remote, *key);
    if (!changed.ok()) return self.RecordStoreFailure(changed.status());
    if (*changed) self.NoteIdentityChanged(remote);
    return *changed ? 0 : 1;
  });
}

int IsTrustedIdentity(const signal_protocol_address* address, std::uint8_t* key_data,
                      std::size_t key_len, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    auto key = ParsePublicKey({key_data, key_len});
    if (!key.ok()) return SG_ERR_INVALID_KEY;
    return Answer(self, self.stores().identity->IsTrustedIdentity(ToAddress(address), *key));
  });
}

// ---------------------------------------------------------------- Sessions

int LoadSession(signal_buffer** record, signal_buffer**, const signal_protocol_address* address,
                void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    auto loaded = self.stores().sessions->LoadSession(ToAddress(address));
    if (!loaded.ok()) return self.RecordStoreFailure(loaded.status());
    if (!loaded->has_value()) return 0;
    const int result = GiveRecord(**loaded, record);
    return result < 0 ? result : 1;
  });
}

int GetSubDeviceSessions(signal_int_list** sessions, const char* name, std::size_t name_len,
                         void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    auto ids = self.stores().sessions->GetSubDeviceSessions({name, name_len});
    if (!ids.ok()) return self.RecordStoreFailure(ids.status());
    signal_int_list* list = signal_int_list_alloc();
    if (list == nullptr) return SG_ERR_NOMEM;
    for (std::int32_t id : *ids) {
      if (signal_int_list_push_back(list, id) < 0) {
        signal_int_list_free(list);
        return SG_ERR_NOMEM;
      }
    }
    *sessions = list;
    return static_cast<int>(ids->size());
  });
}

int StoreSession(const signal_protocol_address* address, std::uint8_t* record,
                 std::size_t record_len, std::uint8_t*, std::size_t, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Done(self,
                self.stores().sessions->StoreSession(ToAddress(address), {record, record_len}));
  });
}

int ContainsSession(const signal_protocol_address* address, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Answer(self, self.stores().sessions->ContainsSession(ToAddress(address)));
  });
}

int DeleteSession(const signal_protocol_address* address, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Answer(self, self.stores().sessions->DeleteSession(ToAddress(address)));
  });
}

int DeleteAllSessions(const char* name, std::size_t name_len, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    auto deleted = self.stores().sessions->DeleteAllSessions({name, name_len});
    return deleted.ok() ? *deleted : self.RecordStoreFailure(deleted.status());
  });
}

// ---------------------------------------------------------------- Pre-keys

// libsignal wants SG_ERR_INVALID_KEY_ID, not 0, for a key it does not have.
int GiveKey(SignalStoreContext& self, Result<std::optional<Record>> loaded, signal_buffer** out) {
  if (!loaded.ok()) return self.RecordStoreFailure(loaded.status());
  if (!loaded->has_value()) return SG_ERR_INVALID_KEY_ID;
  return GiveRecord(**loaded, out);
}

int LoadPreKey(signal_buffer** record, std::uint32_t id, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return GiveKey(self, self.stores().pre_keys->LoadPreKey(id), record);
  });
}

int StorePreKey(std::uint32_t id, std::uint8_t* record, std::size_t record_len, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Done(self, self.stores().pre_keys->StorePreKey(id, {record, record_len}));
  });
}

int ContainsPreKey(std::uint32_t id, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Answer(self, self.stores().pre_keys->ContainsPreKey(id));
  });
}

int RemovePreKey(std::uint32_t id, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Done(self, self.stores().pre_keys->RemovePreKey(id));
  });
}

int LoadSignedPreKey(signal_buffer** record, std::uint32_t id, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return GiveKey(self, self.stores().signed_pre_keys->LoadSignedPreKey(id), record);
  });
}

int StoreSignedPreKey(std::uint32_t id, std::uint8_t* record, std::size_t record_len,
                      void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Done(self, self.stores().signed_pre_keys->StoreSignedPreKey(id, {record, record_len}));
  });
}

int ContainsSignedPreKey(std::uint32_t id, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Answer(self, self.stores().signed_pre_keys->ContainsSignedPreKey(id));
  });
}

int RemoveSignedPreKey(std::uint32_t id, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Done(self, self.stores().signed_pre_keys->RemoveSignedPreKey(id));
  });
}

// ---------------------------------------------------------------- Sender keys

int StoreSenderKey(const signal_protocol_sender_key_name* name, std::uint8_t* record,
                   std::size_t record_len, std::uint8_t*, std::size_t, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    return Done(self, self.stores().sender_keys->StoreSenderKey(ToSenderKeyName(name),
                                                                {record, record_len}));
  });
}

int LoadSenderKey(signal_buffer** record, signal_buffer**,
                  const signal_protocol_sender_key_name* name, void* user_data) {
  return Guard(user_data, [&](SignalStoreContext& self) {
    auto loaded = self.stores().sender_keys->LoadSenderKey(ToSenderKeyName(name));
    if (!loaded.ok()) return self.RecordStoreFailure(loaded.status());
    if (!loaded->has_value()) return 0;
    const int result = GiveRecord(**loaded, record);
    return result < 0 ? result : 1;
  });
}

}  // namespace

// ---------------------------------------------------------------- SignalStoreContext

Result<std::unique_ptr<SignalStoreContext>> SignalStoreContext::Create(
    std::shared_ptr<SignalContext> context, const SignalStores& stores) {
  if (!context || stores.identity == nullptr || stores.sessions == nullptr ||
      stores.pre_keys == nullptr || stores.signed_pre_keys == nullptr ||
      stores.sender_keys == nullptr) {
    return Status::InvalidArgument("signal store context needs a context and five stores");
  }
  std::unique_ptr<SignalStoreContext> self(new SignalStoreContext(std::move(context), stores));
  TOCSIN_RETURN_IF_ERROR(self->Register());
  return self;
}

Status SignalStoreContext::Register() {
  int result = signal_protocol_store_context_create(&store_, global());
  if (result < 0) return SignalError(result, "create store context");
  const signal_protocol_identity_key_store identity = {&GetIdentityKeyPair, &GetLocalRegistrationId,
                                                       &SaveIdentity,       &IsTrustedIdentity,
                                                       &NoDestroy,          this};
  const signal_protocol_session_store sessions = {
      &LoadSession,   &GetSubDeviceSessions, &StoreSession, &ContainsSession,
      &DeleteSession, &DeleteAllSessions,    &NoDestroy,    this};
  const signal_protocol_pre_key_store pre_keys = {&LoadPreKey,   &StorePreKey, &ContainsPreKey,
                                                  &RemovePreKey, &NoDestroy,   this};
  const signal_protocol_signed_pre_key_store signed_pre_keys = {
      &LoadSignedPreKey,   &StoreSignedPreKey, &ContainsSignedPreKey,
      &RemoveSignedPreKey, &NoDestroy,         this};
  const signal_protocol_sender_key_store sender_keys = {&StoreSenderKey, &LoadSenderKey, &NoDestroy,
                                                        this};
  // libsignal copies each table.
  if ((result = signal_protocol_store_context_set_identity_key_store(store_, &identity)) < 0 ||
      (result = signal_protocol_store_context_set_session_store(store_, &sessions)) < 0 ||
      (result = signal_protocol_store_context_set_pre_key_store(store_, &pre_keys)) < 0 ||
      (result = signal_protocol_store_context_set_signed_pre_key_store(store_, &signed_pre_keys)) <
          0 ||
      (result = signal_protocol_store_context_set_sender_key_store(store_, &sender_keys)) < 0) {
    return SignalError(result, "register stores");
  }
  return Status::Ok();
}

SignalStoreContext::~SignalStoreContext() {
  if (store_ != nullptr) signal_protocol_store_context_destroy(store_);
}

Status SignalStoreContext::Failure(int code, std::string_view what) {
  if (code == kSignalStoreFailed && !store_failure_.ok()) {
    return std::exchange(store_failure_, Status::Ok()).Annotate(what);
  }
  return SignalError(code, what);
}

Status SignalStoreContext::UndoIdentityChange() {
  if (!changed_identity_) return Status::Ok();
  const Address address = *std::exchange(changed_identity_, std::nullopt);
  return stores_.identity->ClearIdentity(address).Annotate("undo identity of a failed message");
}

int SignalStoreContext::RecordStoreFailure(Status status) {
  store_failure_ = std::move(status);
  return kSignalStoreFailed;
}

}  // namespace tocsin::crypto
