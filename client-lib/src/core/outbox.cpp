#include "core/outbox.h"

#include <algorithm>
#include <asio/post.hpp>

#include "core/crash_points.h"
#include "core/mailboxes.h"
#include "core/records.h"

namespace tocsin::core {

namespace {

bool IsFanout(const client::OutboxRecord& record) { return !record.blob().empty(); }

// The ordered lane of a pairwise row (its relay and mailbox); fan-out rows have none.
std::string LaneOf(const client::OutboxRecord& record) {
  if (IsFanout(record)) return {};
  return record.relay() + '\0' + record.mailbox_id();
}

// A fan-out row written before delivery was counted per member carries one `delivered`
// for the whole message (some relay stored some view): it keeps that meaning, for
// every view of the row.
void UpgradeRecord(client::OutboxRecord* record) {
  if (!IsFanout(*record) || !record->delivered()) return;
  for (auto& view : *record->mutable_views()) view.set_delivered(true);
  record->set_delivered(false);
}

// Adds the recipients the row still tries to reach to `out`.
void AddRecipients(const client::OutboxRecord& record, std::set<std::string>* out) {
  if (!IsFanout(record)) {
    out->insert(record.contact_id());
    return;
  }
  for (const auto& view : record.views()) out->insert(view.contact_id());
}

// True when the row has a destination of one of `contacts` not yet marked delivered.
bool Unmarked(const client::OutboxRecord& record, const std::set<std::string>& contacts) {
  if (!IsFanout(record)) return !record.delivered() && contacts.count(record.contact_id()) != 0;
  return std::any_of(record.views().begin(), record.views().end(), [&](const auto& view) {
    return !view.delivered() && contacts.count(view.contact_id()) != 0;
  });
}

// Marks the row's destinations of `contacts` delivered: a copy for them is stored.
void MarkDelivered(const std::set<std::string>& contacts, client::OutboxRecord* record) {
  if (!IsFanout(*record)) {
    if (contacts.count(record->contact_id()) != 0) record->set_delivered(true);
    return;
  }
  for (auto& view : *record->mutable_views()) {
    if (contacts.count(view.contact_id()) != 0) view.set_delivered(true);
  }
}

}  // namespace

bool IsRetryable(Code code) {
  switch (code) {
    case Code::kRateLimited:
    case Code::kUnavailable:
    case Code::kInternal:
    case Code::kQuotaExceeded:
    case Code::kIoError:
    case Code::kWrongConnectionKind:
      return true;
    default:
      return false;
  }
}

Outbox::Outbox(store::DeviceStore& store, Env env, Transport& transport, asio::io_context& worker,
               OutboxOptions options, Hooks hooks)
    : store_(store),
      env_(env),
      transport_(transport),
      worker_(worker),
      options_(options),
      hooks_(std::move(hooks)),
      timer_(worker),
      self_(std::make_shared<Outbox*>(this)) {}

Outbox::~Outbox() { *self_ = nullptr; }

Result<std::unique_ptr<Outbox>> Outbox::Load(store::DeviceStore& store, Env env,
                                             Transport& transport, asio::io_context& worker,
                                             OutboxOptions options, Hooks hooks) {
  std::unique_ptr<Outbox> outbox(
      new Outbox(store, env, transport, worker, options, std::move(hooks)));
  auto cursor = store.NewCursor(store::Column::kOutbox);
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
    auto seq = store::ParseSequence(cursor->name());
    Entry entry;
    TOCSIN_RETURN_IF_ERROR(Parse(cursor->value(), &entry.record));
    UpgradeRecord(&entry.record);
    if (seq) outbox->entries_[*seq] = std::move(entry);
  }
  TOCSIN_RETURN_IF_ERROR(cursor->status());
  return outbox;
}

Status Outbox::Stage(Batch& batch, std::vector<client::OutboxRecord> records) {
  std::vector<std::pair<std::uint64_t, client::OutboxRecord>> staged;
  for (auto& record : records) {
    auto seq = AppendRecord(batch.txn(), store::Column::kOutbox, record);
    if (!seq.ok()) return seq.status();
    staged.emplace_back(*seq, std::move(record));
  }
  batch.OnCommit([this, staged = std::move(staged)] {
    for (const auto& [seq, record] : staged) entries_[seq].record = record;
    if (running_)
      asio::post(worker_, [weak = std::weak_ptr<Outbox*>(self_)] {
        if (auto self = weak.lock(); self && *self) (*self)->Pump();
      });
  });
  return Status::Ok();
}

void Outbox::Start() {
  running_ = true;
  Pump();
}

void Outbox::Stop() {
  running_ = false;
  timer_.cancel();
}

void Outbox::RetryNow() {
  for (auto& [seq, entry] : entries_) entry.next_attempt = {};
  if (running_) Pump();
}

std::size_t Outbox::CountFor(const std::string& message_id) const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(),
                    [&](const auto& e) { return e.second.record.message_id() == message_id; }));
}

// A destination not marked delivered is a recipient still without a copy; every
// destination still here is a copy still to be stored.
DeliveryState Outbox::StateOf(const std::string& message_id) const {
  std::set<std::string> waiting;
  DeliveryState state;
  for (const auto& [seq, entry] : entries_) {
    const client::OutboxRecord& r = entry.record;
    if (r.message_id() != message_id) continue;
    if (r.views_size() == 0) {
      ++state.copies_waiting;
      if (!r.delivered()) waiting.insert(r.contact_id());
      continue;
    }
    for (const client::OutboxView& view : r.views()) {
      ++state.copies_waiting;
      if (!r.delivered() && !view.delivered()) waiting.insert(view.contact_id());
    }
  }
  state.recipients_waiting = waiting.size();
  return state;
}

// Rows in commit order (the map's); a lane closes at its first row that must wait, so
// no pairwise row overtakes an older one to the same mailbox.
void Outbox::Pump() {
  if (!running_) return;
  const auto now = std::chrono::steady_clock::now();
  const std::uint64_t now_ms = env_.NowMs();
  std::vector<std::uint64_t> expired;
  std::map<std::string, int> lanes;  // rows on the wire per lane; -1: closed
  for (auto& [seq, entry] : entries_) {
    if (!entry.in_flight && entry.record.expires_ms() <= now_ms) {
      expired.push_back(seq);
      continue;
    }
    const std::string lane = LaneOf(entry.record);
    int* ahead = lane.empty() ? nullptr : &lanes[lane];
    if (ahead != nullptr && *ahead < 0) continue;
    if (entry.in_flight) {
      if (ahead != nullptr) ++*ahead;
      continue;
    }
    const bool lane_full = ahead != nullptr && *ahead >= kMaxInFlightPerMailbox;
    if (entry.next_attempt <= now && in_flight_ < options_.max_in_flight && !lane_full) {
      Attempt(seq, entry);
      if (ahead != nullptr) ++*ahead;
    } else if (ahead != nullptr) {
      *ahead = -1;
    }
  }
  for (std::uint64_t seq : expired) Finish(seq, false);
  Schedule();
}

void Outbox::Schedule() {
  auto next = std::chrono::steady_clock::now() + options_.idle_check;
  for (const auto& [seq, entry] : entries_) {
    if (!entry.in_flight) next = std::min(next, entry.next_attempt);
  }
  timer_.expires_at(next);
  timer_.async_wait([weak = std::weak_ptr<Outbox*>(self_)](const asio::error_code& error) {
    if (error) return;
    if (auto self = weak.lock(); self && *self) (*self)->Pump();
  });
}

std::uint32_t Outbox::TtlSeconds(const client::OutboxRecord& record,
                                 const RelayAddress& relay) const {
  const std::uint64_t now = env_.NowMs();
  const std::uint64_t left_ms = record.expires_ms() > now ? record.expires_ms() - now : 1;
  auto ttl = static_cast<std::uint32_t>(std::min<std::uint64_t>((left_ms + 999) / 1000, 1u << 30));
  if (auto limits = transport_.Limits(relay); limits && limits->max_ttl_seconds() != 0) {
    ttl = std::min(ttl, limits->max_ttl_seconds());
  }
  return std::max<std::uint32_t>(ttl, 1);
}

void Outbox::Attempt(std::uint64_t seq, Entry& entry) {
  auto relay = ParseRelayAddress(entry.record.relay());
  if (!relay.ok()) {
    asio::post(worker_, [this, seq] { Finish(seq, false); });
    entry.in_flight = true;
    return;
  }
  entry.in_flight = true;
  ++entry.attempts;
  ++in_flight_;
  const std::uint32_t ttl = TtlSeconds(entry.record, *relay);
  if (!IsFanout(entry.record)) {
    AttemptPairwise(seq, entry.record, *relay, ttl);
  } else {
    AttemptFanout(seq, entry.record, *relay, ttl);
  }
}

net::Token Outbox::TokenFor(const std::string& contact_id, const std::string& relay,
                            const std::string& mailbox_id, const std::string& stored) const {
  if (hooks_.current_token) {
    const std::string current = hooks_.current_token(contact_id, relay, mailbox_id);
    if (current.size() == 16) return ToToken(current);
  }
  return ToToken(stored);
}

void Outbox::AttemptPairwise(std::uint64_t seq, const client::OutboxRecord& record,
                             const RelayAddress& relay, std::uint32_t ttl) {
  transport_.Send(
      relay, ToMailboxId(record.mailbox_id()),
      TokenFor(record.contact_id(), record.relay(), record.mailbox_id(), record.token()),
      record.envelope(), ttl, [this, seq, weak = std::weak_ptr<Outbox*>(self_)](Status status) {
        asio::post(worker_, [seq, weak, status = std::move(status)] {
          if (auto self = weak.lock(); self && *self) {
            (*self)->OnPairwiseResult(seq, status);
          }
        });
      });
}

void Outbox::AttemptFanout(std::uint64_t seq, const client::OutboxRecord& record,
                           const RelayAddress& relay, std::uint32_t ttl) {
  std::vector<net::OutgoingView> views;
  views.reserve(static_cast<std::size_t>(record.views_size()));
  for (const auto& view : record.views()) {
    views.push_back({ToMailboxId(view.mailbox_id()),
                     TokenFor(view.contact_id(), record.relay(), view.mailbox_id(), view.token()),
                     view.view()});
  }
  transport_.SendToMany(
      relay, record.blob(), ttl, std::move(views),
      [this, seq, weak = std::weak_ptr<Outbox*>(self_)](Result<std::vector<Code>> codes) {
        asio::post(worker_, [seq, weak, codes = std::move(codes)]() mutable {
          if (auto self = weak.lock(); self && *self) {
            (*self)->OnFanoutResult(seq, std::move(codes));
          }
        });
      });
}

void Outbox::OnPairwiseResult(std::uint64_t seq, const Status& status) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return;
  --in_flight_;
  it->second.in_flight = false;
  if (status.ok()) {
    Finish(seq, true);
  } else if (IsRetryable(status.code())) {
    Backoff(seq, it->second);
  } else {
    Finish(seq, false);
  }
  Pump();
}

void Outbox::OnFanoutResult(std::uint64_t seq, Result<std::vector<Code>> codes) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return;
  --in_flight_;
  Entry& entry = it->second;
  entry.in_flight = false;
  if (!codes.ok() || codes->size() != static_cast<std::size_t>(entry.record.views_size())) {
    const Code code = codes.ok() ? Code::kInternal : codes.status().code();
    if (IsRetryable(code)) {
      Backoff(seq, entry);
    } else {
      Finish(seq, false);
    }
    Pump();
    return;
  }
  Outcome outcome;
  outcome.rest = entry.record;
  outcome.rest->clear_views();
  for (std::size_t i = 0; i < codes->size(); ++i) {
    const client::OutboxView& view = entry.record.views(static_cast<int>(i));
    if ((*codes)[i] == Code::kOk) {
      outcome.stored.insert(view.contact_id());
    } else if (IsRetryable((*codes)[i])) {
      *outcome.rest->add_views() = view;
    } else if (!view.delivered()) {
      outcome.given_up.insert(view.contact_id());
    }
  }
  const bool retry = !outcome.rest->views().empty();
  if (!retry) outcome.rest.reset();
  Settle(seq, std::move(outcome));
  if (auto again = entries_.find(seq); retry && again != entries_.end()) {
    Backoff(seq, again->second);
  }
  Pump();
}

void Outbox::Backoff(std::uint64_t, Entry& entry) {
  const auto base = options_.retry_min.count();
  const int shift = std::min(entry.attempts, 20);
  const auto cap = std::min<std::int64_t>(options_.retry_max.count(), base << shift);
  std::uint32_t random = 0;
  env_.rng->Fill({reinterpret_cast<std::uint8_t*>(&random), sizeof random});
  // Full jitter, with a floor so a relay that answers at once is not hammered.
  const auto delay = std::max<std::int64_t>(base / 2, random % (cap + 1));
  entry.next_attempt = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay);
}

void Outbox::Finish(std::uint64_t seq, bool stored) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return;
  const client::OutboxRecord& record = it->second.record;
  Outcome outcome;
  if (stored) {
    AddRecipients(record, &outcome.stored);
  } else if (!IsFanout(record)) {
    if (!record.delivered()) outcome.given_up.insert(record.contact_id());
  } else {
    for (const auto& view : record.views()) {
      if (!view.delivered()) outcome.given_up.insert(view.contact_id());
    }
  }
  Settle(seq, std::move(outcome));
}

void Outbox::Settle(std::uint64_t seq, Outcome outcome) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return;
  const client::OutboxRecord& record = it->second.record;
  if (!outcome.stored.empty()) ReachCrashPoint(CrashPoint::kAfterStoredBeforeDelete);
  Batch batch(store_);
  Status status = Status::Ok();
  std::set<std::string> pending;  // recipients a destination of the message still tries
  if (outcome.rest) {
    MarkDelivered(outcome.stored, &*outcome.rest);
    AddRecipients(*outcome.rest, &pending);
    status =
        PutRecord(batch.txn(), store::Column::kOutbox, store::SequenceName(seq), *outcome.rest);
  } else {
    status = batch.txn().Delete(store::Column::kOutbox, store::SequenceName(seq));
  }
  for (const auto& [other, entry] : entries_) {
    if (other == seq || entry.record.message_id() != record.message_id()) continue;
    AddRecipients(entry.record, &pending);
    if (!status.ok() || !Unmarked(entry.record, outcome.stored)) continue;
    client::OutboxRecord updated = entry.record;
    MarkDelivered(outcome.stored, &updated);
    status = PutRecord(batch.txn(), store::Column::kOutbox, store::SequenceName(other), updated);
    batch.OnCommit([this, other, updated] { entries_[other].record = updated; });
  }
  if (status.ok() && !outcome.stored.empty() && record.announces() && hooks_.on_announced) {
    status = hooks_.on_announced(batch, record);
  }
  // Reported by the last destination of a recipient to go, if none stored a copy.
  for (const std::string& contact : outcome.given_up) {
    if (!status.ok() || !record.report_undelivered() || !hooks_.on_undelivered) break;
    if (outcome.stored.count(contact) != 0 || pending.count(contact) != 0) continue;
    status = hooks_.on_undelivered(batch, record, contact);
  }
  if (status.ok()) status = batch.Commit();
  if (!status.ok()) {
    Backoff(seq, it->second);  // the store failed: try the whole step again later
    return;
  }
  if (outcome.rest) {
    it->second.record = std::move(*outcome.rest);
  } else {
    entries_.erase(it);
  }
}

}  // namespace tocsin::core
