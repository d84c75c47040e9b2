// Making a new device: identity, mailboxes on k relays, the store and its first keys.
#include <future>

#include "core/client_core.h"
#include "core/hex.h"
#include "core/passphrase_access.h"

namespace tocsin::core {
namespace {

constexpr std::uint32_t kMaxMailboxes = 16;  // one pre-key id slot each (SPEC.md section 9)
constexpr std::uint32_t kInitialPrekeys = 100;

// Removes what a failed Create left in `dir` (it was absent or empty before).
void RemoveHalfMadeDevice(const std::filesystem::path& dir, bool existed) {
  std::error_code ignored;
  if (!existed) {
    std::filesystem::remove_all(dir, ignored);
    return;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ignored)) {
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

}  // namespace

Result<std::vector<OwnMailbox>> ClientCore::CreateMailboxes(const crypto::X25519KeyPair& identity,
                                                            const std::vector<RelaySpec>& relays,
                                                            unsigned k) {
  std::vector<std::string> addresses;
  for (const auto& relay : relays) addresses.push_back(relay.address);
  const auto order = RendezvousOrder(ToString(identity.public_key()), addresses);
  std::vector<OwnMailbox> made;
  Status last = Status::Unavailable("no relay opened a mailbox");
  for (std::size_t i : order) {
    if (made.size() >= k) break;
    auto relay = ParseRelayAddress(relays[i].address);
    if (!relay.ok()) return relay.status();
    auto auth = std::make_shared<net::AuthKeyPair>(NewAuthKey());
    std::promise<Result<net::MailboxId>> promise;
    auto future = promise.get_future();
    transport_->CreateMailbox(
        *relay, relays[i].invite, *auth,
        [&promise](Result<net::MailboxId> id) { promise.set_value(std::move(id)); });
    auto id = future.get();
    if (!id.ok()) {
      last = id.status().Annotate("create mailbox on " + relays[i].address);
      continue;
    }
    OwnMailbox mailbox;
    mailbox.record.set_index(static_cast<std::uint32_t>(made.size()));
    mailbox.record.set_relay(relay->ToString());
    mailbox.record.set_mailbox_id(ToString(*id));
    mailbox.record.set_auth_public_key(ToString(auth->public_key));
    mailbox.relay = *relay;
    mailbox.auth = std::move(auth);
    made.push_back(std::move(mailbox));
  }
  if (made.empty()) return last;
  return made;
}

Status ClientCore::InitStore(const std::filesystem::path& dir, const Passphrase& passphrase,
                             const crypto::X25519KeyPair& identity, std::uint32_t registration_id,
                             std::vector<OwnMailbox> mailboxes) {
  store::StoreOptions store_options;
  store_options.kdf = KdfFor(options_.kdf);
  store_options.rng = rng_.get();
  auto store = store::DeviceStore::Create(dir, internal::PassphraseAccess::Secret(passphrase),
                                          store_options);
  if (!store.ok()) return store.status();
  store_ = std::move(store).value();
  TOCSIN_RETURN_IF_ERROR(
      store::DeviceSignalStore::InitIdentity(*store_, identity, registration_id));
  auto signal_store = store::DeviceSignalStore::Open(*store_);
  if (!signal_store.ok()) return signal_store.status();
  signal_store_ = std::move(signal_store).value();

  Batch batch(*store_);
  KeyDeps deps{context_.env, signal_.get(), store_.get(), signal_store_.get(), &dh_cache_};
  auto keys = DeviceKeys::CreateNew(deps, batch, static_cast<std::uint32_t>(mailboxes.size()));
  if (!keys.ok()) return keys.status();
  for (auto& mailbox : mailboxes) {
    auto prekeys = (*keys)->MakeOneTimePrekeys(batch, mailbox.record, kInitialPrekeys);
    if (!prekeys.ok()) return prekeys.status();
  }
  auto book = OwnMailboxes::CreateNew(batch, std::move(mailboxes));
  if (!book.ok()) return book.status();
  TOCSIN_RETURN_IF_ERROR(batch.Commit());
  signal_store_.reset();  // LoadModules opens everything again from the store
  return Status::Ok();
}

Result<std::unique_ptr<ClientCore>> ClientCore::Create(const std::filesystem::path& dir,
                                                       const Passphrase& passphrase,
                                                       const std::vector<RelaySpec>& relays,
                                                       ClientOptions options) {
  if (relays.empty()) return Status::InvalidArgument("at least one relay is needed");
  if (passphrase.size() == 0) return Status::InvalidArgument("empty passphrase");
  for (const auto& relay : relays) {
    auto parsed = ParseRelayAddress(relay.address);
    if (!parsed.ok()) return parsed.status();
  }
  std::error_code error;
  const bool existed = std::filesystem::exists(dir, error);
  if (existed && !std::filesystem::is_empty(dir, error)) {
    return Status::InvalidArgument("the folder for a new device must be absent or empty");
  }
  unsigned k = options.mailboxes != 0 ? options.mailboxes : (relays.size() >= 2 ? 2u : 1u);
  k = std::min<unsigned>({k, static_cast<unsigned>(relays.size()), kMaxMailboxes});
  std::unique_ptr<ClientCore> core(new ClientCore(std::move(options)));
  auto signal = crypto::SignalContext::Create(*core->rng_);
  if (!signal.ok()) return signal.status();
  core->signal_ = std::move(signal).value();
  auto identity = crypto::GenerateIdentityKeyPair(*core->signal_);
  if (!identity.ok()) return identity.status();
  auto registration_id = crypto::GenerateRegistrationId(*core->signal_);
  if (!registration_id.ok()) return registration_id.status();
  core->StartThreads();
  if (!core->transport_) return Status::Internal("no relay transport available");
  auto mailboxes = core->CreateMailboxes(*identity, relays, k);
  if (!mailboxes.ok()) return mailboxes.status();
  Status status =
      core->InitStore(dir, passphrase, *identity, *registration_id, std::move(mailboxes).value());
  if (status.ok()) status = core->LoadModules();
  if (status.ok()) status = core->Start();
  if (!status.ok()) {
    core->Close();
    RemoveHalfMadeDevice(dir, existed);  // a half-made device is no device
    return status;
  }
  return core;
}

}  // namespace tocsin::core
