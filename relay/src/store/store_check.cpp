// Check(): the store's invariants, verified over one snapshot.
//
// - every mailbox record belongs to a mailbox;
// - every queue entry belongs to a mailbox and is indexed: an envelope in the expiry
//   index, a view in its live blob's view index (with the same expiry);
// - the quota usage in each state record matches the entries below its next seq;
// - blobs, expiring tokens and invites are in the expiry index, and every index record
//   names a live record; view index records name a live blob;
// - pre-keys belong to a mailbox and their count matches its state.
//
// Cross-references are matched as sorted 64-bit hashes of keys, not with a read per
// entry: a check of a million entries takes seconds, not minutes. (A hash collision
// could hide one problem, with odds of about N / 2^64.)
#include <algorithm>
#include <functional>
#include <map>

#include "store/store_impl.h"

namespace tocsin::relay {
namespace {

std::uint64_t KeyHash(std::string_view key) { return std::hash<std::string_view>{}(key); }

struct MailboxSeen {
  bool has_auth = false;
  StateRecord state;
  std::array<ClassUsage, kTokenClassCount> usage{};  // tallied from the queue
  std::uint32_t prekeys = 0;                         // tallied from the pre-key family
};

class Checker {
 public:
  Checker(const KvReader& snap, std::uint64_t keep_ms) : snap_(snap), keep_ms_(keep_ms) {}

  Result<CheckReport> Run() {
    TOCSIN_RETURN_IF_ERROR(ScanMailboxes());
    TOCSIN_RETURN_IF_ERROR(ScanBlobs());
    TOCSIN_RETURN_IF_ERROR(ScanViewIndex());
    TOCSIN_RETURN_IF_ERROR(ScanQueue());
    TOCSIN_RETURN_IF_ERROR(ScanPrekeys());
    TOCSIN_RETURN_IF_ERROR(ScanInvites());
    TOCSIN_RETURN_IF_ERROR(ScanExpiry());
    MatchExpiryIndex();
    CompareTallies();
    CheckReport report;
    report.entries_checked = checked_;
    for (const auto& [what, n] : problems_) {
      report.problems.push_back(what + " (" + std::to_string(n) + ")");
    }
    return report;
  }

 private:
  void Problem(const std::string& what) { ++problems_[what]; }
  // The record (cf, key) needs the expiry index record for time `at`.
  void WantIndexed(std::uint64_t at, Cf cf, std::string_view key) {
    wanted_.emplace_back(KeyHash(ExpiryKey(at, cf, key)), cf);
  }

  Status ScanMailboxes() {
    return snap_.Scan(Cf::kMailbox, "", "", [this](std::string_view k, std::string_view v) {
      ++checked_;
      if (k.size() <= kMailboxIdSize) return Problem("malformed mailbox key"), true;
      const MailboxId id = ArrayFrom<kMailboxIdSize>(k);
      const char kind = k[kMailboxIdSize];
      if (kind == kAuthRecord) {
        AuthRecord auth;
        if (!DecodeAuth(v, &auth)) Problem("malformed mailbox record");
        mailboxes_[id].has_auth = true;
        return true;
      }
      const auto it = mailboxes_.find(id);
      if (it == mailboxes_.end()) return Problem("record of an unknown mailbox"), true;
      if (kind == kStateRecord) {
        if (!DecodeState(v, &it->second.state)) Problem("malformed mailbox state");
      } else if (kind == kTokenRecord) {
        CheckToken(k, v);
      } else {
        Problem("unknown mailbox record");
      }
      return true;
    });
  }

  void CheckToken(std::string_view k, std::string_view v) {
    TokenRecord token;
    if (k.size() != kMailboxIdSize + 1 + kTokenHashSize || !DecodeToken(v, &token)) {
      return Problem("malformed token record");
    }
    if (token.expires_ms != 0) WantIndexed(token.expires_ms + keep_ms_, Cf::kMailbox, k);
  }

  Status ScanBlobs() {
    return snap_.Scan(Cf::kBlob, "", "", [this](std::string_view k, std::string_view v) {
      ++checked_;
      std::uint64_t expires = 0;
      std::string_view body;
      if (k.size() != kBlobHandleSize || !DecodeBlob(v, &expires, &body)) {
        return Problem("malformed blob"), true;
      }
      blobs_.emplace(ArrayFrom<kBlobHandleSize>(k), expires);
      WantIndexed(expires, Cf::kBlob, k);
      return true;
    });
  }

  Status ScanQueue() {
    return snap_.Scan(Cf::kQueue, "", "", [this](std::string_view k, std::string_view v) {
      ++checked_;
      EntryHeader h;
      std::string_view body;
      if (k.size() != kQueueKeySize || !DecodeEntry(v, &h, &body)) {
        return Problem("malformed queue entry"), true;
      }
      const auto it = mailboxes_.find(ArrayFrom<kMailboxIdSize>(k));
      if (it == mailboxes_.end()) return Problem("queue entry of an unknown mailbox"), true;
      const std::uint64_t seq = ReadBigEndian64(k.data() + kMailboxIdSize);
      if (seq < it->second.state.next_seq) {  // later ones are counted when loaded
        ClassUsage& usage = it->second.usage[ClassIndex(h.token_class)];
        ++usage.messages;
        usage.bytes += h.charged_bytes;
      }
      if (h.kind == EntryKind::kEnvelope) {
        WantIndexed(h.expires_ms, Cf::kQueue, k);
      } else {
        CheckView(it->first, seq, h, ArrayFrom<kBlobHandleSize>(body));
      }
      return true;
    });
  }

  void CheckView(const MailboxId& id, std::uint64_t seq, const EntryHeader& h,
                 const BlobHandle& handle) {
    const auto blob = blobs_.find(handle);
    if (blob == blobs_.end()) return Problem("view of a missing blob");
    if (blob->second != h.expires_ms) Problem("view expiring apart from its blob");
    if (!std::binary_search(view_refs_.begin(), view_refs_.end(), ViewRef(handle, id, seq))) {
      Problem("view missing from its blob's view index");
    }
  }

  static std::uint64_t ViewRef(const BlobHandle& handle, const MailboxId& id, std::uint64_t seq) {
    const Key ref = Key().Add(handle).Add(id).AddBigEndian64(seq);
    return KeyHash(ref);
  }

  // Then sorted, for CheckView's binary searches.
  Status ScanViewIndex() {
    const Status s =
        snap_.Scan(Cf::kBlobViews, "", "", [this](std::string_view k, std::string_view v) {
          ++checked_;
          if (k.size() != kBlobHandleSize + 4) return Problem("malformed view index key"), true;
          const BlobHandle handle = ArrayFrom<kBlobHandleSize>(k);
          if (!blobs_.contains(handle)) Problem("view index of a missing blob");
          const bool ok = ForEachViewRef(v, [&](const MailboxId& id, std::uint64_t seq) {
            view_refs_.push_back(ViewRef(handle, id, seq));
          });
          if (!ok) Problem("malformed view index record");
          return true;
        });
    std::sort(view_refs_.begin(), view_refs_.end());
    return s;
  }

  Status ScanPrekeys() {
    return snap_.Scan(Cf::kPrekey, "", "", [this](std::string_view k, std::string_view) {
      ++checked_;
      if (k.size() <= kMailboxIdSize) return Problem("malformed pre-key"), true;
      const auto it = mailboxes_.find(ArrayFrom<kMailboxIdSize>(k));
      if (it == mailboxes_.end()) return Problem("pre-key of an unknown mailbox"), true;
      if (k[kMailboxIdSize] == kOneTimePrekey) ++it->second.prekeys;
      return true;
    });
  }

  Status ScanInvites() {
    return snap_.Scan(Cf::kInvite, "", "", [this](std::string_view k, std::string_view v) {
      ++checked_;
      InviteRecord invite;
      if (!DecodeInvite(v, &invite)) return Problem("malformed invite"), true;
      if (invite.expires_ms != 0) WantIndexed(invite.expires_ms + keep_ms_, Cf::kInvite, k);
      return true;
    });
  }

  Status ScanExpiry() {
    return snap_.Scan(Cf::kExpiry, "", "", [this](std::string_view k, std::string_view) {
      ++checked_;
      ExpiryRef ref;
      if (!DecodeExpiryKey(k, &ref)) return Problem("malformed expiry index record"), true;
      present_.emplace_back(KeyHash(k), ref.cf);
      return true;
    });
  }

  static std::string MissingFromIndex(Cf cf) {
    switch (cf) {
      case Cf::kQueue:
        return "envelope missing from the expiry index";
      case Cf::kBlob:
        return "blob missing from the expiry index";
      case Cf::kMailbox:
        return "expiring token missing from the expiry index";
      default:
        return "expiring invite missing from the expiry index";
    }
  }

  // Index records no record wants name missing records (or carry a stale time).
  void MatchExpiryIndex() {
    std::sort(wanted_.begin(), wanted_.end());
    std::sort(present_.begin(), present_.end());
    auto w = wanted_.begin();
    auto p = present_.begin();
    while (w != wanted_.end() || p != present_.end()) {
      if (p == present_.end() || (w != wanted_.end() && w->first < p->first)) {
        Problem(MissingFromIndex((w++)->second));
      } else if (w == wanted_.end() || p->first < w->first) {
        Problem("expiry index record of a missing " + std::string(CfName((p++)->second)) +
                " record");
      } else {
        ++w;
        ++p;
      }
    }
  }

  void CompareTallies() {
    for (const auto& [id, m] : mailboxes_) {
      if (!m.has_auth) continue;
      if (m.usage != m.state.usage) Problem("quota usage differs from the queue");
      if (m.prekeys != m.state.prekeys) Problem("pre-key count differs from the pre-keys");
    }
  }

  const KvReader& snap_;
  const std::uint64_t keep_ms_;
  std::uint64_t checked_ = 0;
  std::map<std::string, std::uint64_t> problems_;
  ByIdMap<MailboxId, MailboxSeen> mailboxes_;
  ByIdMap<BlobHandle, std::uint64_t> blobs_;           // -> expires
  std::vector<std::uint64_t> view_refs_;               // hashes of handle || mailbox || seq
  std::vector<std::pair<std::uint64_t, Cf>> wanted_;   // index records that records need
  std::vector<std::pair<std::uint64_t, Cf>> present_;  // index records there are
};

}  // namespace

Result<CheckReport> StoreEngine::Check() const {
  std::shared_lock lock(kv_mutex_);
  if (!kv_) return Status::Unavailable("store is closed");
  const std::unique_ptr<KvReader> snap = kv_->Snapshot();
  return Checker(*snap, options_.expired_keep_ms).Run();
}

}  // namespace tocsin::relay
