#include "core/inbox.h"

#include <set>

#include "core/hex.h"
#include "core/records.h"
#include "tocsin/alert.pb.h"

namespace tocsin::core {

Event ToEvent(EventId id, const client::EventRecord& record) {
  Event event;
  event.id = id;
  switch (record.kind()) {
    case client::CONTACT_REQUEST:
      event.kind = EventKind::kContactRequest;
      break;
    case client::UNDELIVERED:
      event.kind = EventKind::kUndelivered;
      break;
    case client::IDENTITY_CHANGE_REFUSED:
      event.kind = EventKind::kIdentityChangeRefused;
      break;
    case client::GROUP_INVITE:
      event.kind = EventKind::kGroupInvite;
      break;
    default:
      event.kind = EventKind::kMessage;
  }
  event.time_ms = record.time_ms();
  if (!record.contact_id().empty()) event.contact = ToHex(record.contact_id());
  if (!record.group_id().empty()) event.group = ToHex(record.group_id());
  if (!record.message_id().empty()) event.message_id = ToHex(record.message_id());
  event.sent_ms = record.sent_ms();
  event.payload = record.payload();
  event.stored_on_relay = record.relay_stored();
  app::Payload payload;
  if (!record.payload().empty() && payload.ParseFromString(record.payload()) &&
      payload.has_text()) {
    event.text = payload.text().body();
  }
  return event;
}

Result<std::unique_ptr<Inbox>> Inbox::Load(store::DeviceStore& store, Env env,
                                           EventDispatcher& dispatcher) {
  std::unique_ptr<Inbox> inbox(new Inbox(store, env, dispatcher));
  auto days = store.AlertDays();
  if (!days.ok()) return days.status();
  for (store::Day day : *days) TOCSIN_RETURN_IF_ERROR(inbox->LoadDay(day));
  for (const auto& [id, entry] : inbox->events_) dispatcher.Push(ToEvent(id, entry.second));
  return inbox;
}

Status Inbox::LoadDay(store::Day day) {
  auto cursor = store_.NewAlertCursor(day);
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
    auto id = store::ParseAlertName(cursor->name());
    client::ContentRecord record;
    // Rows of other parts of the library (alert trees) are theirs to read.
    if (!id ||
        !record.ParseFromArray(cursor->value().data(), static_cast<int>(cursor->value().size()))) {
      continue;
    }
    if (record.has_event()) events_[id->seq] = {day, record.event()};
    if (record.has_sent()) sent_[record.sent().message_id()] = {*id, record.sent()};
  }
  return cursor->status();
}

store::Day Inbox::Today() const { return static_cast<store::Day>(env_.NowMs() / kMsPerDay); }

Status Inbox::StageEvent(Batch& batch, client::EventRecord record) {
  if (record.time_ms() == 0) record.set_time_ms(env_.NowMs());
  client::ContentRecord content;
  *content.mutable_event() = record;
  const store::Day day = Today();
  auto id = batch.txn().AppendAlert(day, store::View(Serialize(content)));
  if (!id.ok()) return id.status();
  batch.OnCommit([this, seq = id->seq, day, record] {
    events_[seq] = {day, record};
    dispatcher_.Push(ToEvent(seq, record));
  });
  return Status::Ok();
}

Status Inbox::StageSent(Batch& batch, const client::SentRecord& record) {
  client::ContentRecord content;
  *content.mutable_sent() = record;
  auto id = batch.txn().AppendAlert(Today(), store::View(Serialize(content)));
  if (!id.ok()) return id.status();
  batch.OnCommit([this, id = *id, record] { sent_[record.message_id()] = {id, record}; });
  return Status::Ok();
}

Status Inbox::StageUpdateSent(Batch& batch, const client::SentRecord& record) {
  TOCSIN_RETURN_IF_ERROR(StageForgetSent(batch, record.message_id()));
  return StageSent(batch, record);
}

Status Inbox::Done(EventId id) {
  auto it = events_.find(id);
  if (it == events_.end()) return Status::Ok();
  Batch batch(store_);
  TOCSIN_RETURN_IF_ERROR(batch.txn().Delete(
      store::Column::kAlerts, store::AlertName(store::AlertId{it->second.first, id})));
  TOCSIN_RETURN_IF_ERROR(batch.Commit());
  events_.erase(id);
  return Status::Ok();
}

std::vector<Event> Inbox::Pending() const {
  std::vector<Event> out;
  for (const auto& [id, entry] : events_) out.push_back(ToEvent(id, entry.second));
  return out;
}

std::optional<client::SentRecord> Inbox::FindSent(const std::string& message_id) const {
  auto it = sent_.find(message_id);
  if (it == sent_.end()) return std::nullopt;
  return it->second.second;
}

Status Inbox::StageForgetSent(Batch& batch, const std::string& message_id) {
  auto it = sent_.find(message_id);
  if (it == sent_.end()) return Status::Ok();
  TOCSIN_RETURN_IF_ERROR(
      batch.txn().Delete(store::Column::kAlerts, store::AlertName(it->second.first)));
  batch.OnCommit([this, message_id] { sent_.erase(message_id); });
  return Status::Ok();
}

std::vector<client::SentRecord> Inbox::Unconfirmed(std::uint64_t now_ms) const {
  std::vector<client::SentRecord> out;
  for (const auto& [id, entry] : sent_) {
    if (entry.second.awaiting_receipt() && entry.second.expires_ms() <= now_ms) {
      out.push_back(entry.second);
    }
  }
  return out;
}

Status Inbox::PruneSent() {
  const std::uint64_t now = env_.NowMs();
  std::vector<std::string> expired;
  for (const auto& [id, entry] : sent_) {
    // Awaited receipts are settled by the client's upkeep (reported, then forgotten).
    if (entry.second.expires_ms() <= now && !entry.second.awaiting_receipt()) {
      expired.push_back(id);
    }
  }
  if (expired.empty()) return Status::Ok();
  Batch batch(store_);
  for (const auto& id : expired) {
    TOCSIN_RETURN_IF_ERROR(
        batch.txn().Delete(store::Column::kAlerts, store::AlertName(sent_[id].first)));
  }
  TOCSIN_RETURN_IF_ERROR(batch.Commit());
  for (const auto& id : expired) sent_.erase(id);
  return Status::Ok();
}

Status Inbox::PurgeBefore(std::uint64_t before_ms) {
  const auto before_day = static_cast<store::Day>(before_ms / kMsPerDay);
  auto days = store_.AlertDays();
  if (!days.ok()) return days.status();
  std::set<EventId> purged;
  for (store::Day day : *days) {
    if (day >= before_day) continue;
    TOCSIN_RETURN_IF_ERROR(store_.PurgeDay(day));
    std::erase_if(events_, [&](const auto& entry) {
      if (entry.second.first != day) return false;
      purged.insert(entry.first);
      return true;
    });
    std::erase_if(sent_, [&](const auto& entry) { return entry.second.first.day == day; });
  }
  if (!purged.empty()) dispatcher_.Forget(purged);
  return Status::Ok();
}

}  // namespace tocsin::core
