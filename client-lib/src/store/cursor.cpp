#include "store/cursor.h"

#include <cassert>
#include <utility>

#include "store/store_core.h"

namespace tocsin::store {

std::unique_ptr<Cursor> CursorFactory::Make(const StoreCore& core,
                                            std::shared_ptr<const KeySet> keys,
                                            rocksdb::WriteBatchWithIndex* batch, Column column,
                                            std::optional<Day> day) {
  assert(!day || column == Column::kAlerts);
  std::unique_ptr<Cursor> cursor(new Cursor());
  cursor->core_ = &core;
  core.live_cursors.fetch_add(1);
  cursor->snapshot_ = core.db->GetSnapshot();
  cursor->keys_ = std::move(keys);
  cursor->column_ = column;
  if (day) cursor->prefix_ = cursor->keys_->DayPrefix(*day);
  if (column == Column::kAlerts) {
    cursor->status_ = cursor->LoadDayKeys(core, batch, day);
    if (!cursor->status_.ok()) return cursor;
  }
  cursor->iter_ = RawReader(core, batch, cursor->snapshot_).NewIterator(FamilyOf(column));
  cursor->SeekToFirst();
  return cursor;
}

std::unique_ptr<Cursor> CursorFactory::Failed(Status status) {
  std::unique_ptr<Cursor> cursor(new Cursor());
  cursor->status_ = std::move(status);
  return cursor;
}

Cursor::~Cursor() {
  iter_.reset();
  if (snapshot_ != nullptr) core_->db->ReleaseSnapshot(snapshot_);
  if (core_ != nullptr) core_->live_cursors.fetch_sub(1);
}

Status Cursor::LoadDayKeys(const StoreCore& core, rocksdb::WriteBatchWithIndex* batch,
                           std::optional<Day> only_day) {
  RawReader reader(core, batch, snapshot_);
  if (only_day) {
    Result<std::optional<crypto::SecretBytes>> key = ReadDayKey(reader, *keys_, *only_day);
    if (!key.ok()) return key.status();
    if (key->has_value()) day_keys_.emplace(prefix_, std::move(**key));
    return Status::Ok();
  }
  std::unique_ptr<rocksdb::Iterator> it = reader.NewIterator(kDayKeysFamily);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<OpenedRecord> opened = OpenRecord(keys_->value_key(), kDayKeysFamily,
                                             it->key().ToStringView(), it->value().ToStringView());
    if (!opened.ok()) return opened.status();
    std::optional<Day> day = ParseDayName(opened->name());
    if (!day || opened->value().size() != kKeySize) return Status::Corruption("day key row");
    day_keys_.emplace(keys_->DayPrefix(*day), crypto::SecretBytes::CopyOf(opened->value()));
  }
  return FromRocks(it->status(), "read day keys");
}

void Cursor::SeekToFirst() {
  if (iter_ == nullptr) return;
  if (prefix_.empty()) {
    iter_->SeekToFirst();
  } else {
    iter_->Seek(prefix_);
  }
  Settle();
}

void Cursor::SeekSequence(std::uint64_t seq) {
  if (iter_ == nullptr) return;
  const bool ordered = KindOf(column_) == ColumnKind::kSequence || !prefix_.empty();
  if (!ordered) {
    valid_ = false;
    status_ = Status::InvalidArgument("SeekSequence on a column without counters");
    return;
  }
  const auto name = SequenceName(seq);
  iter_->Seek(prefix_ + std::string(AsStringView(name)));
  Settle();
}

void Cursor::Next() {
  assert(valid_);
  iter_->Next();
  Settle();
}

void Cursor::Settle() {
  valid_ = false;
  current_.reset();
  if (!iter_->Valid()) {
    status_ = FromRocks(iter_->status(), "iterate store");
    return;
  }
  const std::string_view key = iter_->key().ToStringView();
  if (!prefix_.empty() && !key.starts_with(prefix_)) return;
  const crypto::SecretBytes* sealing_key = &keys_->value_key();
  if (column_ == Column::kAlerts) {
    auto day_key = day_keys_.find(std::string(key.substr(0, kDayPrefixSize)));
    if (day_key == day_keys_.end()) {
      status_ = Status::Corruption("alert content whose day key is gone");
      return;
    }
    sealing_key = &day_key->second;
  }
  Result<OpenedRecord> opened =
      OpenRecord(*sealing_key, FamilyOf(column_), key, iter_->value().ToStringView());
  if (!opened.ok()) {
    status_ = opened.status();
    return;
  }
  current_ = std::move(*opened);
  valid_ = true;
}

}  // namespace tocsin::store
