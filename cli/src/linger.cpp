#include "linger.h"

#include <chrono>
#include <cstdlib>
#include <thread>

namespace tocsin::cli {

void LingerForDelivery(Session& session) {
  if (session.served_by_listen()) return;
  double seconds = 3;
  if (const char* text = std::getenv("TOCSIN_LINGER_SECONDS"); text != nullptr) {
    seconds = std::atof(text);
  }
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

}  // namespace tocsin::cli
