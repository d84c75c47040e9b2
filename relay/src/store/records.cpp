#include "store/records.h"

#include <algorithm>
#include <cassert>

namespace tocsin::relay {

Key& Key::Add(std::string_view bytes) {
  assert(size_ + bytes.size() <= kCapacity);
  std::memcpy(data_.data() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
  return *this;
}

Key& Key::AddBigEndian64(std::uint64_t n) {
  char b[8];
  for (int i = 7; i >= 0; --i, n >>= 8) b[i] = static_cast<char>(n & 0xff);
  return Add(std::string_view(b, 8));
}

Key& Key::AddBigEndian32(std::uint32_t n) {
  char b[4];
  for (int i = 3; i >= 0; --i, n >>= 8) b[i] = static_cast<char>(n & 0xff);
  return Add(std::string_view(b, 4));
}

std::uint64_t ReadBigEndian64(const char* p) {
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<unsigned char>(p[i]);
  return n;
}

std::uint32_t ReadBigEndian32(const char* p) {
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(p[i]);
  return n;
}

// One append of the whole field: byte by byte, each push_back checks the capacity.
void PutFixed32(std::string* out, std::uint32_t n) {
  char bytes[4];
  for (int i = 0; i < 4; ++i, n >>= 8) bytes[i] = static_cast<char>(n & 0xff);
  out->append(bytes, sizeof bytes);
}

void PutFixed64(std::string* out, std::uint64_t n) {
  char bytes[8];
  for (int i = 0; i < 8; ++i, n >>= 8) bytes[i] = static_cast<char>(n & 0xff);
  out->append(bytes, sizeof bytes);
}

std::uint32_t ReadFixed32(const char* p) {
  std::uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(p[i]);
  return n;
}

std::uint64_t ReadFixed64(const char* p) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(p[i]);
  return n;
}

namespace {

bool ValidClass(std::uint8_t c) { return c >= 1 && c <= kTokenClassCount; }

}  // namespace

Key MailboxKey(const MailboxId& id, char kind) { return Key().Add(id).AddByte(kind); }

Key TokenKey(const MailboxId& id, const TokenHash& hash) {
  return Key().Add(id).AddByte(kTokenRecord).Add(hash);
}

std::string EncodeAuth(const AuthRecord& r) {
  std::string out(1, '\x01');  // version
  out.append(Bytes(r.auth_key));
  PutFixed64(&out, r.created_ms);
  return out;
}

bool DecodeAuth(std::string_view in, AuthRecord* r) {
  if (in.size() != 1 + kAuthKeySize + 8 || in[0] != '\x01') return false;
  r->auth_key = ArrayFrom<kAuthKeySize>(in.substr(1));
  r->created_ms = ReadFixed64(in.data() + 1 + kAuthKeySize);
  return true;
}

std::string EncodeState(const StateRecord& r) {
  std::string out;
  out.reserve(12 + 12 * kTokenClassCount);
  PutFixed64(&out, r.next_seq);
  PutFixed32(&out, r.prekeys);
  for (const ClassUsage& u : r.usage) {
    PutFixed32(&out, u.messages);
    PutFixed64(&out, u.bytes);
  }
  return out;
}

bool DecodeState(std::string_view in, StateRecord* r) {
  if (in.size() != 12 + 12 * kTokenClassCount) return false;
  r->next_seq = ReadFixed64(in.data());
  r->prekeys = ReadFixed32(in.data() + 8);
  const char* p = in.data() + 12;
  for (ClassUsage& u : r->usage) {
    u.messages = ReadFixed32(p);
    u.bytes = ReadFixed64(p + 4);
    p += 12;
  }
  return r->next_seq >= 1;
}

std::string EncodeToken(const TokenRecord& r) {
  std::string out(1, static_cast<char>(r.token_class));
  PutFixed64(&out, r.expires_ms);
  PutFixed32(&out, r.sends);
  PutFixed32(&out, r.prekey_fetches);
  return out;
}

bool DecodeToken(std::string_view in, TokenRecord* r) {
  if (in.size() != 17 || !ValidClass(static_cast<std::uint8_t>(in[0]))) return false;
  r->token_class = static_cast<TokenClass>(in[0]);
  r->expires_ms = ReadFixed64(in.data() + 1);
  r->sends = ReadFixed32(in.data() + 9);
  r->prekey_fetches = ReadFixed32(in.data() + 13);
  return true;
}

Key QueueKey(const MailboxId& id, std::uint64_t seq) { return Key().Add(id).AddBigEndian64(seq); }

void EncodeEntryHeader(const EntryHeader& h, std::string* out) {
  out->push_back(static_cast<char>(h.kind));
  out->push_back(static_cast<char>(h.token_class));
  PutFixed64(out, h.stored_ms);
  PutFixed64(out, h.expires_ms);
  PutFixed32(out, h.charged_bytes);
}

bool DecodeEntry(std::string_view in, EntryHeader* h, std::string_view* body) {
  if (in.size() < kEntryHeaderSize) return false;
  const auto kind = static_cast<std::uint8_t>(in[0]);
  if ((kind != 1 && kind != 2) || !ValidClass(static_cast<std::uint8_t>(in[1]))) return false;
  h->kind = static_cast<EntryKind>(kind);
  h->token_class = static_cast<TokenClass>(in[1]);
  h->stored_ms = ReadFixed64(in.data() + 2);
  h->expires_ms = ReadFixed64(in.data() + 10);
  h->charged_bytes = ReadFixed32(in.data() + 18);
  *body = in.substr(kEntryHeaderSize);
  return h->kind == EntryKind::kEnvelope || body->size() >= kBlobHandleSize;
}

void EncodeBlobHeader(std::uint64_t expires_ms, std::uint64_t stored_ms, std::string* out) {
  PutFixed64(out, expires_ms);
  PutFixed64(out, stored_ms);
}

bool DecodeBlob(std::string_view in, std::uint64_t* expires_ms, std::string_view* body) {
  if (in.size() < kBlobHeaderSize) return false;
  *expires_ms = ReadFixed64(in.data());
  *body = in.substr(kBlobHeaderSize);
  return true;
}

Key BlobViewsKey(const BlobHandle& handle, std::uint32_t record) {
  return Key().Add(handle).AddBigEndian32(record);
}

void AppendViewRef(const MailboxId& mailbox, std::uint64_t seq, std::string* out) {
  out->append(Bytes(mailbox));
  PutFixed64(out, seq);
}

namespace {

void CountTailEntry(std::string_view key, std::string_view value, StateRecord* state) {
  EntryHeader h;
  std::string_view body;
  if (!DecodeEntry(value, &h, &body)) return;  // Check() reports it
  ClassUsage& usage = state->usage[ClassIndex(h.token_class)];
  ++usage.messages;
  usage.bytes += h.charged_bytes;
  state->next_seq = ReadBigEndian64(key.data() + kMailboxIdSize) + 1;
}

}  // namespace

Status AddQueueTail(const KvReader& kv, const MailboxId& id, StateRecord* state) {
  const Key begin = QueueKey(id, state->next_seq);
  return kv.Scan(Cf::kQueue, begin, PrefixEnd(Key().Add(id)),
                 [state](std::string_view key, std::string_view value) {
                   CountTailEntry(key, value, state);
                   return true;
                 });
}

Status AddQueueTails(const KvReader& kv, std::vector<std::pair<MailboxId, StateRecord*>>* states) {
  std::sort(states->begin(), states->end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<KvReader::Range> ranges;
  ranges.reserve(states->size());
  for (const auto& [id, state] : *states) {
    ranges.emplace_back(std::string(QueueKey(id, state->next_seq)), PrefixEnd(Key().Add(id)));
  }
  std::size_t i = 0;  // ranges are visited in order: keys' ids never go back
  return kv.ScanRanges(Cf::kQueue, ranges, [&](std::string_view key, std::string_view value) {
    const MailboxId id = ArrayFrom<kMailboxIdSize>(key);
    while (i < states->size() && (*states)[i].first != id) ++i;
    if (i == states->size()) return false;
    CountTailEntry(key, value, (*states)[i].second);
    return true;
  });
}

Key PrekeyKey(const MailboxId& id, char kind) { return Key().Add(id).AddByte(kind); }

Key OneTimePrekeyKey(const MailboxId& id, std::uint32_t prekey_id) {
  return Key().Add(id).AddByte(kOneTimePrekey).AddBigEndian32(prekey_id);
}

std::string EncodeSignedPrekey(const SignedPrekey& p) {
  std::string out;
  PutFixed32(&out, p.id);
  PutFixed32(&out, static_cast<std::uint32_t>(p.public_key.size()));
  out.append(p.public_key);
  out.append(p.signature);
  return out;
}

bool DecodeSignedPrekey(std::string_view in, SignedPrekey* p) {
  if (in.size() < 8) return false;
  p->id = ReadFixed32(in.data());
  const std::uint32_t key_size = ReadFixed32(in.data() + 4);
  if (in.size() - 8 < key_size) return false;
  p->public_key.assign(in.substr(8, key_size));
  p->signature.assign(in.substr(8 + key_size));
  return true;
}

std::string EncodeInvite(const InviteRecord& r) {
  std::string out;
  PutFixed32(&out, r.uses_left);
  PutFixed64(&out, r.expires_ms);
  return out;
}

bool DecodeInvite(std::string_view in, InviteRecord* r) {
  if (in.size() != 12) return false;
  r->uses_left = ReadFixed32(in.data());
  r->expires_ms = ReadFixed64(in.data() + 4);
  return true;
}

Key ExpiryKey(std::uint64_t at_ms, Cf cf, std::string_view key) {
  return Key().AddBigEndian64(at_ms).AddByte(static_cast<char>(cf)).Add(key);
}

bool DecodeExpiryKey(std::string_view in, ExpiryRef* ref) {
  if (in.size() < 9 || static_cast<std::uint8_t>(in[8]) >= kCfCount) return false;
  ref->at_ms = ReadBigEndian64(in.data());
  ref->cf = static_cast<Cf>(in[8]);
  ref->key = in.substr(9);
  return true;
}

}  // namespace tocsin::relay
