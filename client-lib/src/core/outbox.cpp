#include "core/outbox.h"

#include <algorithm>
#include <asio/post.hpp>

#include "core/crash_points.h"
#include "core/mailboxes.h"
#include "core/records.h"

namespace tocsin::core {

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

namespace {

// The ordered lane of a pairwise row (its relay and mailbox); fan-out rows have none.
std::string LaneOf(const client::OutboxRecord& record) {
  if (!record.blob().empty()) return {};
  return record.relay() + '\0' + record.mailbox_id();
}

}  // namespace

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
  if (entry.record.blob().empty()) {
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
  client::OutboxRecord remaining = entry.record;
  remaining.clear_views();
  bool any_stored = false;
  for (std::size_t i = 0; i < codes->size(); ++i) {
    if ((*codes)[i] == Code::kOk) {
      any_stored = true;
    } else if (IsRetryable((*codes)[i])) {
      *remaining.add_views() = entry.record.views(static_cast<int>(i));
    }
  }
  if (remaining.views().empty()) {
    Finish(seq, any_stored);
  } else {
    if (any_stored) remaining.set_delivered(true);
    Rewrite(seq, std::move(remaining));
    if (auto again = entries_.find(seq); again != entries_.end()) Backoff(seq, again->second);
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

bool Outbox::MessageDelivered(const client::OutboxRecord& record, std::uint64_t except) const {
  for (const auto& [seq, entry] : entries_) {
    if (seq != except && entry.record.message_id() == record.message_id() &&
        entry.record.delivered()) {
      return true;
    }
  }
  return false;
}

void Outbox::Rewrite(std::uint64_t seq, client::OutboxRecord record) {
  Batch batch(store_);
  Status status = PutRecord(batch.txn(), store::Column::kOutbox, store::SequenceName(seq), record);
  if (status.ok()) status = batch.Commit();
  if (status.ok()) entries_[seq].record = std::move(record);
}

void Outbox::Finish(std::uint64_t seq, bool stored) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return;
  const client::OutboxRecord record = it->second.record;
  if (stored) ReachCrashPoint(CrashPoint::kAfterStoredBeforeDelete);
  Batch batch(store_);
  Status status = batch.txn().Delete(store::Column::kOutbox, store::SequenceName(seq));
  std::vector<std::uint64_t> siblings;
  for (const auto& [other, entry] : entries_) {
    if (other != seq && entry.record.message_id() == record.message_id()) siblings.push_back(other);
  }
  const bool delivered = stored || record.delivered() || MessageDelivered(record, seq);
  for (std::uint64_t other : siblings) {
    if (!status.ok() || !stored || entries_[other].record.delivered()) continue;
    client::OutboxRecord updated = entries_[other].record;
    updated.set_delivered(true);
    status = PutRecord(batch.txn(), store::Column::kOutbox, store::SequenceName(other), updated);
    batch.OnCommit([this, other, updated] { entries_[other].record = updated; });
  }
  if (status.ok() && stored && record.announces() && hooks_.on_announced) {
    status = hooks_.on_announced(batch, record);
  }
  if (status.ok() && siblings.empty() && !delivered && record.report_undelivered() &&
      hooks_.on_undelivered) {
    status = hooks_.on_undelivered(batch, record);
  }
  if (status.ok()) status = batch.Commit();
  if (!status.ok()) {
    Backoff(seq, it->second);  // the store failed: try the whole step again later
    return;
  }
  entries_.erase(seq);
}

}  // namespace tocsin::core
