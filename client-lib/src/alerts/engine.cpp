#include "alerts/engine.h"

#include "core/client_core.h"
#include "core/hex.h"
#include "store/columns.h"

namespace tocsin::alerts {
namespace {

bool IsTreePayload(const app::Payload& payload) {
  switch (payload.body_case()) {
    case app::Payload::kReport:
    case app::Payload::kVerifyRequest:
    case app::Payload::kVerifyResult:
    case app::Payload::kAlert:
    case app::Payload::kAck:
    case app::Payload::kUpdate:
    case app::Payload::kAllClear:
    case app::Payload::kCancel:
    case app::Payload::kTreeUpdate:
    case app::Payload::kBranchStatus:
    case app::Payload::kHandover:
    case app::Payload::kSecurityNotice:
    case app::Payload::kMemberCard:
      return true;
    default:
      return false;
  }
}

// The hook belongs to the client's worker: it is set and cleared there.
Status SetHook(Client& client, core::PayloadHook hook) {
  auto& core = client.core();
  return core.RunStatus([&core, hook]() -> core::Awaitable<Status> {
    core.SetPayloadHook(hook);
    co_return Status::Ok();
  });
}

}  // namespace

AlertEngine::AlertEngine(Client& client, AlertOptions options)
    : client_(client), options_(std::move(options)) {}

Result<std::unique_ptr<AlertEngine>> AlertEngine::Start(Client& client, AlertOptions options) {
  std::unique_ptr<AlertEngine> engine(new AlertEngine(client, std::move(options)));
  AlertEngine* self = engine.get();
  engine->port_ = std::make_unique<ClientPort>(client, engine->options_.clock);
  engine->logic_ = std::make_unique<AlertLogic>(
      *engine->port_, [self](AlertEvent event) { self->Emit(std::move(event)); });
  TOCSIN_RETURN_IF_ERROR(engine->logic_->Load());
  TOCSIN_RETURN_IF_ERROR(engine->QueueStoredInbox());
  core::PayloadHook hook = [self](core::Batch& batch,
                                  const core::ReceivedPayload& received) -> Result<bool> {
    if (received.payload == nullptr || !IsTreePayload(*received.payload)) return false;
    tree::InboxRecord record;
    record.set_sender(received.sender->identity_key());
    record.set_group_id(received.group_id);
    record.set_payload(std::string(received.payload_bytes));
    record.set_clock_correction_ms(received.clock_correction_ms);
    std::string name =
        std::string(kInboxRowPrefix) + received.sender->identity_key() + received.message_id;
    TOCSIN_RETURN_IF_ERROR(batch.txn().Put(store::Column::kTrees, core::Bytes(name),
                                           core::Bytes(record.SerializeAsString())));
    batch.OnCommit([self, name, record]() { self->Enqueue(name, record); });
    return true;
  };
  TOCSIN_RETURN_IF_ERROR(SetHook(client, std::move(hook)));
  engine->payload_thread_ = std::thread([self] { self->PayloadLoop(); });
  engine->event_thread_ = std::thread([self] { self->EventLoop(); });
  if (engine->options_.run_timers)
    engine->timer_thread_ = std::thread([self] { self->TimerLoop(); });
  return engine;
}

AlertEngine::~AlertEngine() { Close(); }

void AlertEngine::Close() {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return;
    closing_ = true;
  }
  changed_.notify_all();
  if (!client_.core().closed()) (void)SetHook(client_, nullptr);  // fails only once closed
  for (auto* thread : {&payload_thread_, &event_thread_, &timer_thread_}) {
    if (thread->joinable()) thread->join();
  }
}

Status AlertEngine::QueueStoredInbox() {
  auto cursor = client_.core().context().store->NewCursor(store::Column::kTrees);
  for (cursor->SeekToFirst(); cursor->Valid(); cursor->Next()) {
    std::string name = core::ToString(cursor->name());
    if (name.rfind(kInboxRowPrefix, 0) != 0) continue;
    tree::InboxRecord record;
    const auto value = cursor->value();
    if (record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      inbox_.emplace_back(std::move(name), std::move(record));
    }
  }
  return cursor->status();
}

void AlertEngine::Enqueue(std::string row_name, tree::InboxRecord record) {
  {
    std::lock_guard lock(mutex_);
    inbox_.emplace_back(std::move(row_name), std::move(record));
  }
  changed_.notify_all();
}

void AlertEngine::PayloadLoop() {
  for (;;) {
    std::pair<std::string, tree::InboxRecord> item;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return closing_ || !inbox_.empty(); });
      if (closing_) return;
      item = std::move(inbox_.front());
      inbox_.pop_front();
    }
    app::Payload payload;
    if (payload.ParseFromString(item.second.payload())) {
      // A failure here (the client closing, the store) leaves the row for the next Attach.
      const tree::InboxRecord& record = item.second;
      if (!logic_
               ->OnPayload(record.sender(), record.group_id(), payload,
                           record.clock_correction_ms())
               .ok()) {
        continue;
      }
    }
    (void)client_.core().context().store->Delete(store::Column::kTrees, core::Bytes(item.first));
  }
}

void AlertEngine::Emit(AlertEvent event) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  changed_.notify_all();
}

void AlertEngine::EventLoop() {
  for (;;) {
    AlertEvent event;
    std::function<void(const AlertEvent&)> handler;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return closing_ || (handler_ && !events_.empty()); });
      if (closing_) return;
      event = std::move(events_.front());
      events_.pop_front();
      handler = handler_;
      handler_busy_ = true;
    }
    handler(event);
    {
      std::lock_guard lock(mutex_);
      handler_busy_ = false;
    }
    changed_.notify_all();
  }
}

void AlertEngine::SetEventHandler(std::function<void(const AlertEvent&)> handler) {
  {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
  }
  changed_.notify_all();
}

std::optional<AlertEvent> AlertEngine::WaitEvent(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [this] { return closing_ || !events_.empty(); })) {
    return std::nullopt;
  }
  if (events_.empty() || handler_) return std::nullopt;
  AlertEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

void AlertEngine::TimerLoop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (changed_.wait_for(lock, options_.timer_interval, [this] { return closing_; })) return;
    }
    (void)logic_->Tick(port_->NowMs());  // a failed step is tried again at the next tick
  }
}

}  // namespace tocsin::alerts
