#include "linger.h"

#include <chrono>
#include <cstdlib>
#include <thread>

namespace tocsin::cli {

namespace {

double LingerSeconds() {
  double seconds = 3;
  if (const char* text = std::getenv("TOCSIN_LINGER_SECONDS"); text != nullptr) {
    seconds = std::atof(text);
  }
  return seconds;
}

}  // namespace

void LingerForDelivery(Session& session) {
  if (session.served_by_listen()) return;
  const double seconds = LingerSeconds();
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

std::optional<DeliveryState> LingerForMessage(Session& session, Client& client,
                                              const MessageId& message) {
  if (session.served_by_listen()) return std::nullopt;
  const auto end =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(LingerSeconds());
  for (;;) {
    Result<DeliveryState> state = client.Delivery(message);
    if (!state.ok()) return std::nullopt;
    if (state->copies_waiting == 0 || std::chrono::steady_clock::now() >= end) return *state;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string QueuedNote(const std::optional<DeliveryState>& state) {
  if (!state || state->recipients_waiting == 0) return "";
  return " NOT YET ON A RELAY for " + std::to_string(state->recipients_waiting) +
         " recipient(s): it waits in this device's outbox and goes out the next time the "
         "device runs (keep `tocsin listen` running).";
}

}  // namespace tocsin::cli
