#include "core/crash_points.h"

#include <atomic>

namespace tocsin::core {
namespace {
std::atomic<CrashHook> g_hook{nullptr};
}

std::string_view CrashPointName(CrashPoint point) {
  switch (point) {
    case CrashPoint::kAfterOutboxCommit:
      return "after-outbox-commit";
    case CrashPoint::kAfterStoredBeforeDelete:
      return "after-stored";
    case CrashPoint::kAfterDecryptBeforeCommit:
      return "after-decrypt";
    case CrashPoint::kAfterCommitBeforeAck:
      return "after-commit";
  }
  return "unknown";
}

void SetCrashHook(CrashHook hook) { g_hook.store(hook); }

void ReachCrashPoint(CrashPoint point) {
  if (CrashHook hook = g_hook.load(std::memory_order_relaxed); hook != nullptr) hook(point);
}

}  // namespace tocsin::core
