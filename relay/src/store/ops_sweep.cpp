// The sweep: deletes what the expiry index says is due (envelopes, blobs with their
// views, tokens and invites past their keep time).
#include <algorithm>

#include "store/store_impl.h"

namespace tocsin::relay {
namespace {

using Impl = StoreEngine;

class SweepOp final : public CallbackOp<std::pair<std::uint64_t, bool>> {
 public:
  SweepOp(std::size_t limit, Callback<std::pair<std::uint64_t, bool>> done)
      : CallbackOp(std::move(done)), limit_(limit) {}

  void Apply(Impl& store) override {
    std::vector<std::string> due;
    const Key end = Key().AddBigEndian64(store.now() + 1);
    const Status s =
        store.kv().Scan(Cf::kExpiry, "", end, [&](std::string_view key, std::string_view) {
          due.emplace_back(key);
          return due.size() <= limit_;
        });
    if (!s.ok()) return Fail(s);
    const bool more = due.size() > limit_;
    if (more) due.pop_back();
    std::uint64_t removed = 0;
    for (const std::string& key : due) {
      store.batch().Delete(Cf::kExpiry, key);
      ExpiryRef ref;
      if (DecodeExpiryKey(key, &ref)) removed += Expire(store, ref);
    }
    store.CountExpired(removed);
    Succeed({removed, more});
  }

 private:
  // Returns how many queue entries went.
  std::uint64_t Expire(Impl& store, const ExpiryRef& ref) {
    switch (ref.cf) {
      case Cf::kQueue:
        return ExpireEntry(store, ref.key);
      case Cf::kBlob:
        return ExpireBlob(store, ref.key);
      case Cf::kMailbox:
        ExpireToken(store, ref);
        return 0;
      case Cf::kInvite:
        if (ref.key.size() == kTokenHashSize)
          store.DeleteInvite(ArrayFrom<kTokenHashSize>(ref.key));
        return 0;
      default:
        return 0;
    }
  }

  std::uint64_t ExpireEntry(Impl& store, std::string_view key) {
    if (key.size() != kQueueKeySize) return 0;
    const MailboxId id = ArrayFrom<kMailboxIdSize>(key);
    MailboxMeta* meta = store.FindMailbox(id);
    if (meta == nullptr) return 0;
    return store.RemoveEntry(id, *meta, ReadBigEndian64(key.data() + kMailboxIdSize));
  }

  std::uint64_t ExpireBlob(Impl& store, std::string_view key) {
    if (key.size() != kBlobHandleSize) return 0;
    const BlobHandle handle = ArrayFrom<kBlobHandleSize>(key);
    std::vector<std::pair<MailboxId, std::uint64_t>> views;
    const Key begin = Key().Add(handle);
    const Status s = store.kv().Scan(
        Cf::kBlobViews, begin, PrefixEnd(begin), [&](std::string_view, std::string_view v) {
          ForEachViewRef(
              v, [&](const MailboxId& id, std::uint64_t seq) { views.emplace_back(id, seq); });
          return true;
        });
    if (!s.ok()) return 0;  // the index entry is gone; Check() will tell
    std::uint64_t removed = 0;
    for (const auto& [id, seq] : views) {
      if (MailboxMeta* meta = store.FindMailbox(id)) removed += store.RemoveEntry(id, *meta, seq);
    }
    store.RemoveBlob(handle);
    return removed;
  }

  void ExpireToken(Impl& store, const ExpiryRef& ref) {
    if (ref.key.size() != kMailboxIdSize + 1 + kTokenHashSize) return;
    const MailboxId id = ArrayFrom<kMailboxIdSize>(ref.key);
    const TokenHash hash = ArrayFrom<kTokenHashSize>(ref.key.substr(kMailboxIdSize + 1));
    MailboxMeta* meta = store.FindMailbox(id);
    if (meta == nullptr) return;
    const auto it = std::find_if(meta->tokens.begin(), meta->tokens.end(),
                                 [&](const TokenState& t) { return t.hash == hash; });
    // A token whose expiry changed since has a newer index record.
    if (it == meta->tokens.end() || store.TokenIndexTime(it->record) != ref.at_ms) return;
    store.batch().Delete(Cf::kMailbox, TokenKey(id, hash));
    meta->tokens.erase(it);
    store.Touch(id, *meta);
  }

  std::size_t limit_;
};

}  // namespace

std::unique_ptr<WriteOp> MakeSweepOp(std::size_t limit,
                                     Callback<std::pair<std::uint64_t, bool>> done) {
  return std::make_unique<SweepOp>(limit, std::move(done));
}

}  // namespace tocsin::relay
