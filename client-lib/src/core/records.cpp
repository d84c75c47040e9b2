#include "core/records.h"

namespace tocsin::core {

store::Plaintext Serialize(const google::protobuf::MessageLite& record) {
  store::Plaintext out(record.ByteSizeLong());
  record.SerializeWithCachedSizesToArray(out.data());
  return out;
}

Status Parse(store::ByteView bytes, google::protobuf::MessageLite* record) {
  if (!record->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("a stored record does not parse");
  }
  return Status::Ok();
}

Status PutRecord(store::Transaction& txn, store::Column column, store::ByteView name,
                 const google::protobuf::MessageLite& record) {
  const store::Plaintext bytes = Serialize(record);
  return txn.Put(column, name, store::View(bytes));
}

Result<std::uint64_t> AppendRecord(store::Transaction& txn, store::Column column,
                                   const google::protobuf::MessageLite& record) {
  const store::Plaintext bytes = Serialize(record);
  return txn.Append(column, store::View(bytes));
}

}  // namespace tocsin::core
