// AlertEngine: what stands behind tocsin::AlertService: the ClientPort, the AlertLogic,
// the payload hook on the client's receive pipeline, and the service's threads (one
// that handles received payloads, one for event callbacks, one for timers).
//
// Received payloads: the hook (on the client's worker) stages an InboxRecord row into the
// message's own receive batch and, once that commits, queues it; the payload thread
// hands it to the logic and then deletes the row. A crash in between leaves the row,
// which Attach queues again.
//
// Thread-safety: public methods from any thread except the client's worker and event
// threads; Close not from an event handler.
#ifndef TOCSIN_ALERTS_ENGINE_H_
#define TOCSIN_ALERTS_ENGINE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "alerts/client_port.h"
#include "alerts/logic.h"
#include "tocsin/alerts.h"
#include "tocsin/client.h"

namespace tocsin::alerts {

class AlertEngine {
 public:
  static Result<std::unique_ptr<AlertEngine>> Start(Client& client, AlertOptions options);
  ~AlertEngine();

  void Close();
  AlertLogic& logic() { return *logic_; }
  std::uint64_t NowMs() { return port_->NowMs(); }

  void SetEventHandler(std::function<void(const AlertEvent&)> handler);
  std::optional<AlertEvent> WaitEvent(std::chrono::milliseconds timeout);

 private:
  AlertEngine(Client& client, AlertOptions options);
  void Emit(AlertEvent event);
  void Enqueue(std::string row_name, tree::InboxRecord record);
  Status QueueStoredInbox();
  void PayloadLoop();
  void EventLoop();
  void TimerLoop();

  Client& client_;
  AlertOptions options_;
  std::unique_ptr<ClientPort> port_;
  std::unique_ptr<AlertLogic> logic_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool closing_ = false;
  std::deque<std::pair<std::string, tree::InboxRecord>> inbox_;
  std::deque<AlertEvent> events_;
  std::function<void(const AlertEvent&)> handler_;
  bool handler_busy_ = false;
  std::thread payload_thread_;
  std::thread event_thread_;
  std::thread timer_thread_;
};

}  // namespace tocsin::alerts

#endif  // TOCSIN_ALERTS_ENGINE_H_
