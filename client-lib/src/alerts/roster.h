// The admin's roster and the views made from it (need to know: a member's view holds
// its own entry, its parent chain, its children, its backup, the branches it backs up,
// the dispatchers, its zone groups and who may send what; dispatchers get the roster).
//
// Thread-safety: pure functions over values.
#ifndef TOCSIN_ALERTS_ROSTER_H_
#define TOCSIN_ALERTS_ROSTER_H_

#include <string>
#include <vector>

#include "tocsin/status.h"
#include "tocsin/tree.pb.h"

namespace tocsin::alerts {

using Entries = google::protobuf::RepeatedPtrField<tree::MemberEntry>;

// The entry with `key` (32 bytes) in `entries`; nullptr when absent.
const tree::MemberEntry* FindEntry(const Entries& entries, const std::string& key);
tree::MemberEntry* FindEntry(Entries& entries, const std::string& key);

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& item);

// Members of `zone`'s member group (every non-subscriber with the zone, dispatchers
// excepted: they send) or subscriber group.
std::vector<std::string> ZoneMembers(const tree::TreeRecord& record, const std::string& zone,
                                     bool subscribers);

// The keys of the roster's dispatchers.
std::vector<std::string> DispatcherKeys(const Entries& roster);

// Every member whose entry (and so whose card) `view` holds, its own member excepted.
std::vector<std::string> HeldKeys(const tree::View& view);

// The view of `member` at the record's roster version. kNotFound when not in the roster.
Result<tree::View> MakeView(const tree::TreeRecord& record, const std::string& member);

}  // namespace tocsin::alerts

#endif  // TOCSIN_ALERTS_ROSTER_H_
