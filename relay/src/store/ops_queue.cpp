// Sending (Append, PutBlob, AppendViews) and Ack.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "store/store_impl.h"

namespace tocsin::relay {
namespace {

using Impl = StoreEngine;

inline constexpr std::size_t kViewSize = 48;

std::uint64_t ExpiresAt(const Impl& store, std::uint32_t ttl_seconds) {
  const std::uint32_t cap = store.options().max_ttl_seconds;
  const std::uint32_t ttl = ttl_seconds == 0 ? cap : std::min(ttl_seconds, cap);
  return store.now() + std::uint64_t{ttl} * 1000;
}

// Checks the token and the quotas of its class for one more entry of `bytes`, then the
// delivery gate (with `rate`), then counts the send. Returns the token's class.
Result<TokenClass> SpendSend(Impl& store, const MailboxId& id, MailboxMeta& meta,
                             const TokenHash& hash, std::uint64_t bytes,
                             const std::optional<DeliveryRateKey>& rate) {
  Result<TokenState*> found = store.FindToken(meta, hash);
  if (!found.ok()) return found.status();
  TokenState& token = **found;
  const TokenClass c = token.record.token_class;
  const ClassQuota& quota = store.Quota(c);
  if (quota.max_sends != 0 && token.record.sends >= quota.max_sends) {
    return Status::QuotaExceeded("token has no sends left");
  }
  TOCSIN_RETURN_IF_ERROR(store.CheckQueueQuota(meta, c, bytes));
  if (rate && store.Admit(*rate) != 0) {
    return Status::RateLimited("mailbox or token is receiving too fast");
  }
  if (quota.max_sends != 0) {  // only limited tokens need their count stored
    ++token.record.sends;
    store.SaveToken(id, token);
    store.Touch(id, meta);
  }
  return c;
}

class AppendOp final : public CallbackOp<std::uint64_t> {
 public:
  AppendOp(const MailboxId& mailbox, const TokenHash& token, std::string envelope,
           std::uint32_t ttl_seconds, std::optional<DeliveryRateKey> rate,
           Callback<std::uint64_t> done)
      : CallbackOp(std::move(done)),
        id_(mailbox),
        token_(token),
        envelope_(std::move(envelope)),
        ttl_seconds_(ttl_seconds),
        rate_(rate) {}

  void Apply(Impl& store) override {
    MailboxMeta* meta = store.FindMailbox(id_);
    if (meta == nullptr) return Fail(Status::NotFound("no such mailbox"));
    const Result<TokenClass> c = SpendSend(store, id_, *meta, token_, envelope_.size(), rate_);
    if (!c.ok()) return Fail(c.status());
    EntryHeader header;
    header.kind = EntryKind::kEnvelope;
    header.token_class = *c;
    header.stored_ms = store.now();
    header.expires_ms = ExpiresAt(store, ttl_seconds_);
    header.charged_bytes = static_cast<std::uint32_t>(envelope_.size());
    const std::uint64_t seq = store.StageEntry(id_, *meta, header, envelope_, {});
    QueuedEntry entry;
    entry.mailbox = id_;
    entry.seq = seq;
    entry.expires_at_ms = header.expires_ms;
    entry.envelope = std::make_shared<const std::string>(std::move(envelope_));
    store.AddStored(std::move(entry));
    Succeed(seq);
  }

 private:
  MailboxId id_;
  TokenHash token_;
  std::string envelope_;
  std::uint32_t ttl_seconds_;
  std::optional<DeliveryRateKey> rate_;
};

class PutBlobOp final : public CallbackOp<BlobHandle> {
 public:
  PutBlobOp(std::string blob, std::uint32_t ttl_seconds, Callback<BlobHandle> done)
      : CallbackOp(std::move(done)), blob_(std::move(blob)), ttl_seconds_(ttl_seconds) {}

  void Apply(Impl& store) override {
    BlobHandle handle{};
    do {
      store.Random(handle);
    } while (store.FindBlob(handle) != nullptr);
    BlobMeta meta;
    meta.expires_ms = ExpiresAt(store, ttl_seconds_);
    meta.size = static_cast<std::uint32_t>(blob_.size());
    std::string& value = store.scratch();
    value.clear();
    EncodeBlobHeader(meta.expires_ms, store.now(), &value);
    value.append(blob_);
    store.batch().Put(Cf::kBlob, Bytes(handle), value);
    store.batch().Put(Cf::kExpiry, ExpiryKey(meta.expires_ms, Cf::kBlob, Bytes(handle)), "");
    store.AddBlob(handle, std::move(meta), std::make_shared<const std::string>(std::move(blob_)));
    Succeed(handle);
  }

 private:
  std::string blob_;
  std::uint32_t ttl_seconds_;
};

class AppendViewsOp final : public CallbackOp<std::vector<Code>> {
 public:
  AppendViewsOp(const BlobHandle& handle, std::vector<ViewRequest> views,
                std::vector<TokenHash> hashes, Callback<std::vector<Code>> done)
      : CallbackOp(std::move(done)),
        handle_(handle),
        views_(std::move(views)),
        hashes_(std::move(hashes)) {}

  std::size_t Weight() const override { return views_.size(); }

  void Apply(Impl& store) override {
    blob_ = store.FindBlob(handle_);
    if (blob_ == nullptr || blob_->expires_ms <= store.now()) {
      return Fail(Status::NotFound("no such blob"));
    }
    if (Status s = store.LoadViewers(handle_, *blob_); !s.ok()) return Fail(s);
    MarkDuplicates();
    if (blob_->viewers.size() + CountNew() > store.options().max_views_per_blob) {
      return Fail(Status::TooLarge("too many views for one blob"));
    }
    body_ = store.BlobBody(handle_);
    if (body_ == nullptr) return Fail(Status::NotFound("no such blob"));
    store.TouchBlob(handle_, *blob_);
    std::vector<Code> codes(views_.size());
    refs_.reserve(views_.size() * kViewRefSize);
    for (std::size_t i = 0; i < views_.size(); ++i) codes[i] = ApplyView(store, i);
    if (!refs_.empty()) {
      store.batch().Put(Cf::kBlobViews, BlobViewsKey(handle_, blob_->next_record++), refs_);
    }
    Succeed(std::move(codes));
  }

 private:
  // A mailbox named twice: the later views are duplicates. Sorting indices avoids a
  // hash set per call.
  void MarkDuplicates() {
    std::vector<std::uint32_t> order(views_.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
      const int c = std::memcmp(views_[a].mailbox.data(), views_[b].mailbox.data(), kMailboxIdSize);
      return c != 0 ? c < 0 : a < b;
    });
    duplicate_.assign(views_.size(), false);
    for (std::size_t i = 1; i < order.size(); ++i) {
      if (views_[order[i]].mailbox == views_[order[i - 1]].mailbox) duplicate_[order[i]] = true;
    }
  }

  std::size_t CountNew() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < views_.size(); ++i) {
      n += !duplicate_[i] && !blob_->viewers.contains(views_[i].mailbox);
    }
    return n;
  }

  Code ApplyView(Impl& store, std::size_t i) {
    ViewRequest& view = views_[i];
    if (duplicate_[i] || view.view.size() != kViewSize) return Code::kBadFrame;
    MailboxMeta* meta = store.FindMailbox(view.mailbox);
    if (meta == nullptr) return Code::kNotFound;
    if (blob_->viewers.contains(view.mailbox)) return Code::kOk;  // a retry
    const std::uint32_t charged = static_cast<std::uint32_t>(kViewSize) + blob_->size;
    const Result<TokenClass> c =
        SpendSend(store, view.mailbox, *meta, hashes_[i], charged, view.rate);
    if (!c.ok()) return c.status().code();
    EntryHeader header;
    header.kind = EntryKind::kView;
    header.token_class = *c;
    header.stored_ms = store.now();
    header.expires_ms = blob_->expires_ms;
    header.charged_bytes = charged;
    const std::uint64_t seq =
        store.StageEntry(view.mailbox, *meta, header, Bytes(handle_), view.view);
    AppendViewRef(view.mailbox, seq, &refs_);
    blob_->viewers.insert(view.mailbox);
    QueuedEntry entry;
    entry.mailbox = view.mailbox;
    entry.seq = seq;
    entry.expires_at_ms = header.expires_ms;
    entry.blob = body_;
    entry.view = std::move(view.view);
    store.AddStored(std::move(entry));
    return Code::kOk;
  }

  BlobHandle handle_;
  std::vector<ViewRequest> views_;
  std::vector<TokenHash> hashes_;
  std::vector<bool> duplicate_;
  BlobMeta* blob_ = nullptr;
  std::shared_ptr<const std::string> body_;
  std::string refs_;  // this call's view index record
};

class AckOp final : public CallbackOp<std::uint32_t> {
 public:
  AckOp(const MailboxId& mailbox, std::vector<std::uint64_t> seqs, Callback<std::uint32_t> done)
      : CallbackOp(std::move(done)), id_(mailbox), seqs_(std::move(seqs)) {}

  // Losing an ack in a power cut means a duplicate delivery, which receivers drop: it
  // waits for the next synced commit (proto/SPEC.md 5.5).
  bool NeedsSync() const override { return false; }

  void Apply(Impl& store) override {
    MailboxMeta* meta = store.FindMailbox(id_);
    if (meta == nullptr) return Fail(Status::NotFound("no such mailbox"));
    std::uint32_t deleted = 0;
    for (const std::uint64_t seq : seqs_) deleted += store.RemoveEntry(id_, *meta, seq);
    store.CountAcked(deleted);
    Succeed(deleted);
  }

 private:
  MailboxId id_;
  std::vector<std::uint64_t> seqs_;
};

}  // namespace

std::unique_ptr<WriteOp> MakeAppendOp(const MailboxId& mailbox, const TokenHash& token,
                                      std::string envelope, std::uint32_t ttl_seconds,
                                      std::optional<DeliveryRateKey> rate,
                                      Callback<std::uint64_t> done) {
  return std::make_unique<AppendOp>(mailbox, token, std::move(envelope), ttl_seconds, rate,
                                    std::move(done));
}

std::unique_ptr<WriteOp> MakePutBlobOp(std::string blob, std::uint32_t ttl_seconds,
                                       Callback<BlobHandle> done) {
  return std::make_unique<PutBlobOp>(std::move(blob), ttl_seconds, std::move(done));
}

std::unique_ptr<WriteOp> MakeAppendViewsOp(const BlobHandle& handle, std::vector<ViewRequest> views,
                                           std::vector<TokenHash> token_hashes,
                                           Callback<std::vector<Code>> done) {
  return std::make_unique<AppendViewsOp>(handle, std::move(views), std::move(token_hashes),
                                         std::move(done));
}

std::unique_ptr<WriteOp> MakeAckOp(const MailboxId& mailbox, std::vector<std::uint64_t> seqs,
                                   Callback<std::uint32_t> done) {
  return std::make_unique<AckOp>(mailbox, std::move(seqs), std::move(done));
}

}  // namespace tocsin::relay
