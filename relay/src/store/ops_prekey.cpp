// Pre-keys: uploads, and bundles whose one-time pre-key is deleted in the same commit
// that precedes the answer.
#include <set>

#include "store/store_impl.h"

namespace tocsin::relay {
namespace {

using Impl = StoreEngine;

class PutPrekeysOp final : public CallbackOp<std::uint32_t> {
 public:
  PutPrekeysOp(const MailboxId& mailbox, PrekeyUpload upload, Callback<std::uint32_t> done)
      : CallbackOp(std::move(done)), id_(mailbox), upload_(std::move(upload)) {}

  void Apply(Impl& store) override {
    MailboxMeta* meta = store.FindMailbox(id_);
    if (meta == nullptr) return Fail(Status::NotFound("no such mailbox"));
    PrekeyState* state = store.LoadPrekeys(id_);
    if (state == nullptr) return Fail(Status::Unavailable("cannot read pre-keys"));
    std::set<std::uint32_t> added;
    for (const OneTimePrekey& p : upload_.one_time) {
      if (!state->one_time.contains(p.id)) added.insert(p.id);
    }
    if (state->one_time.size() + added.size() > store.options().max_one_time_prekeys) {
      return Fail(Status::QuotaExceeded("too many one-time pre-keys"));
    }
    Store(store, *state);
    meta->state.prekeys = static_cast<std::uint32_t>(state->one_time.size());
    store.MarkStateDirty(id_, *meta);
    Succeed(meta->state.prekeys);
  }

 private:
  void Store(Impl& store, PrekeyState& state) {
    WriteBatch& batch = store.batch();
    state.registration_id = upload_.registration_id;
    state.device_id = upload_.device_id;
    std::string ids;
    PutFixed32(&ids, upload_.registration_id);
    PutFixed32(&ids, upload_.device_id);
    batch.Put(Cf::kPrekey, PrekeyKey(id_, kPrekeyIds), ids);
    if (upload_.signed_prekey) {
      batch.Put(Cf::kPrekey, PrekeyKey(id_, kSignedPrekey),
                EncodeSignedPrekey(*upload_.signed_prekey));
      state.signed_prekey = *upload_.signed_prekey;
    }
    for (OneTimePrekey& p : upload_.one_time) {
      batch.Put(Cf::kPrekey, OneTimePrekeyKey(id_, p.id), p.public_key);
      state.one_time.insert_or_assign(p.id, std::move(p.public_key));
    }
  }

  MailboxId id_;
  PrekeyUpload upload_;
};

class TakePrekeyOp final : public CallbackOp<PrekeyBundle> {
 public:
  TakePrekeyOp(const MailboxId& mailbox, const TokenHash& token,
               std::optional<DeliveryRateKey> rate, Callback<PrekeyBundle> done)
      : CallbackOp(std::move(done)), id_(mailbox), token_(token), rate_(rate) {}

  void Apply(Impl& store) override {
    MailboxMeta* meta = store.FindMailbox(id_);
    if (meta == nullptr) return Fail(Status::NotFound("no such mailbox"));
    Result<TokenState*> token = store.FindToken(*meta, token_);
    if (!token.ok()) return Fail(token.status());
    PrekeyState* state = store.LoadPrekeys(id_);
    if (state == nullptr) return Fail(Status::Unavailable("cannot read pre-keys"));
    if (!state->signed_prekey) return Fail(Status::NotFound("no signed pre-key"));
    TokenRecord& record = (*token)->record;
    const std::uint32_t max_fetches = store.Quota(record.token_class).max_prekey_fetches;
    if (max_fetches != 0 && record.prekey_fetches >= max_fetches) {
      return Fail(Status::QuotaExceeded("token has no pre-key fetches left"));
    }
    if (rate_ && store.Admit(*rate_) != 0) {
      return Fail(Status::RateLimited("mailbox or token is receiving too fast"));
    }
    if (max_fetches != 0) {
      ++record.prekey_fetches;
      store.SaveToken(id_, **token);
    }
    Succeed(Take(store, *meta, *state));
  }

 private:
  PrekeyBundle Take(Impl& store, MailboxMeta& meta, PrekeyState& state) {
    PrekeyBundle bundle;
    bundle.registration_id = state.registration_id;
    bundle.device_id = state.device_id;
    bundle.signed_prekey = *state.signed_prekey;
    if (!state.one_time.empty()) {
      const auto lowest = state.one_time.begin();
      bundle.one_time = OneTimePrekey{lowest->first, lowest->second};
      store.batch().Delete(Cf::kPrekey, OneTimePrekeyKey(id_, lowest->first));
      state.one_time.erase(lowest);
      meta.state.prekeys = static_cast<std::uint32_t>(state.one_time.size());
    }
    store.MarkStateDirty(id_, meta);
    return bundle;
  }

  MailboxId id_;
  TokenHash token_;
  std::optional<DeliveryRateKey> rate_;
};

}  // namespace

std::unique_ptr<WriteOp> MakePutPrekeysOp(const MailboxId& mailbox, PrekeyUpload upload,
                                          Callback<std::uint32_t> done) {
  return std::make_unique<PutPrekeysOp>(mailbox, std::move(upload), std::move(done));
}

std::unique_ptr<WriteOp> MakeTakePrekeyOp(const MailboxId& mailbox, const TokenHash& token,
                                          std::optional<DeliveryRateKey> rate,
                                          Callback<PrekeyBundle> done) {
  return std::make_unique<TakePrekeyOp>(mailbox, token, rate, std::move(done));
}

}  // namespace tocsin::relay
