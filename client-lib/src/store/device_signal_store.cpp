#include "store/device_signal_store.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "crypto/secure_buffer.h"

namespace tocsin::store {
namespace {

constexpr std::string_view kIdentityKeyRow = "signal/identity_key_pair";
constexpr std::string_view kRegistrationIdRow = "signal/registration_id";

void AppendBigEndian(std::uint32_t value, Plaintext& out) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::uint32_t ReadBigEndian(ByteView in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
         std::uint32_t{in[3]};
}

void AppendAddress(const crypto::Address& address, Plaintext& out) {
  AppendBigEndian(static_cast<std::uint32_t>(address.name.size()), out);
  out.insert(out.end(), address.name.begin(), address.name.end());
  AppendBigEndian(static_cast<std::uint32_t>(address.device_id), out);
}

Plaintext AddressName(const crypto::Address& address) {
  Plaintext out;
  AppendAddress(address, out);
  return out;
}

std::optional<crypto::Address> ParseAddressName(ByteView name) {
  if (name.size() < 8) return std::nullopt;
  const std::uint32_t size = ReadBigEndian(name);
  if (size != name.size() - 8) return std::nullopt;
  crypto::Address address;
  address.name.assign(reinterpret_cast<const char*>(name.data() + 4), size);
  address.device_id = static_cast<std::int32_t>(ReadBigEndian(name.subspan(4 + size)));
  return address;
}

Plaintext SenderKeyRowName(const crypto::SenderKeyName& name) {
  Plaintext out;
  AppendBigEndian(static_cast<std::uint32_t>(name.group_id.size()), out);
  out.insert(out.end(), name.group_id.begin(), name.group_id.end());
  AppendAddress(name.sender, out);
  return out;
}

std::array<std::uint8_t, 4> IdName(std::uint32_t id) {
  return {static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(id >> 16),
          static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
}

Status Annotate(const Status& status) { return status.Annotate("signal store"); }

}  // namespace

Status DeviceSignalStore::InitIdentity(DeviceStore& store, const crypto::X25519KeyPair& identity,
                                       std::uint32_t registration_id) {
  Transaction txn = store.Begin();
  Result<std::optional<Plaintext>> existing =
      txn.Get(Column::kIdentity, AsByteView(kIdentityKeyRow));
  if (!existing.ok()) return Annotate(existing.status());
  if (existing->has_value()) return Status::InvalidArgument("the store already has an identity");
  TOCSIN_RETURN_IF_ERROR(
      txn.Put(Column::kIdentity, AsByteView(kIdentityKeyRow), identity.private_key()));
  Plaintext id;
  AppendBigEndian(registration_id, id);
  TOCSIN_RETURN_IF_ERROR(txn.Put(Column::kIdentity, AsByteView(kRegistrationIdRow), id));
  return txn.Commit();
}

Result<std::unique_ptr<DeviceSignalStore>> DeviceSignalStore::Open(DeviceStore& store) {
  Result<std::optional<Plaintext>> key = store.Get(Column::kIdentity, AsByteView(kIdentityKeyRow));
  if (!key.ok()) return Annotate(key.status());
  Result<std::optional<Plaintext>> id =
      store.Get(Column::kIdentity, AsByteView(kRegistrationIdRow));
  if (!id.ok()) return Annotate(id.status());
  if (!key->has_value() || !id->has_value()) {
    return Status::NotFound("the store has no Signal identity yet");
  }
  if ((*id)->size() != 4) return Status::Corruption("signal registration id");
  Result<crypto::X25519KeyPair> pair = crypto::X25519KeyPair::FromPrivate(**key);
  if (!pair.ok()) return Status::Corruption("signal identity key");
  return std::unique_ptr<DeviceSignalStore>(
      new DeviceSignalStore(store, std::move(*pair), ReadBigEndian(**id)));
}

void DeviceSignalStore::Attach(Transaction& txn) {
  std::lock_guard lock(mutex_);
  assert(attached_ == nullptr);
  attached_ = &txn;
}

void DeviceSignalStore::Detach() {
  std::lock_guard lock(mutex_);
  attached_ = nullptr;
}

Result<std::optional<crypto::Record>> DeviceSignalStore::Read(Column column, ByteView name) {
  Result<std::optional<Plaintext>> value =
      attached_ != nullptr ? attached_->Get(column, name) : store_.Get(column, name);
  if (!value.ok()) return Annotate(value.status());
  if (!value->has_value()) return std::optional<crypto::Record>();
  return std::optional<crypto::Record>(crypto::Record((*value)->begin(), (*value)->end()));
}

Status DeviceSignalStore::Write(Column column, ByteView name, ByteView value) {
  return Annotate(attached_ != nullptr ? attached_->Put(column, name, value)
                                       : store_.Put(column, name, value));
}

Status DeviceSignalStore::Erase(Column column, ByteView name) {
  return Annotate(attached_ != nullptr ? attached_->Delete(column, name)
                                       : store_.Delete(column, name));
}

// ---------------------------------------------------------------- Identity

Result<bool> DeviceSignalStore::SaveIdentity(const crypto::Address& address,
                                             crypto::PublicKeyView identity_key) {
  std::lock_guard lock(mutex_);
  const Plaintext name = AddressName(address);
  Result<std::optional<crypto::Record>> stored = Read(Column::kTrustedIdentities, name);
  if (!stored.ok()) return stored.status();
  if (stored->has_value() && crypto::ConstantTimeEquals(**stored, identity_key)) return false;
  TOCSIN_RETURN_IF_ERROR(Write(Column::kTrustedIdentities, name, identity_key));
  return true;
}

Status DeviceSignalStore::ClearIdentity(const crypto::Address& address) {
  std::lock_guard lock(mutex_);
  return Erase(Column::kTrustedIdentities, AddressName(address));
}

Result<bool> DeviceSignalStore::IsTrustedIdentity(const crypto::Address& address,
                                                  crypto::PublicKeyView identity_key) {
  std::lock_guard lock(mutex_);
  Result<std::optional<crypto::Record>> stored =
      Read(Column::kTrustedIdentities, AddressName(address));
  if (!stored.ok()) return stored.status();
  return !stored->has_value() || crypto::ConstantTimeEquals(**stored, identity_key);
}

// ---------------------------------------------------------------- Sessions

Result<std::optional<crypto::Record>> DeviceSignalStore::LoadSession(
    const crypto::Address& address) {
  std::lock_guard lock(mutex_);
  return Read(Column::kSessions, AddressName(address));
}

Status DeviceSignalStore::StoreSession(const crypto::Address& address,
                                       std::span<const std::uint8_t> record) {
  std::lock_guard lock(mutex_);
  return Write(Column::kSessions, AddressName(address), record);
}

Result<bool> DeviceSignalStore::ContainsSession(const crypto::Address& address) {
  std::lock_guard lock(mutex_);
  Result<std::optional<crypto::Record>> session = Read(Column::kSessions, AddressName(address));
  if (!session.ok()) return session.status();
  return session->has_value();
}

// REQUIRES: mutex_ held.
Result<std::vector<crypto::Address>> DeviceSignalStore::SessionAddresses(std::string_view name) {
  std::unique_ptr<Cursor> cursor = attached_ != nullptr ? attached_->NewCursor(Column::kSessions)
                                                        : store_.NewCursor(Column::kSessions);
  std::vector<crypto::Address> addresses;
  for (; cursor->Valid(); cursor->Next()) {
    std::optional<crypto::Address> address = ParseAddressName(cursor->name());
    if (!address) return Status::Corruption("signal session row name");
    if (address->name == name) addresses.push_back(std::move(*address));
  }
  if (!cursor->status().ok()) return Annotate(cursor->status());
  return addresses;
}

Result<std::vector<std::int32_t>> DeviceSignalStore::GetSubDeviceSessions(std::string_view name) {
  std::lock_guard lock(mutex_);
  Result<std::vector<crypto::Address>> addresses = SessionAddresses(name);
  if (!addresses.ok()) return addresses.status();
  std::vector<std::int32_t> ids;
  for (const crypto::Address& address : *addresses) {
    if (address.device_id != 1) ids.push_back(address.device_id);
  }
  std::sort(ids.begin(), ids.end());  // rows come in hash order
  return ids;
}

Result<bool> DeviceSignalStore::DeleteSession(const crypto::Address& address) {
  std::lock_guard lock(mutex_);
  const Plaintext name = AddressName(address);
  Result<std::optional<crypto::Record>> session = Read(Column::kSessions, name);
  if (!session.ok()) return session.status();
  if (!session->has_value()) return false;
  TOCSIN_RETURN_IF_ERROR(Erase(Column::kSessions, name));
  return true;
}

Result<int> DeviceSignalStore::DeleteAllSessions(std::string_view name) {
  std::lock_guard lock(mutex_);
  Result<std::vector<crypto::Address>> addresses = SessionAddresses(name);
  if (!addresses.ok()) return addresses.status();
  for (const crypto::Address& address : *addresses) {
    TOCSIN_RETURN_IF_ERROR(Erase(Column::kSessions, AddressName(address)));
  }
  return static_cast<int>(addresses->size());
}

// ---------------------------------------------------------------- Pre-keys

Result<std::optional<crypto::Record>> DeviceSignalStore::LoadPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  return Read(Column::kPreKeys, IdName(id));
}

Status DeviceSignalStore::StorePreKey(std::uint32_t id, std::span<const std::uint8_t> record) {
  std::lock_guard lock(mutex_);
  return Write(Column::kPreKeys, IdName(id), record);
}

Result<bool> DeviceSignalStore::ContainsPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  Result<std::optional<crypto::Record>> key = Read(Column::kPreKeys, IdName(id));
  if (!key.ok()) return key.status();
  return key->has_value();
}

Status DeviceSignalStore::RemovePreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  return Erase(Column::kPreKeys, IdName(id));
}

Result<std::optional<crypto::Record>> DeviceSignalStore::LoadSignedPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  return Read(Column::kSignedPreKeys, IdName(id));
}

Status DeviceSignalStore::StoreSignedPreKey(std::uint32_t id,
                                            std::span<const std::uint8_t> record) {
  std::lock_guard lock(mutex_);
  return Write(Column::kSignedPreKeys, IdName(id), record);
}

Result<bool> DeviceSignalStore::ContainsSignedPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  Result<std::optional<crypto::Record>> key = Read(Column::kSignedPreKeys, IdName(id));
  if (!key.ok()) return key.status();
  return key->has_value();
}

Status DeviceSignalStore::RemoveSignedPreKey(std::uint32_t id) {
  std::lock_guard lock(mutex_);
  return Erase(Column::kSignedPreKeys, IdName(id));
}

// ---------------------------------------------------------------- Sender keys

Status DeviceSignalStore::StoreSenderKey(const crypto::SenderKeyName& name,
                                         std::span<const std::uint8_t> record) {
  std::lock_guard lock(mutex_);
  return Write(Column::kSenderKeys, SenderKeyRowName(name), record);
}

Result<std::optional<crypto::Record>> DeviceSignalStore::LoadSenderKey(
    const crypto::SenderKeyName& name) {
  std::lock_guard lock(mutex_);
  return Read(Column::kSenderKeys, SenderKeyRowName(name));
}

}  // namespace tocsin::store
