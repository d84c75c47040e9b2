// tocsin::Client (client-lib/include/tocsin/client.h) on ClientCore.
#include "tocsin/client.h"

#include <sodium.h>

#include "core/client_core.h"
#include "core/hex.h"
#include "core/passphrase_access.h"
#include "tocsin/alert.pb.h"

namespace tocsin {
namespace {

using core::Awaitable;

Status Init() {
  if (sodium_init() < 0) return Status::Internal("libsodium could not be initialised");
  return Status::Ok();
}

// A 16-byte id from its hex form.
Result<std::string> IdFromHex(const std::string& hex, std::string_view what) {
  auto bytes = core::FromHex(hex, 16);
  if (!bytes) return Status::InvalidArgument(std::string("bad ") + std::string(what) + " id");
  return *bytes;
}

// An application payload: parses, and leaves alone what the client reserves.
Status CheckPayload(std::string_view payload) {
  app::Payload parsed;
  if (!parsed.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Status::InvalidArgument("the payload is not a tocsin.app.Payload");
  }
  if (parsed.body_case() == app::Payload::BODY_NOT_SET || core::IsControlPayload(parsed)) {
    return Status::InvalidArgument("the payload is empty or reserved for the client");
  }
  return Status::Ok();
}

std::string TextPayload(std::string_view text) {
  app::Payload payload;
  payload.mutable_text()->set_body(std::string(text));
  return payload.SerializeAsString();
}

std::uint64_t TtlMs(const SendOptions& options) { return core::ToMs(options.ttl); }

Result<MessageId> HexResult(Result<std::string> id) {
  if (!id.ok()) return id.status();
  return core::ToHex(*id);
}

}  // namespace

Client::Client(std::unique_ptr<core::ClientCore> core) : core_(std::move(core)) {}
Client::~Client() { Close(); }

Result<std::unique_ptr<Client>> Client::Create(const std::filesystem::path& dir,
                                               const Passphrase& passphrase,
                                               const std::vector<RelaySpec>& relays,
                                               ClientOptions options) {
  TOCSIN_RETURN_IF_ERROR(Init());
  auto core = core::ClientCore::Create(dir, passphrase, relays, std::move(options));
  if (!core.ok()) return core.status();
  return std::unique_ptr<Client>(new Client(std::move(core).value()));
}

Result<std::unique_ptr<Client>> Client::Open(const std::filesystem::path& dir,
                                             const Passphrase& passphrase, ClientOptions options) {
  TOCSIN_RETURN_IF_ERROR(Init());
  auto core = core::ClientCore::Open(dir, passphrase, std::move(options));
  if (!core.ok()) return core.status();
  return std::unique_ptr<Client>(new Client(std::move(core).value()));
}

void Client::Close() {
  if (core_) core_->Close();
}

std::string Client::IdentityKey() const { return core::ToHex(core_->identity_key()); }

std::vector<RelayInfo> Client::Relays() const {
  auto infos = core_->Run<std::vector<RelayInfo>>(
      [this]() -> Awaitable<Result<std::vector<RelayInfo>>> { co_return core_->RelayInfos(); });
  return infos.ok() ? *infos : std::vector<RelayInfo>{};
}

Result<std::string> Client::MyCard(const std::string& name) {
  return core_->Run<std::string>([this, name] { return core_->MyCard(name); });
}

Status Client::ChangePassphrase(const Passphrase& current, const Passphrase& next) {
  return core_->RunStatus([&]() -> Awaitable<Status> {
    co_return core_->context().store->ChangePassphrase(internal::PassphraseAccess::Secret(current),
                                                       internal::PassphraseAccess::Secret(next),
                                                       core::KdfFor(core_->context().options.kdf));
  });
}

Result<ContactId> Client::AddContact(std::string_view card, const std::string& name) {
  return HexResult(core_->Run<std::string>(
      [this, card = std::string(card), name] { return core_->AddContact(card, name); }));
}

Status Client::OfferNewIdentity(const ContactId& contact, std::string_view card) {
  auto id = IdFromHex(contact, "contact");
  if (!id.ok()) return id.status();
  return core_->RunStatus(
      [this, id = *id, card = std::string(card)] { return core_->OfferNewIdentity(id, card); });
}

Result<std::vector<ContactInfo>> Client::Contacts() const {
  return core_->Run<std::vector<ContactInfo>>(
      [this]() -> Awaitable<Result<std::vector<ContactInfo>>> {
        std::vector<ContactInfo> out;
        for (const auto* record : core_->context().contacts->All()) {
          out.push_back(core::ToContactInfo(*record));
        }
        co_return out;
      });
}

Result<ContactInfo> Client::GetContact(const ContactId& contact) const {
  auto id = IdFromHex(contact, "contact");
  if (!id.ok()) return id.status();
  return core_->Run<ContactInfo>([this, id = *id]() -> Awaitable<Result<ContactInfo>> {
    const auto* record = core_->context().contacts->Find(id);
    if (record == nullptr) co_return Status::NotFound("no such contact");
    co_return core::ToContactInfo(*record);
  });
}

Status Client::RenameContact(const ContactId& contact, const std::string& name) {
  auto id = IdFromHex(contact, "contact");
  if (!id.ok()) return id.status();
  return core_->RunStatus([this, id = *id, name] { return core_->RenameContact(id, name); });
}

Result<std::string> Client::SafetyNumber(const ContactId& contact) const {
  auto id = IdFromHex(contact, "contact");
  if (!id.ok()) return id.status();
  return core_->Run<std::string>([this, id = *id] { return core_->SafetyNumber(id); });
}

Status Client::MarkVerified(const ContactId& contact) {
  auto id = IdFromHex(contact, "contact");
  if (!id.ok()) return id.status();
  return core_->RunStatus([this, id = *id] { return core_->MarkVerified(id); });
}

Status Client::RemoveContact(const ContactId& contact) {
  auto id = IdFromHex(contact, "contact");
  if (!id.ok()) return id.status();
  return core_->RunStatus([this, id = *id] { return core_->RemoveContact(id); });
}

Result<DeliveryState> Client::Delivery(const MessageId& message) const {
  auto id = IdFromHex(message, "message");
  if (!id.ok()) return id.status();
  return core_->Run<DeliveryState>([this, id = *id]() -> Awaitable<Result<DeliveryState>> {
    co_return core_->context().outbox->StateOf(id);
  });
}

Result<MessageId> Client::SendText(const ContactId& contact, std::string_view text,
                                   const SendOptions& options) {
  return Send(contact, TextPayload(text), options);
}

Result<MessageId> Client::Send(const ContactId& contact, std::string_view payload,
                               const SendOptions& options) {
  auto id = IdFromHex(contact, "contact");
  if (!id.ok()) return id.status();
  TOCSIN_RETURN_IF_ERROR(CheckPayload(payload));
  return HexResult(core_->Run<std::string>(
      [this, id = *id, payload = std::string(payload), ttl = TtlMs(options)] {
        return core_->SendPayload(id, payload, ttl);
      }));
}

}  // namespace tocsin
