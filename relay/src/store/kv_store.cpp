// WriteBatch encoding and the in-memory KvStore.
#include "store/kv_store.h"

#include <array>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace tocsin::relay {

std::string_view CfName(Cf cf) {
  static constexpr std::array<std::string_view, kCfCount> kNames = {
      "mailbox", "queue", "blob", "blob_views", "prekey", "invite", "expiry"};
  return kNames[static_cast<std::size_t>(cf)];
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  for (std::size_t i = end.size(); i > 0; --i) {
    auto& byte = reinterpret_cast<unsigned char&>(end[i - 1]);
    if (byte != 0xff) {
      ++byte;
      end.resize(i);
      return end;
    }
  }
  end.append(64, '\xff');
  return end;
}

// ---- WriteBatch: [kind][cf][varint key size][key][varint value size][value] per op.

namespace {

// Writes n as a varint at p (room for 10 bytes); returns the end.
char* EncodeVarint(char* p, std::size_t n) {
  while (n >= 0x80) {
    *p++ = static_cast<char>((n & 0x7f) | 0x80);
    n >>= 7;
  }
  *p++ = static_cast<char>(n);
  return p;
}

}  // namespace

// The header (kind, family, key size) goes in with one append, then the key, the value
// size and the value: byte-wise push_backs cost a capacity check each.
void WriteBatch::Append(OpKind kind, Cf cf, std::string_view key, std::string_view value) {
  char head[2 + 10];
  head[0] = static_cast<char>(kind);
  head[1] = static_cast<char>(cf);
  rep_.append(head, static_cast<std::size_t>(EncodeVarint(head + 2, key.size()) - head));
  rep_.append(key);
  char size[10];
  rep_.append(size, static_cast<std::size_t>(EncodeVarint(size, value.size()) - size));
  rep_.append(value);
  ++count_;
}

std::string_view WriteBatch::ReadSlice(std::size_t* pos) const {
  std::size_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(rep_[(*pos)++]);
    n |= static_cast<std::size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  const std::string_view slice(rep_.data() + *pos, n);
  *pos += n;
  return slice;
}

void WriteBatch::Put(Cf cf, std::string_view key, std::string_view value) {
  Append(OpKind::kPut, cf, key, value);
}

void WriteBatch::Delete(Cf cf, std::string_view key) { Append(OpKind::kDelete, cf, key, {}); }

void WriteBatch::DeleteRange(Cf cf, std::string_view begin, std::string_view end) {
  Append(OpKind::kDeleteRange, cf, begin, end);
}

void WriteBatch::Clear() {
  rep_.clear();
  count_ = 0;
}

// ---- In-memory store

namespace {

using Table = std::map<std::string, std::string, std::less<>>;
using Tables = std::array<Table, kCfCount>;

Status GetFrom(const Tables& tables, Cf cf, std::string_view key, std::string* value) {
  const Table& table = tables[static_cast<std::size_t>(cf)];
  const auto it = table.find(key);
  if (it == table.end()) return Status::NotFound("key");
  value->assign(it->second);
  return Status::Ok();
}

Status ScanFrom(const Tables& tables, Cf cf, std::string_view begin, std::string_view end,
                const KvReader::Visitor& visit) {
  const Table& table = tables[static_cast<std::size_t>(cf)];
  for (auto it = table.lower_bound(begin); it != table.end(); ++it) {
    if (!end.empty() && std::string_view(it->first) >= end) break;
    if (!visit(it->first, it->second)) break;
  }
  return Status::Ok();
}

// A frozen copy of every table.
class MemorySnapshot final : public KvReader {
 public:
  explicit MemorySnapshot(Tables tables) : tables_(std::move(tables)) {}
  Status Get(Cf cf, std::string_view key, std::string* value) const override {
    return GetFrom(tables_, cf, key, value);
  }
  Status Scan(Cf cf, std::string_view begin, std::string_view end,
              const Visitor& visit) const override {
    return ScanFrom(tables_, cf, begin, end, visit);
  }

 private:
  const Tables tables_;
};

class MemoryKv final : public KvStore {
 public:
  Status Get(Cf cf, std::string_view key, std::string* value) const override {
    std::shared_lock lock(mutex_);
    return GetFrom(tables_, cf, key, value);
  }

  // The visitor runs under the read lock: it must not write to this store.
  Status Scan(Cf cf, std::string_view begin, std::string_view end,
              const Visitor& visit) const override {
    std::shared_lock lock(mutex_);
    return ScanFrom(tables_, cf, begin, end, visit);
  }

  Status Write(const WriteBatch& batch, bool /*sync*/) override {
    std::unique_lock lock(mutex_);
    batch.ForEach([this](WriteBatch::OpKind kind, Cf cf, std::string_view key,
                         std::string_view value) { Apply(kind, cf, key, value); });
    return Status::Ok();
  }

  Status SyncWal() override { return Status::Ok(); }

  std::unique_ptr<KvReader> Snapshot() const override {
    std::shared_lock lock(mutex_);
    return std::make_unique<MemorySnapshot>(tables_);
  }

  Status Checkpoint(const std::string& /*dir*/) const override {
    return Status::InvalidArgument("checkpoint: an in-memory store has no files");
  }

 private:
  void Apply(WriteBatch::OpKind kind, Cf cf, std::string_view key, std::string_view value) {
    Table& table = tables_[static_cast<std::size_t>(cf)];
    switch (kind) {
      case WriteBatch::OpKind::kPut:
        table.insert_or_assign(std::string(key), std::string(value));
        break;
      case WriteBatch::OpKind::kDelete: {
        const auto it = table.find(key);
        if (it != table.end()) table.erase(it);
        break;
      }
      case WriteBatch::OpKind::kDeleteRange:
        if (value <= key) break;  // an empty range, as in RocksDB
        table.erase(table.lower_bound(key), table.lower_bound(value));
        break;
    }
  }

  mutable std::shared_mutex mutex_;
  Tables tables_;
};

}  // namespace

std::unique_ptr<KvStore> NewMemoryKv() { return std::make_unique<MemoryKv>(); }

}  // namespace tocsin::relay
