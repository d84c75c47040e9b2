#include "core/clock_offset.h"

#include <algorithm>
#include <limits>

#include "core/transport.h"

namespace tocsin::core {
namespace {

std::int64_t Bounded(std::int64_t offset_ms) {
  return std::clamp(offset_ms, -kMaxClockOffsetMs, kMaxClockOffsetMs);
}

}  // namespace

std::int64_t OwnClockOffsetMs(const Transport* transport) {
  if (transport == nullptr) return 0;
  return Bounded(transport->ClockOffsetMs().value_or(0));
}

std::int64_t ClockCorrectionMs(std::int64_t sender_offset_ms, std::int64_t own_offset_ms) {
  const std::int64_t correction = Bounded(sender_offset_ms) - Bounded(own_offset_ms);
  return (correction > -kClockDeadBandMs && correction < kClockDeadBandMs) ? 0 : correction;
}

std::uint64_t ShiftTime(std::uint64_t time_ms, std::int64_t correction_ms) {
  if (time_ms == 0 || correction_ms == 0) return time_ms;
  if (correction_ms > 0) {
    const auto up = static_cast<std::uint64_t>(correction_ms);
    const std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
    return time_ms > top - up ? top : time_ms + up;
  }
  // -correction_ms is safe: corrections are bounded by twice kMaxClockOffsetMs.
  const auto down = static_cast<std::uint64_t>(-correction_ms);
  return time_ms > down ? time_ms - down : 1;
}

}  // namespace tocsin::core
