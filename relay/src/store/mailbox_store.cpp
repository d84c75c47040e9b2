// MailboxStore's public methods: each write becomes an op for the writer thread
// (store_writer.cpp); tokens are hashed here, on the caller's thread, to keep that work
// off the writer.
#include "store/mailbox_store.h"

#include <sodium.h>

#include "store/store_impl.h"

namespace tocsin::relay {

// The engine behind the public class (store_impl.h).
class MailboxStore::Impl : public StoreEngine {
 public:
  using StoreEngine::StoreEngine;
};

TokenHash HashToken(const Token& token) {
  TokenHash hash{};
  crypto_generichash(hash.data(), hash.size(), token.data(), token.size(), nullptr, 0);
  return hash;
}

Result<std::unique_ptr<MailboxStore>> MailboxStore::Open(const std::string& dir,
                                                         StoreOptions options) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  RocksKvOptions kv_options;
  kv_options.log = options.engine_log;
  Result<std::unique_ptr<KvStore>> kv = OpenRocksKv(dir, kv_options);
  if (!kv.ok()) return kv.status().Annotate("open store");
  return OpenOn(std::move(kv).value(), std::move(options));
}

Result<std::unique_ptr<MailboxStore>> MailboxStore::OpenOn(std::unique_ptr<KvStore> kv,
                                                           StoreOptions options) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  if (!kv) return Status::InvalidArgument("open store: no key-value store");
  auto impl = std::make_unique<Impl>(std::move(kv), std::move(options));
  TOCSIN_RETURN_IF_ERROR(impl->Load().Annotate("open store"));
  impl->Start();
  return std::unique_ptr<MailboxStore>(new MailboxStore(std::move(impl)));
}

MailboxStore::MailboxStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MailboxStore::~MailboxStore() { Close(); }

void MailboxStore::Close() { impl_->Close(); }

void MailboxStore::SetStoredListener(std::function<void(std::span<const QueuedEntry>)> listener) {
  std::lock_guard lock(impl_->stored_listener_mutex);
  impl_->stored_listener = std::move(listener);
}

void MailboxStore::CreateInvite(std::uint32_t uses, std::uint64_t expires_at_ms,
                                Callback<std::string> done) {
  impl_->Submit(MakeCreateInviteOp(uses, expires_at_ms, std::move(done)));
}

void MailboxStore::CreateMailbox(std::string invite, const AuthKey& auth_key,
                                 Callback<MailboxId> done) {
  impl_->Submit(MakeCreateMailboxOp(std::move(invite), auth_key, std::move(done)));
}

Result<MailboxInfo> MailboxStore::GetMailbox(const MailboxId& mailbox) const {
  return impl_->GetMailbox(mailbox);
}

void MailboxStore::DeleteMailbox(const MailboxId& mailbox, StatusCallback done) {
  impl_->Submit(MakeDeleteMailboxOp(mailbox, std::move(done)));
}

void MailboxStore::SetTokens(const MailboxId& mailbox, std::vector<TokenEntry> tokens,
                             Callback<std::uint32_t> done) {
  impl_->Submit(MakeSetTokensOp(mailbox, std::move(tokens), std::move(done)));
}

void MailboxStore::RotateToken(const MailboxId& mailbox, const TokenHash& old_hash,
                               TokenEntry new_token, std::optional<std::uint32_t> grace_seconds,
                               Callback<std::uint64_t> done) {
  impl_->Submit(MakeRotateTokenOp(mailbox, old_hash, new_token, grace_seconds, std::move(done)));
}

void MailboxStore::Append(const MailboxId& mailbox, const Token& token, std::string envelope,
                          std::uint32_t ttl_seconds, Callback<std::uint64_t> done,
                          std::optional<DeliveryRateKey> rate) {
  impl_->Submit(MakeAppendOp(mailbox, HashToken(token), std::move(envelope), ttl_seconds, rate,
                             std::move(done)));
}

void MailboxStore::PutBlob(std::string blob, std::uint32_t ttl_seconds, Callback<BlobHandle> done) {
  impl_->Submit(MakePutBlobOp(std::move(blob), ttl_seconds, std::move(done)));
}

void MailboxStore::AppendViews(const BlobHandle& handle, std::vector<ViewRequest> views,
                               Callback<std::vector<Code>> done) {
  std::vector<TokenHash> hashes;
  hashes.reserve(views.size());
  for (const ViewRequest& view : views) hashes.push_back(HashToken(view.token));
  impl_->Submit(MakeAppendViewsOp(handle, std::move(views), std::move(hashes), std::move(done)));
}

Status MailboxStore::ReadQueue(const MailboxId& mailbox, std::uint64_t after_seq, std::size_t max,
                               std::vector<QueuedEntry>* out) const {
  return impl_->ReadQueue(mailbox, after_seq, max, out);
}

void MailboxStore::Ack(const MailboxId& mailbox, std::vector<std::uint64_t> seqs,
                       Callback<std::uint32_t> done) {
  impl_->Submit(MakeAckOp(mailbox, std::move(seqs), std::move(done)));
}

void MailboxStore::PutPrekeys(const MailboxId& mailbox, PrekeyUpload upload,
                              Callback<std::uint32_t> done) {
  impl_->Submit(MakePutPrekeysOp(mailbox, std::move(upload), std::move(done)));
}

void MailboxStore::TakePrekeyBundle(const MailboxId& mailbox, const Token& token,
                                    Callback<PrekeyBundle> done,
                                    std::optional<DeliveryRateKey> rate) {
  impl_->Submit(MakeTakePrekeyOp(mailbox, HashToken(token), rate, std::move(done)));
}

void MailboxStore::SetDeliveryGate(std::shared_ptr<DeliveryGate> gate) {
  impl_->SetDeliveryGate(std::move(gate));
}

void MailboxStore::SweepExpired(Callback<std::uint64_t> done) {
  impl_->SweepAll(std::move(done), 0);
}

Result<StoreStats> MailboxStore::Stats() const { return impl_->Stats(); }

Result<CheckReport> MailboxStore::Check() const { return impl_->Check(); }

Status MailboxStore::Checkpoint(const std::string& dir) const { return impl_->Checkpoint(dir); }

StoreCounters MailboxStore::counters() const { return impl_->counters(); }

}  // namespace tocsin::relay
