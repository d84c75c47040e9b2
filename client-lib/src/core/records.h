// Protobuf records in the device store: serialized into wiped buffers, parsed back.
//
// Thread-safety: free functions.
#ifndef TOCSIN_CORE_RECORDS_H_
#define TOCSIN_CORE_RECORDS_H_

#include <google/protobuf/message_lite.h>

#include <optional>
#include <string_view>

#include "store/device_store.h"
#include "store/plaintext.h"
#include "store/transaction.h"
#include "tocsin/status.h"

namespace tocsin::core {

// The record's bytes in a buffer that is wiped when freed.
store::Plaintext Serialize(const google::protobuf::MessageLite& record);

// Parses `bytes` into `record`; kCorruption when they do not parse.
Status Parse(store::ByteView bytes, google::protobuf::MessageLite* record);

Status PutRecord(store::Transaction& txn, store::Column column, store::ByteView name,
                 const google::protobuf::MessageLite& record);
Result<std::uint64_t> AppendRecord(store::Transaction& txn, store::Column column,
                                   const google::protobuf::MessageLite& record);

// The record named `name`, or nullopt. Reads through `txn` when given, else committed.
template <typename Record, typename Source>
Result<std::optional<Record>> GetRecord(Source& source, store::Column column,
                                        store::ByteView name) {
  auto row = source.Get(column, name);
  if (!row.ok()) return row.status();
  if (!row->has_value()) return std::optional<Record>();
  Record record;
  TOCSIN_RETURN_IF_ERROR(Parse(store::View(**row), &record));
  return std::optional<Record>(std::move(record));
}

// A row name given as text ("core/device").
inline store::ByteView Name(std::string_view text) { return store::AsByteView(text); }

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_RECORDS_H_
