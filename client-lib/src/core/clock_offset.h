// Times written by another device, brought into this device's clock through the relays'
// clocks (proto/SPEC.md 14.10).
//
// Every device measures its offset to the relays it talks to (relay clock minus its own
// clock, from HelloOk and Pong; RelayPool::ClockOffsetMs) and writes it into each
// message it sends (SealedContent.sender_clock_offset_ms). An absolute time T that a
// sender wrote by its clock is, in the receiver's clock,
//
//   T + sender_offset - own_offset
//
// (T + sender_offset is T in the relays' time; minus own_offset brings it here). Relays
// are servers that keep good time, so this holds however wrong the two devices' clocks
// are, to within the measurements' error (half a round trip each) and the relays'
// disagreement.
//
// Thread-safety: free functions; OwnClockOffsetMs reads the thread-safe transport.
#ifndef TOCSIN_CORE_CLOCK_OFFSET_H_
#define TOCSIN_CORE_CLOCK_OFFSET_H_

#include <cstdint>

namespace tocsin::core {

class Transport;

// A correction smaller than this is not applied: it is within what the measurement can
// tell apart on a slow network, far below what alert times need (minutes), and leaving
// it keeps the times of two devices on one good clock exactly as written.
inline constexpr std::int64_t kClockDeadBandMs = 2000;
// Offsets are bounded (a device whose clock is at 1970 is some 56 years off): a sender's
// value beyond this is taken as this, so no arithmetic on it can overflow.
inline constexpr std::int64_t kMaxClockOffsetMs = 100ll * 366 * 24 * 3600 * 1000;

// Our offset to the relays' clock, as we write it into what we send; 0 while no relay
// has been measured (the same as a sender that does not write it).
std::int64_t OwnClockOffsetMs(const Transport* transport);

// What to add to a time written by a sender whose offset was `sender_offset_ms` to have
// it in our clock (our offset `own_offset_ms`). 0 within the dead band.
std::int64_t ClockCorrectionMs(std::int64_t sender_offset_ms, std::int64_t own_offset_ms);

// `time_ms` moved by `correction_ms`. 0 (a time not given) stays 0; the result is never
// below 1 and saturates at the top.
std::uint64_t ShiftTime(std::uint64_t time_ms, std::int64_t correction_ms);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_CLOCK_OFFSET_H_
