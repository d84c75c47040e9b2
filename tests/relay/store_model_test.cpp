// The store against a dumb reference model: random operations with a fixed seed are
// applied to both, and every mailbox's queue, count and every answer are compared after
// each step, as strfry tests its filters against a dumb reference.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>

#include "store/records.h"
#include "store_test_util.h"

namespace tocsin::relay::test {
namespace {

struct ModelEntry {
  std::string payload;  // the envelope, or the blob body followed by the view
  std::uint64_t expires = 0;
  TokenClass token_class = TokenClass::kContact;
  std::uint64_t bytes = 0;
};

struct ModelToken {
  TokenClass token_class = TokenClass::kContact;
  std::uint64_t expires = 0;
  std::uint32_t sends = 0;
};

struct ModelMailbox {
  std::map<std::uint64_t, ModelEntry> queue;
  std::uint64_t next_seq = 1;
  // The next_seq of its state record (records.h): written at creation, every
  // kMaxUnsavedSeqs appends and when an entry below it goes; a reopen resumes the
  // numbering kMaxUnsavedSeqs past it.
  std::uint64_t saved_next_seq = 1;
  std::map<Token, ModelToken> tokens;
};

struct ModelBlob {
  std::string body;
  std::uint64_t expires = 0;
  std::set<MailboxId> viewers;
};

StoreOptions ModelOptions() {
  StoreOptions o;
  o.quotas[ClassIndex(TokenClass::kIntro)] = ClassQuota{4, 0, 3, 1, 0};
  o.quotas[ClassIndex(TokenClass::kContact)] = ClassQuota{6, 400, 0, 0, 0};
  o.quotas[ClassIndex(TokenClass::kAlert)] = ClassQuota{0, 0, 0, 0, 0};
  o.max_views_per_blob = 5;
  o.expired_keep_ms = 0;
  return o;
}

class ModelTest {
 public:
  ModelTest(StoreFixture::Backend backend, std::uint64_t seed)
      : f_(backend, ModelOptions()), rng_(seed), quotas_(ModelOptions().quotas) {}

  void Step() {
    const int op = static_cast<int>(Pick(100));
    if (op < 5 || boxes_.empty()) return CreateMailbox();
    if (op < 12) return SetToken();
    if (op < 45) return Append();
    if (op < 50) return PutBlob();
    if (op < 62) return AppendViews();
    if (op < 77) return Ack();
    if (op < 85) return f_.clock().Advance(Pick(20) * 1000);
    if (op < 90) return Sweep();
    if (op < 93) return DeleteMailbox();
    if (op < 95) return Reopen();
  }

  void Reopen() {
    f_.Reopen();
    for (auto& [id, box] : model_) {
      box.next_seq = std::max(box.next_seq, box.saved_next_seq + kMaxUnsavedSeqs);
    }
  }

  // After an op removed entries of `box`: the record is written if one was below it.
  static void Removed(ModelMailbox& box, const std::vector<std::uint64_t>& seqs) {
    for (std::uint64_t seq : seqs) {
      if (seq < box.saved_next_seq) {
        box.saved_next_seq = box.next_seq;
        return;
      }
    }
  }

  void Compare() {
    const std::uint64_t now = f_.clock().now;
    for (const auto& [id, box] : model_) {
      auto info = f_.store().GetMailbox(id);
      REQUIRE(info.ok());
      REQUIRE(info->queued == box.queue.size());
      std::vector<std::pair<std::uint64_t, std::string>> expected, actual;
      for (const auto& [seq, e] : box.queue) {
        if (e.expires > now) expected.emplace_back(seq, e.payload);
      }
      for (const QueuedEntry& e : f_.Queue(id)) {
        actual.emplace_back(e.seq, e.envelope ? *e.envelope : *e.blob + e.view);
      }
      REQUIRE(actual == expected);
    }
    for (const MailboxId& gone : deleted_) {
      REQUIRE(f_.store().GetMailbox(gone).status().code() == Code::kNotFound);
    }
  }

  void ExpectClean() { f_.ExpectClean(); }

 private:
  std::uint64_t Pick(std::uint64_t n) { return rng_() % n; }
  template <typename T>
  const T& PickOf(const std::vector<T>& v) {
    return v[Pick(v.size())];
  }

  void CreateMailbox() {
    const MailboxId id = f_.NewMailbox();
    boxes_.push_back(id);
    model_[id];
  }

  void SetToken() {
    const MailboxId id = PickOf(boxes_);
    if (!model_.contains(id)) return;
    const Token token = RandomToken(rng_);
    const auto c = static_cast<TokenClass>(1 + Pick(3));
    const std::uint32_t ttl = Pick(3) == 0 ? static_cast<std::uint32_t>(10 + Pick(60)) : 0;
    auto n = Await<std::uint32_t>([&](auto done) {
      f_.store().SetTokens(id, {TokenEntry{c, HashToken(token), ttl}}, std::move(done));
    });
    REQUIRE(n.ok());
    model_[id].tokens[token] = ModelToken{c, ttl == 0 ? 0 : f_.clock().now + ttl * 1000ull, 0};
    tokens_.emplace_back(id, token);
  }

  // The answer the model expects for one more entry of `bytes` sent with `token`.
  Code Admit(const MailboxId& id, const Token& token, std::uint64_t bytes) {
    const auto box = model_.find(id);
    if (box == model_.end()) return Code::kNotFound;
    const auto t = box->second.tokens.find(token);
    if (t == box->second.tokens.end()) return Code::kUnauthorized;
    if (t->second.expires != 0 && f_.clock().now >= t->second.expires) return Code::kExpired;
    const ClassQuota& q = quotas_[ClassIndex(t->second.token_class)];
    if (q.max_sends != 0 && t->second.sends >= q.max_sends) return Code::kQuotaExceeded;
    std::uint64_t messages = 0, used = 0;
    for (const auto& [seq, e] : box->second.queue) {
      if (e.token_class != t->second.token_class) continue;
      ++messages;
      used += e.bytes;
    }
    if (q.max_queued_messages != 0 && messages >= q.max_queued_messages)
      return Code::kQuotaExceeded;
    if (q.max_queued_bytes != 0 && used + bytes > q.max_queued_bytes) return Code::kQuotaExceeded;
    return Code::kOk;
  }

  // Any token of any mailbox (often of another one), or an unknown one.
  std::pair<MailboxId, Token> PickTarget() {
    const MailboxId id = PickOf(boxes_);
    if (tokens_.empty() || Pick(8) == 0) return {id, RandomToken(rng_)};
    const auto& [owner, token] = PickOf(tokens_);
    return {Pick(6) == 0 ? id : owner, token};
  }

  std::uint64_t Queue(const MailboxId& id, const Token& token, std::string payload,
                      std::uint64_t expires, std::uint64_t bytes) {
    ModelMailbox& box = model_[id];
    ModelToken& t = box.tokens[token];
    ++t.sends;
    const std::uint64_t seq = box.next_seq++;
    if (box.next_seq - box.saved_next_seq >= kMaxUnsavedSeqs) box.saved_next_seq = box.next_seq;
    box.queue[seq] = ModelEntry{std::move(payload), expires, t.token_class, bytes};
    return seq;
  }

  void Append() {
    const auto [id, token] = PickTarget();
    const std::string envelope(1 + Pick(120), static_cast<char>('a' + Pick(26)));
    const std::uint32_t ttl = static_cast<std::uint32_t>(5 + Pick(60));
    const Code expected = Admit(id, token, envelope.size());
    auto seq = f_.Send(id, token, envelope, ttl);
    REQUIRE((seq.ok() ? Code::kOk : seq.status().code()) == expected);
    if (!seq.ok()) return;
    const std::uint64_t expires = f_.clock().now + ttl * 1000ull;
    REQUIRE(*seq == Queue(id, token, envelope, expires, envelope.size()));
  }

  void PutBlob() {
    const std::string body(1 + Pick(60), static_cast<char>('A' + Pick(26)));
    const std::uint32_t ttl = static_cast<std::uint32_t>(30 + Pick(300));
    auto handle = f_.PutBlob(body, ttl);
    REQUIRE(handle.ok());
    blobs_[*handle] = ModelBlob{body, f_.clock().now + ttl * 1000ull, {}};
    handles_.push_back(*handle);
  }

  std::vector<ViewRequest> RandomViews() {
    std::vector<ViewRequest> views;
    const std::size_t n = 1 + Pick(4);
    for (std::size_t i = 0; i < n; ++i) {
      const auto [id, token] = PickTarget();
      views.push_back(
          ViewRequest{id, token, Pick(10) == 0 ? "bad" : View(static_cast<std::uint8_t>(Pick(200))),
                      std::nullopt});
    }
    return views;
  }

  void AppendViews() {
    if (handles_.empty()) return;
    const BlobHandle handle = PickOf(handles_);
    std::vector<ViewRequest> views = RandomViews();
    const Result<std::vector<Code>> expected = ExpectViews(handle, views);
    auto codes = f_.SendViews(handle, views);
    REQUIRE(codes.ok() == expected.ok());
    if (!codes.ok()) {
      REQUIRE(codes.status().code() == expected.status().code());
      return;
    }
    REQUIRE(*codes == *expected);
  }

  // The model's answer, queuing what it accepts.
  Result<std::vector<Code>> ExpectViews(const BlobHandle& handle,
                                        const std::vector<ViewRequest>& views) {
    const auto blob = blobs_.find(handle);
    if (blob == blobs_.end() || blob->second.expires <= f_.clock().now)
      return Status::NotFound("blob");
    std::set<MailboxId> named;
    std::vector<bool> duplicate;
    std::size_t fresh = 0;
    for (const ViewRequest& v : views) {
      duplicate.push_back(!named.insert(v.mailbox).second);
      fresh += !duplicate.back() && !blob->second.viewers.contains(v.mailbox);
    }
    if (blob->second.viewers.size() + fresh > 5) return Status::TooLarge("views");
    std::vector<Code> codes;
    for (std::size_t i = 0; i < views.size(); ++i)
      codes.push_back(ExpectView(blob->second, views[i], duplicate[i]));
    return codes;
  }

  Code ExpectView(ModelBlob& blob, const ViewRequest& v, bool duplicate) {
    if (duplicate || v.view.size() != 48) return Code::kBadFrame;
    if (!model_.contains(v.mailbox)) return Code::kNotFound;
    if (blob.viewers.contains(v.mailbox)) return Code::kOk;
    const Code code = Admit(v.mailbox, v.token, 48 + blob.body.size());
    if (code != Code::kOk) return code;
    Queue(v.mailbox, v.token, blob.body + v.view, blob.expires, 48 + blob.body.size());
    blob.viewers.insert(v.mailbox);
    return Code::kOk;
  }

  void Ack() {
    const MailboxId id = PickOf(boxes_);
    std::vector<std::uint64_t> seqs;
    std::uint32_t expected = 0;
    const auto box = model_.find(id);
    for (int i = 0; i < 3; ++i) {
      // Mostly a queued seq: after a reopen's jump a random one seldom is.
      if (box != model_.end() && !box->second.queue.empty() && Pick(4) != 0) {
        seqs.push_back(std::next(box->second.queue.begin(),
                                 static_cast<std::ptrdiff_t>(Pick(box->second.queue.size())))
                           ->first);
      } else {
        seqs.push_back(1 + Pick(box == model_.end() ? 5 : box->second.next_seq + 1));
      }
    }
    auto n = f_.Ack(id, seqs);
    if (box == model_.end()) {
      REQUIRE(n.status().code() == Code::kNotFound);
      return;
    }
    std::vector<std::uint64_t> removed;
    for (std::uint64_t seq : seqs) {
      if (box->second.queue.erase(seq) != 0) removed.push_back(seq);
    }
    expected = static_cast<std::uint32_t>(removed.size());
    Removed(box->second, removed);
    REQUIRE(n.ok());
    REQUIRE(*n == expected);
  }

  void Sweep() {
    const std::uint64_t now = f_.clock().now;
    std::uint64_t expected = 0;
    for (auto& [id, box] : model_) {
      std::vector<std::uint64_t> removed;
      for (const auto& [seq, e] : box.queue) {
        if (e.expires <= now) removed.push_back(seq);
      }
      for (std::uint64_t seq : removed) box.queue.erase(seq);
      expected += removed.size();
      Removed(box, removed);
      std::erase_if(box.tokens, [&](const auto& t) {
        return t.second.expires != 0 && t.second.expires <= now;
      });
    }
    std::erase_if(blobs_, [&](const auto& b) { return b.second.expires <= now; });
    REQUIRE(f_.Sweep() == expected);
  }

  void DeleteMailbox() {
    const MailboxId id = PickOf(boxes_);
    const Status s = AwaitStatus([&](auto done) { f_.store().DeleteMailbox(id, std::move(done)); });
    REQUIRE((s.ok() ? Code::kOk : s.code()) == (model_.contains(id) ? Code::kOk : Code::kNotFound));
    if (model_.erase(id) != 0) deleted_.push_back(id);
  }

  StoreFixture f_;
  std::mt19937_64 rng_;
  std::array<ClassQuota, kTokenClassCount> quotas_;
  std::map<MailboxId, ModelMailbox> model_;
  std::vector<MailboxId> boxes_;
  std::vector<MailboxId> deleted_;
  std::vector<std::pair<MailboxId, Token>> tokens_;
  std::map<BlobHandle, ModelBlob> blobs_;
  std::vector<BlobHandle> handles_;
};

TEST_CASE("the store matches the reference model (in memory)", "[store][model]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    ModelTest test(StoreFixture::Backend::kMemory, seed);
    for (int step = 0; step < 1500; ++step) {
      INFO("step " << step);
      test.Step();
      test.Compare();
    }
    test.ExpectClean();
  }
}

TEST_CASE("the store matches the reference model (RocksDB)", "[store][model]") {
  ModelTest test(StoreFixture::Backend::kRocks, 11);
  for (int step = 0; step < 400; ++step) {
    INFO("step " << step);
    test.Step();
    test.Compare();
    if (step % 50 == 0) test.ExpectClean();
  }
  test.ExpectClean();
}

}  // namespace
}  // namespace tocsin::relay::test
