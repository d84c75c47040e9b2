// The headers of recently committed queue entries, so that an Ack (or an expiry) of an
// entry still cached needs no database read: the header is all RemoveEntry reads the
// entry for (its class and charged bytes for the quotas, its kind and expiry for the
// index). A header never changes once written.
//
// What the cache promises: an entry found here was committed and has not been removed
// through RemoveEntry since (Take() forgets it). An entry missing here may still be in
// the database: the caller reads it. Entries of a deleted mailbox may stay behind; they
// are never asked for (the mailbox is gone), and go when the cache is full.
//
// Thread-safety: the store's writer thread only.
#ifndef TOCSIN_RELAY_STORE_ENTRY_CACHE_H_
#define TOCSIN_RELAY_STORE_ENTRY_CACHE_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

#include "store/mailbox_store.h"
#include "store/records.h"

namespace tocsin::relay {

class EntryCache {
 public:
  // At most this many headers (~64 bytes each): past it the cache starts again empty.
  static constexpr std::size_t kMaxEntries = 1u << 18;

  // Remembers an entry of the batch being built; Commit() makes it visible.
  void Stage(const MailboxId& id, std::uint64_t seq, const EntryHeader& header) {
    staged_.push_back({{id, seq}, header});
  }
  // The batch committed: its entries can be taken.
  void Commit() {
    if (entries_.size() + staged_.size() > kMaxEntries) entries_.clear();
    for (const auto& [ref, header] : staged_) entries_.insert_or_assign(ref, header);
    staged_.clear();
  }
  // The batch failed (or is over): its entries were never written.
  void DropStaged() { staged_.clear(); }

  // The header of a committed entry, forgotten here as it is being removed.
  std::optional<EntryHeader> Take(const MailboxId& id, std::uint64_t seq) {
    const auto it = entries_.find({id, seq});
    if (it == entries_.end()) return std::nullopt;
    EntryHeader header = it->second;
    entries_.erase(it);
    return header;
  }

 private:
  struct Ref {
    MailboxId id;
    std::uint64_t seq;
    bool operator==(const Ref& other) const = default;
  };
  struct RefHash {
    std::size_t operator()(const Ref& r) const {
      std::size_t h;
      std::memcpy(&h, r.id.data(), sizeof h);  // ids are random bytes
      return h ^ (r.seq * 0x9E3779B97F4A7C15ull);
    }
  };
  std::unordered_map<Ref, EntryHeader, RefHash> entries_;
  std::vector<std::pair<Ref, EntryHeader>> staged_;
};

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_STORE_ENTRY_CACHE_H_
