// Invites, mailboxes and tokens.
#include <sodium.h>

#include <algorithm>
#include <variant>

#include "store/store_impl.h"

namespace tocsin::relay {
namespace {

using Impl = StoreEngine;

TokenHash HashBytes(std::string_view bytes) {
  TokenHash hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  return hash;
}

class CreateInviteOp final : public CallbackOp<std::string> {
 public:
  CreateInviteOp(std::uint32_t uses, std::uint64_t expires_at_ms, Callback<std::string> done)
      : CallbackOp(std::move(done)), uses_(uses), expires_at_ms_(expires_at_ms) {}

  void Apply(Impl& store) override {
    if (uses_ == 0) return Fail(Status::InvalidArgument("an invite needs at least one use"));
    std::string invite(kInviteSize, '\0');
    store.Random(std::span(reinterpret_cast<std::uint8_t*>(invite.data()), invite.size()));
    const TokenHash hash = HashBytes(invite);
    store.SaveInvite(hash, InviteRecord{uses_, expires_at_ms_});
    if (expires_at_ms_ != 0) {
      const std::uint64_t at = expires_at_ms_ + store.options().expired_keep_ms;
      store.batch().Put(Cf::kExpiry, ExpiryKey(at, Cf::kInvite, Bytes(hash)), "");
    }
    Succeed(std::move(invite));
  }

 private:
  std::uint32_t uses_;
  std::uint64_t expires_at_ms_;
};

class CreateMailboxOp final : public CallbackOp<MailboxId> {
 public:
  CreateMailboxOp(std::string invite, const AuthKey& auth_key, Callback<MailboxId> done)
      : CallbackOp(std::move(done)), invite_(std::move(invite)), auth_key_(auth_key) {}

  void Apply(Impl& store) override {
    if (invite_.size() != kInviteSize) return Fail(Status::Unauthorized("no such invite"));
    const TokenHash hash = HashBytes(invite_);
    InviteRecord* invite = store.FindInvite(hash);
    if (invite == nullptr) return Fail(Status::Unauthorized("no such invite"));
    if (invite->expires_ms != 0 && store.now() >= invite->expires_ms) {
      return Fail(Status::Expired("invite expired"));
    }
    if (invite->uses_left <= 1) {
      store.DeleteInvite(hash);  // used up: from now on it is unknown
    } else {
      store.SaveInvite(hash, InviteRecord{invite->uses_left - 1, invite->expires_ms});
    }
    Succeed(Open(store));
  }

 private:
  MailboxId Open(Impl& store) {
    MailboxId id{};
    do {
      store.Random(id);
    } while (store.FindMailbox(id) != nullptr);
    MailboxMeta meta;
    meta.auth_key = auth_key_;
    meta.created_ms = store.now();
    store.AddMailbox(id, std::move(meta));
    store.batch().Put(Cf::kMailbox, MailboxKey(id, kAuthRecord),
                      EncodeAuth(AuthRecord{auth_key_, store.now()}));
    return id;  // its state record is written with the batch's touched mailboxes
  }

  std::string invite_;
  AuthKey auth_key_;
};

class DeleteMailboxOp final : public CallbackOp<std::monostate> {
 public:
  DeleteMailboxOp(const MailboxId& mailbox, Callback<std::monostate> done)
      : CallbackOp(std::move(done)), id_(mailbox) {}

  void Apply(Impl& store) override {
    MailboxMeta* meta = store.FindMailbox(id_);
    if (meta == nullptr) return Fail(Status::NotFound("no such mailbox"));
    const Key begin = Key().Add(id_);
    const std::string end = PrefixEnd(begin);
    if (Status s = DeleteQueueIndexes(store, begin, end); !s.ok()) return Fail(s);
    store.DropStored(id_);
    for (const TokenState& token : meta->tokens) store.RemoveTokenIndex(id_, token);
    if (Status s = DeleteMailboxRecords(store, *meta, begin, end); !s.ok()) return Fail(s);
    store.batch().DeleteRange(Cf::kPrekey, begin, end);
    store.EraseMailbox(id_);
    Succeed(std::monostate{});
  }

 private:
  // Its queue entries and the expiry index records of its envelopes, one by one (no
  // DeleteRange: rocksdb_kv.cpp's insert hints). Entries of this batch are deleted by
  // DropStored. (Its views stay listed in their blobs' view index records, which go
  // with the blobs; a deleted mailbox is never recreated.)
  Status DeleteQueueIndexes(Impl& store, std::string_view begin, std::string_view end) {
    WriteBatch& batch = store.batch();
    return store.kv().Scan(Cf::kQueue, begin, end, [&](std::string_view key, std::string_view v) {
      batch.Delete(Cf::kQueue, key);
      EntryHeader header;
      std::string_view body;
      if (!DecodeEntry(v, &header, &body)) return true;
      if (header.kind == EntryKind::kEnvelope) {
        batch.Delete(Cf::kExpiry, ExpiryKey(header.expires_ms, Cf::kQueue, key));
      }
      return true;
    });
  }

  // Its auth, state and token records: those in the database and those of this batch.
  Status DeleteMailboxRecords(Impl& store, const MailboxMeta& meta, std::string_view begin,
                              std::string_view end) {
    WriteBatch& batch = store.batch();
    batch.Delete(Cf::kMailbox, MailboxKey(id_, kAuthRecord));
    batch.Delete(Cf::kMailbox, MailboxKey(id_, kStateRecord));
    for (const TokenState& token : meta.tokens)
      batch.Delete(Cf::kMailbox, TokenKey(id_, token.hash));
    return store.kv().Scan(Cf::kMailbox, begin, end, [&](std::string_view key, std::string_view) {
      batch.Delete(Cf::kMailbox, key);
      return true;
    });
  }

  MailboxId id_;
};

// The expiry of a new token: its TTL, else its class's default, else never.
std::uint64_t TokenExpiry(const Impl& store, const TokenEntry& entry) {
  const std::uint32_t ttl = entry.ttl_seconds != 0
                                ? entry.ttl_seconds
                                : store.Quota(entry.token_class).default_token_ttl_seconds;
  return ttl == 0 ? 0 : store.now() + std::uint64_t{ttl} * 1000;
}

bool ValidClass(TokenClass c) {
  return c == TokenClass::kIntro || c == TokenClass::kContact || c == TokenClass::kAlert;
}

std::uint32_t CountValid(const Impl& store, const MailboxMeta& meta) {
  std::uint32_t n = 0;
  for (const TokenState& t : meta.tokens) {
    n += t.record.expires_ms == 0 || store.now() < t.record.expires_ms;
  }
  return n;
}

TokenState* FindExact(MailboxMeta& meta, const TokenHash& hash) {
  for (TokenState& t : meta.tokens) {
    if (t.hash == hash) return &t;
  }
  return nullptr;
}

bool IsValid(const Impl& store, const TokenRecord& r) {
  return r.expires_ms == 0 || store.now() < r.expires_ms;
}

// Whether putting `hash` makes one more valid token: it is new, or it brings an
// expired one back.
bool AddsValid(const Impl& store, MailboxMeta& meta, const TokenHash& hash) {
  const TokenState* known = FindExact(meta, hash);
  return known == nullptr || !IsValid(store, known->record);
}

// A mailbox holds at most max_tokens_per_mailbox valid tokens, and as many expired ones
// kept to answer EXPIRED (proto/SPEC.md 7.3). Before `adding` new records, forgets the
// expired tokens that expired first (never `keep`) until they fit: from then on those
// answer UNAUTHORIZED, as after the sweeper. Without this, tokens revoked or rotated out
// in a loop would pile up for their keep time, and every Send to the mailbox walks them.
void MakeRoomForTokens(Impl& store, const MailboxId& id, MailboxMeta& meta, std::size_t adding,
                       const TokenHash* keep = nullptr) {
  const std::size_t cap = 2 * store.options().max_tokens_per_mailbox;
  while (meta.tokens.size() + adding > cap) {
    auto oldest = meta.tokens.end();
    for (auto it = meta.tokens.begin(); it != meta.tokens.end(); ++it) {
      if (IsValid(store, it->record) || (keep != nullptr && it->hash == *keep)) continue;
      if (oldest == meta.tokens.end() || it->record.expires_ms < oldest->record.expires_ms) {
        oldest = it;
      }
    }
    if (oldest == meta.tokens.end()) return;  // all valid: the caller's count refused more
    store.RemoveTokenIndex(id, *oldest);
    store.batch().Delete(Cf::kMailbox, TokenKey(id, oldest->hash));
    meta.tokens.erase(oldest);
    store.Touch(id, meta);
  }
}

// Adds or replaces one token (a known hash keeps its use counters).
void PutToken(Impl& store, const MailboxId& id, MailboxMeta& meta, const TokenEntry& entry) {
  TokenState* token = FindExact(meta, entry.token_hash);
  if (token == nullptr) {
    meta.tokens.push_back(TokenState{entry.token_hash, {}});
    token = &meta.tokens.back();
  } else {
    store.RemoveTokenIndex(id, *token);
  }
  token->record.token_class = entry.token_class;
  token->record.expires_ms = TokenExpiry(store, entry);
  store.SaveToken(id, *token);
  const std::uint64_t at = store.TokenIndexTime(token->record);
  if (at != 0)
    store.batch().Put(Cf::kExpiry, ExpiryKey(at, Cf::kMailbox, TokenKey(id, token->hash)), "");
  store.Touch(id, meta);
}

class SetTokensOp final : public CallbackOp<std::uint32_t> {
 public:
  SetTokensOp(const MailboxId& mailbox, std::vector<TokenEntry> tokens,
              Callback<std::uint32_t> done)
      : CallbackOp(std::move(done)), id_(mailbox), tokens_(std::move(tokens)) {}

  void Apply(Impl& store) override {
    MailboxMeta* meta = store.FindMailbox(id_);
    if (meta == nullptr) return Fail(Status::NotFound("no such mailbox"));
    std::uint32_t added = 0;
    std::size_t records = 0;
    for (const TokenEntry& entry : tokens_) {
      if (!ValidClass(entry.token_class)) return Fail(Status::BadFrame("unknown token class"));
      added += AddsValid(store, *meta, entry.token_hash);
      records += FindExact(*meta, entry.token_hash) == nullptr;
    }
    if (CountValid(store, *meta) + added > store.options().max_tokens_per_mailbox) {
      return Fail(Status::QuotaExceeded("too many tokens"));
    }
    MakeRoomForTokens(store, id_, *meta, records);
    for (const TokenEntry& entry : tokens_) PutToken(store, id_, *meta, entry);
    Succeed(CountValid(store, *meta));
  }

 private:
  MailboxId id_;
  std::vector<TokenEntry> tokens_;
};

class RotateTokenOp final : public CallbackOp<std::uint64_t> {
 public:
  RotateTokenOp(const MailboxId& mailbox, const TokenHash& old_hash, TokenEntry new_token,
                std::optional<std::uint32_t> grace_seconds, Callback<std::uint64_t> done)
      : CallbackOp(std::move(done)),
        id_(mailbox),
        old_hash_(old_hash),
        new_token_(new_token),
        grace_seconds_(grace_seconds) {}

  void Apply(Impl& store) override {
    MailboxMeta* meta = store.FindMailbox(id_);
    if (meta == nullptr) return Fail(Status::NotFound("no such mailbox"));
    if (!ValidClass(new_token_.token_class)) return Fail(Status::BadFrame("unknown token class"));
    TokenState* old = FindExact(*meta, old_hash_);
    if (old == nullptr) return Fail(Status::NotFound("no such token"));
    const std::uint64_t grace_ms =
        grace_seconds_ ? std::uint64_t{*grace_seconds_} * 1000 : store.options().token_grace_ms;
    // Never 0, which would mean "never expires".
    std::uint64_t ends = std::max<std::uint64_t>(store.now() + grace_ms, 1);
    if (old->record.expires_ms != 0) ends = std::min(ends, old->record.expires_ms);
    // Valid tokens after the rotation: the old one counts while in its grace.
    const bool rotates_to_itself = new_token_.token_hash == old_hash_;
    std::uint32_t valid_after = CountValid(store, *meta) - IsValid(store, old->record);
    valid_after += store.now() < ends;
    if (!rotates_to_itself) valid_after += AddsValid(store, *meta, new_token_.token_hash);
    if (valid_after > store.options().max_tokens_per_mailbox) {
      return Fail(Status::QuotaExceeded("too many tokens"));
    }
    if (!rotates_to_itself && FindExact(*meta, new_token_.token_hash) == nullptr) {
      MakeRoomForTokens(store, id_, *meta, 1, &old_hash_);
      old = FindExact(*meta, old_hash_);  // the vector may have changed
    }
    const TokenHash old_hash = old->hash;  // PutToken may move the vector
    store.RemoveTokenIndex(id_, *old);
    old->record.expires_ms = ends;
    store.SaveToken(id_, *old);
    store.batch().Put(
        Cf::kExpiry,
        ExpiryKey(store.TokenIndexTime(old->record), Cf::kMailbox, TokenKey(id_, old_hash)), "");
    if (new_token_.token_hash != old_hash) PutToken(store, id_, *meta, new_token_);
    Succeed(ends);
  }

 private:
  MailboxId id_;
  TokenHash old_hash_;
  TokenEntry new_token_;
  std::optional<std::uint32_t> grace_seconds_;
};

}  // namespace

std::unique_ptr<WriteOp> MakeCreateInviteOp(std::uint32_t uses, std::uint64_t expires_at_ms,
                                            Callback<std::string> done) {
  return std::make_unique<CreateInviteOp>(uses, expires_at_ms, std::move(done));
}

std::unique_ptr<WriteOp> MakeCreateMailboxOp(std::string invite, const AuthKey& auth_key,
                                             Callback<MailboxId> done) {
  return std::make_unique<CreateMailboxOp>(std::move(invite), auth_key, std::move(done));
}

std::unique_ptr<WriteOp> MakeDeleteMailboxOp(const MailboxId& mailbox, StatusCallback done) {
  return std::make_unique<DeleteMailboxOp>(mailbox,
                                           [done = std::move(done)](Result<std::monostate> r) {
                                             if (done) done(r.ok() ? Status::Ok() : r.status());
                                           });
}

std::unique_ptr<WriteOp> MakeSetTokensOp(const MailboxId& mailbox, std::vector<TokenEntry> tokens,
                                         Callback<std::uint32_t> done) {
  return std::make_unique<SetTokensOp>(mailbox, std::move(tokens), std::move(done));
}

std::unique_ptr<WriteOp> MakeRotateTokenOp(const MailboxId& mailbox, const TokenHash& old_hash,
                                           TokenEntry new_token,
                                           std::optional<std::uint32_t> grace_seconds,
                                           Callback<std::uint64_t> done) {
  return std::make_unique<RotateTokenOp>(mailbox, old_hash, new_token, grace_seconds,
                                         std::move(done));
}

}  // namespace tocsin::relay
