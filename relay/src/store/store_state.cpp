// The writer's caches: per-mailbox metadata, live blobs, and this batch's overlays of
// invites and pre-keys. Writer thread only (except Load, before the threads start).
#include <sodium.h>

#include "store/store_impl.h"

namespace tocsin::relay {

// ---- loading

Status StoreEngine::Load(const ByIdMap<MailboxId, std::uint64_t>* known_next_seqs) {
  TOCSIN_RETURN_IF_ERROR(LoadMailboxes());
  std::vector<std::pair<MailboxId, StateRecord*>> states;
  states.reserve(mailboxes_.size());
  for (auto& [id, meta] : mailboxes_) states.emplace_back(id, &meta.state);
  TOCSIN_RETURN_IF_ERROR(AddQueueTails(*kv_, &states));
  for (auto& [id, meta] : mailboxes_) {
    std::uint64_t known = 0;
    if (known_next_seqs != nullptr) {
      const auto it = known_next_seqs->find(id);
      if (it != known_next_seqs->end()) known = it->second;
    }
    ResumeNumbering(meta, known);
    Publish(id);
  }
  return LoadBlobs();
}

void StoreEngine::ResumeNumbering(MailboxMeta& meta, std::uint64_t known_next_seq) {
  const std::uint64_t resume =
      known_next_seq != 0 ? known_next_seq : meta.saved_next_seq + kMaxUnsavedSeqs;
  meta.state.next_seq = std::max(meta.state.next_seq, resume);
  meta.committed_next_seq = meta.state.next_seq;
}

namespace {

// Adds one mailbox-family record to the caches. Records of a mailbox sort after its
// auth record ('a' < 'q' < 't'), so the mailbox exists when they come.
void AddMailboxRecord(ByIdMap<MailboxId, MailboxMeta>& mailboxes, std::string_view key,
                      std::string_view value) {
  if (key.size() < kMailboxIdSize + 1) return;
  const MailboxId id = ArrayFrom<kMailboxIdSize>(key);
  const char kind = key[kMailboxIdSize];
  if (kind == kAuthRecord) {
    AuthRecord auth;
    if (!DecodeAuth(value, &auth)) return;
    MailboxMeta& meta = mailboxes[id];
    meta.auth_key = auth.auth_key;
    meta.created_ms = auth.created_ms;
    return;
  }
  const auto it = mailboxes.find(id);
  if (it == mailboxes.end()) return;  // an orphan: Check() reports it
  MailboxMeta& meta = it->second;
  if (kind == kStateRecord && DecodeState(value, &meta.state)) {
    meta.saved_next_seq = meta.state.next_seq;
    meta.committed_next_seq = meta.state.next_seq;
  } else if (kind == kTokenRecord && key.size() == kMailboxIdSize + 1 + kTokenHashSize) {
    TokenState token;
    token.hash = ArrayFrom<kTokenHashSize>(key.substr(kMailboxIdSize + 1));
    if (DecodeToken(value, &token.record)) meta.tokens.push_back(token);
  }
}

}  // namespace

Status StoreEngine::LoadMailboxes() {
  return kv_->Scan(Cf::kMailbox, "", "", [this](std::string_view key, std::string_view value) {
    AddMailboxRecord(mailboxes_, key, value);
    return true;
  });
}

Status StoreEngine::LoadBlobs() {
  return kv_->Scan(Cf::kBlob, "", "", [this](std::string_view key, std::string_view value) {
    BlobMeta meta;
    std::string_view body;
    if (key.size() != kBlobHandleSize || !DecodeBlob(value, &meta.expires_ms, &body)) return true;
    meta.size = static_cast<std::uint32_t>(body.size());
    blobs_.emplace(ArrayFrom<kBlobHandleSize>(key), std::move(meta));
    return true;
  });
}

// After a failed batch. The numbering this process reached stays; a mailbox the cache
// lacks (created, or deleted from the cache, by the failed batch) resumes past its
// record, as at open: it may skip ahead, never back.
Status StoreEngine::ReloadMailbox(const MailboxId& id) {
  std::uint64_t known = 0;
  if (const MailboxMeta* before = FindMailbox(id)) known = before->committed_next_seq;
  mailboxes_.erase(id);
  const Key begin = Key().Add(id);
  TOCSIN_RETURN_IF_ERROR(kv_->Scan(Cf::kMailbox, begin, PrefixEnd(begin),
                                   [this](std::string_view key, std::string_view value) {
                                     AddMailboxRecord(mailboxes_, key, value);
                                     return true;
                                   }));
  MailboxMeta* meta = FindMailbox(id);
  if (meta == nullptr) return Status::NotFound("mailbox");
  TOCSIN_RETURN_IF_ERROR(AddQueueTail(*kv_, id, &meta->state));
  ResumeNumbering(*meta, known);
  return Status::Ok();
}

Status StoreEngine::ReloadBlob(const BlobHandle& handle) {
  blobs_.erase(handle);
  std::string value;
  TOCSIN_RETURN_IF_ERROR(kv_->Get(Cf::kBlob, Bytes(handle), &value));
  BlobMeta meta;
  std::string_view body;
  if (!DecodeBlob(value, &meta.expires_ms, &body)) return Status::Corruption("blob record");
  meta.size = static_cast<std::uint32_t>(body.size());
  blobs_.emplace(handle, std::move(meta));
  return Status::Ok();
}

void StoreEngine::Publish(const MailboxId& id) {
  const MailboxMeta* meta = FindMailbox(id);
  if (meta == nullptr) {
    published_.erase(id);
    return;
  }
  MailboxInfo& info = published_[id];
  info.auth_key = meta->auth_key;
  info.queued = 0;
  for (const ClassUsage& u : meta->state.usage) info.queued += u.messages;
  info.one_time_prekeys_left = meta->state.prekeys;
}

// ---- mailboxes and tokens

MailboxMeta* StoreEngine::FindMailbox(const MailboxId& id) {
  const auto it = mailboxes_.find(id);
  return it == mailboxes_.end() ? nullptr : &it->second;
}

MailboxMeta& StoreEngine::AddMailbox(const MailboxId& id, MailboxMeta meta) {
  MailboxMeta& added = mailboxes_.insert_or_assign(id, std::move(meta)).first->second;
  MarkStateDirty(id, added);
  return added;
}

void StoreEngine::EraseMailbox(const MailboxId& id) {
  if (MailboxMeta* meta = FindMailbox(id)) Touch(id, *meta);
  mailboxes_.erase(id);
}

void StoreEngine::Touch(const MailboxId& id, MailboxMeta& meta) {
  if (meta.touched_batch == batch_number_) return;
  meta.touched_batch = batch_number_;
  touched_mailboxes_.push_back(id);
}

void StoreEngine::MarkStateDirty(const MailboxId& id, MailboxMeta& meta) {
  Touch(id, meta);
  meta.state_dirty = true;
}

Result<TokenState*> StoreEngine::FindToken(MailboxMeta& meta, const TokenHash& hash) {
  TokenState* found = nullptr;
  // Compare with every token, in constant time each, so timing tells nothing of which.
  for (TokenState& token : meta.tokens) {
    if (sodium_memcmp(token.hash.data(), hash.data(), kTokenHashSize) == 0) found = &token;
  }
  if (found == nullptr) return Status::Unauthorized("no such token");
  const std::uint64_t expires = found->record.expires_ms;
  if (expires != 0 && now_ms_ >= expires) return Status::Expired("token expired");
  return found;
}

std::uint64_t StoreEngine::TokenIndexTime(const TokenRecord& r) const {
  return r.expires_ms == 0 ? 0 : r.expires_ms + options_.expired_keep_ms;
}

void StoreEngine::SaveToken(const MailboxId& id, const TokenState& token) {
  batch_.Put(Cf::kMailbox, TokenKey(id, token.hash), EncodeToken(token.record));
}

void StoreEngine::RemoveTokenIndex(const MailboxId& id, const TokenState& token) {
  const std::uint64_t at = TokenIndexTime(token.record);
  if (at != 0) batch_.Delete(Cf::kExpiry, ExpiryKey(at, Cf::kMailbox, TokenKey(id, token.hash)));
}

Status StoreEngine::CheckQueueQuota(const MailboxMeta& meta, TokenClass c,
                                    std::uint64_t bytes) const {
  const ClassQuota& quota = Quota(c);
  const ClassUsage& usage = meta.state.usage[ClassIndex(c)];
  if (quota.max_queued_messages != 0 && usage.messages >= quota.max_queued_messages) {
    return Status::QuotaExceeded("queue full for this token class");
  }
  if (quota.max_queued_bytes != 0 && usage.bytes + bytes > quota.max_queued_bytes) {
    return Status::QuotaExceeded("queue bytes full for this token class");
  }
  return Status::Ok();
}

// ---- queue entries

std::uint64_t StoreEngine::StageEntry(const MailboxId& id, MailboxMeta& meta,
                                      const EntryHeader& header, std::string_view body_a,
                                      std::string_view body_b) {
  // The state record is written on appends only now and then, so the tail that a load
  // must count stays short, and its numbering never passes the record by more than
  // kMaxUnsavedSeqs.
  const std::uint64_t seq = meta.state.next_seq++;
  if (meta.state.next_seq - meta.saved_next_seq >= kMaxUnsavedSeqs) {
    MarkStateDirty(id, meta);
  } else {
    Touch(id, meta);
  }
  ClassUsage& usage = meta.state.usage[ClassIndex(header.token_class)];
  ++usage.messages;
  usage.bytes += header.charged_bytes;
  scratch_.clear();
  EncodeEntryHeader(header, &scratch_);
  scratch_.append(body_a);
  scratch_.append(body_b);
  const Key key = QueueKey(id, seq);
  batch_.Put(Cf::kQueue, key, scratch_);
  entry_cache_.Stage(id, seq, header);
  // Views expire with their blob, whose index entry covers them.
  if (header.kind == EntryKind::kEnvelope) {
    batch_.Put(Cf::kExpiry, ExpiryKey(header.expires_ms, Cf::kQueue, key), "");
  }
  return seq;
}

bool StoreEngine::RemoveEntry(const MailboxId& id, MailboxMeta& meta, std::uint64_t seq) {
  if (seq == 0 || seq >= meta.committed_next_seq) return false;  // not in the database
  const Key key = QueueKey(id, seq);
  EntryHeader header;
  bool known = false;
  if (const std::optional<EntryHeader> cached = entry_cache_.Take(id, seq)) {
    header = *cached;
    known = true;
  } else {
    std::string value;
    if (!kv_->Get(Cf::kQueue, key, &value).ok()) return false;
    std::string_view body;
    known = DecodeEntry(value, &header, &body);
  }
  if (!deleted_entries_.emplace(key.view()).second) return false;  // gone in this batch
  if (known) {
    ClassUsage& usage = meta.state.usage[ClassIndex(header.token_class)];
    usage.messages -= std::min<std::uint32_t>(usage.messages, 1);
    usage.bytes -= std::min<std::uint64_t>(usage.bytes, header.charged_bytes);
    if (header.kind == EntryKind::kEnvelope) {
      batch_.Delete(Cf::kExpiry, ExpiryKey(header.expires_ms, Cf::kQueue, key));
    }
  }
  // The record's usage counts only entries below its next_seq; one of the tail was
  // never in it, so removing it rewrites nothing (open counts what is left of the
  // tail, and resumes the numbering past the record: ResumeNumbering).
  if (seq < meta.saved_next_seq) {
    MarkStateDirty(id, meta);
  } else {
    Touch(id, meta);
  }
  batch_.Delete(Cf::kQueue, key);
  return true;
}

void StoreEngine::DropStored(const MailboxId& id) {
  std::erase_if(stored_, [&](const QueuedEntry& e) {
    if (e.mailbox != id) return false;
    const Key key = QueueKey(id, e.seq);
    batch_.Delete(Cf::kQueue, key);
    if (e.envelope) batch_.Delete(Cf::kExpiry, ExpiryKey(e.expires_at_ms, Cf::kQueue, key));
    return true;
  });
}

// ---- blobs

BlobMeta* StoreEngine::FindBlob(const BlobHandle& handle) {
  const auto it = blobs_.find(handle);
  return it == blobs_.end() ? nullptr : &it->second;
}

BlobMeta& StoreEngine::AddBlob(const BlobHandle& handle, BlobMeta meta,
                               std::shared_ptr<const std::string> body) {
  meta.viewers_loaded = true;  // a new blob has no views yet
  BlobMeta& added = blobs_.insert_or_assign(handle, std::move(meta)).first->second;
  TouchBlob(handle, added);
  new_blobs_.emplace_back(handle, std::move(body));
  return added;
}

void StoreEngine::TouchBlob(const BlobHandle& handle, BlobMeta& meta) {
  meta.used_batch = batch_number_;
  if (meta.touched_batch == batch_number_) return;
  meta.touched_batch = batch_number_;
  touched_blobs_.push_back(handle);
}

Status StoreEngine::LoadViewers(const BlobHandle& handle, BlobMeta& meta) {
  if (meta.viewers_loaded) return Status::Ok();
  meta.viewers.clear();
  meta.next_record = 0;
  const Key begin = Key().Add(handle);
  TOCSIN_RETURN_IF_ERROR(kv_->Scan(
      Cf::kBlobViews, begin, PrefixEnd(begin), [&](std::string_view key, std::string_view value) {
        if (key.size() != kBlobHandleSize + 4) return true;
        meta.next_record = ReadBigEndian32(key.data() + kBlobHandleSize) + 1;
        ForEachViewRef(value, [&](const MailboxId& id, std::uint64_t) { meta.viewers.insert(id); });
        return true;
      }));
  meta.viewers_loaded = true;
  return Status::Ok();
}

std::shared_ptr<const std::string> StoreEngine::BlobBody(const BlobHandle& handle) {
  return blob_cache_.Get(*kv_, handle);
}

void StoreEngine::RemoveBlob(const BlobHandle& handle) {
  const Key begin = Key().Add(handle);
  batch_.DeleteRange(Cf::kBlobViews, begin, PrefixEnd(begin));
  batch_.Delete(Cf::kBlob, Bytes(handle));
  if (BlobMeta* meta = FindBlob(handle)) TouchBlob(handle, *meta);
  blobs_.erase(handle);
  dead_blobs_.push_back(handle);
}

// Viewer sets cost ~50 bytes per view: keep them only for recently used blobs.
void StoreEngine::TrimViewerSets() {
  constexpr std::uint64_t kKeepBatches = 4096;
  if (batch_number_ % 256 != 0) return;
  for (auto& [handle, meta] : blobs_) {
    if (meta.viewers_loaded && meta.used_batch + kKeepBatches < batch_number_) {
      meta.viewers_loaded = false;
      std::unordered_set<MailboxId, RandomBytesHash>().swap(meta.viewers);
    }
  }
}

// ---- this batch's overlays

PrekeyState* StoreEngine::LoadPrekeys(const MailboxId& id) {
  if (const auto it = prekeys_.find(id); it != prekeys_.end()) return &it->second;
  PrekeyState state;
  const Key begin = Key().Add(id);
  const Status s = kv_->Scan(
      Cf::kPrekey, begin, PrefixEnd(begin), [&](std::string_view key, std::string_view value) {
        const char kind = key.size() > kMailboxIdSize ? key[kMailboxIdSize] : 0;
        if (kind == kSignedPrekey) {
          SignedPrekey signed_prekey;
          if (DecodeSignedPrekey(value, &signed_prekey)) {
            state.signed_prekey = std::move(signed_prekey);
          }
        } else if (kind == kPrekeyIds && value.size() == 8) {
          state.registration_id = ReadFixed32(value.data());
          state.device_id = ReadFixed32(value.data() + 4);
        } else if (kind == kOneTimePrekey && key.size() == kMailboxIdSize + 5) {
          state.one_time.emplace(ReadBigEndian32(key.data() + kMailboxIdSize + 1),
                                 std::string(value));
        }
        return true;
      });
  if (!s.ok()) return nullptr;
  return &prekeys_.emplace(id, std::move(state)).first->second;
}

InviteRecord* StoreEngine::FindInvite(const TokenHash& hash) {
  auto it = invites_.find(hash);
  if (it == invites_.end()) {
    std::optional<InviteRecord> record;
    std::string value;
    InviteRecord decoded;
    if (kv_->Get(Cf::kInvite, Bytes(hash), &value).ok() && DecodeInvite(value, &decoded)) {
      record = decoded;
    }
    it = invites_.emplace(hash, record).first;
  }
  return it->second ? &*it->second : nullptr;
}

void StoreEngine::SaveInvite(const TokenHash& hash, const InviteRecord& record) {
  invites_[hash] = record;
  batch_.Put(Cf::kInvite, Bytes(hash), EncodeInvite(record));
}

void StoreEngine::DeleteInvite(const TokenHash& hash) {
  InviteRecord* record = FindInvite(hash);
  if (record == nullptr) return;
  if (record->expires_ms != 0) {
    const std::uint64_t at = record->expires_ms + options_.expired_keep_ms;
    batch_.Delete(Cf::kExpiry, ExpiryKey(at, Cf::kInvite, Bytes(hash)));
  }
  batch_.Delete(Cf::kInvite, Bytes(hash));
  invites_[hash].reset();
}

}  // namespace tocsin::relay
