// Devices whose clocks disagree (SPEC.md 14.10): the absolute times an alert carries
// are brought into each receiver's clock, so expiry and ack times mean the same moment
// on every device. The conversion itself, its bounds and its dead band.
#include <limits>

#include "core/clock_offset.h"
#include "tree_fixture.h"

namespace tocsin::testing {
namespace {

constexpr std::int64_t kHourMs = 3600 * 1000;

// Ticks every member on its own (skewed) clock.
void TickOwnClocks(TreeFixture& f) {
  for (Device* device : {&f.d, &f.c1, &f.c2, &f.b1, &f.b2, &f.r1, &f.r2, &f.r3}) {
    Take(device->logic->Tick(device->port->NowMs()));
  }
  f.net.Deliver();
}

void ExpiresOnTimeAcross(std::int64_t dispatcher_skew_ms, std::int64_t responder_skew_ms) {
  EscalationPolicy policy;
  policy.alert_expiry = 1800s;
  TreeFixture f(policy);
  f.d.port->clock_skew_ms = dispatcher_skew_ms;
  for (Device* device : {&f.c1, &f.r1}) device->port->clock_skew_ms = responder_skew_ms;
  const std::uint64_t dispatched_at_r1 = f.r1.port->NowMs();
  const AlertId id = f.Dispatch();
  TickOwnClocks(f);
  CHECK(AlertOf(f.r1, id).state == AlertState::kDispatched);
  CHECK(AlertOf(f.r1, id).expires_at_ms == dispatched_at_r1 + 1800 * 1000);
  // R1's ack time reads as the dispatcher's own clock at that moment.
  Check(f.r1.logic->Ack(id, {.kind = AckKind::kResponding, .eta_minutes = 5}));
  f.net.Deliver();
  REQUIRE(f.d.Last(AlertEventKind::kAck) != nullptr);
  CHECK(f.d.Last(AlertEventKind::kAck)->ack->at_ms == f.d.port->NowMs());
  f.Advance(1800s - 1ms);
  TickOwnClocks(f);
  CHECK(AlertOf(f.r1, id).state == AlertState::kDispatched);
  f.Advance(1ms);
  TickOwnClocks(f);
  CHECK(AlertOf(f.r1, id).state == AlertState::kExpired);
  CHECK(AlertOf(f.d, id).state == AlertState::kExpired);
}

TEST_CASE("An alert expires at the same moment on devices whose clocks are hours apart") {
  SECTION("dispatcher behind, responder ahead") { ExpiresOnTimeAcross(-kHourMs, kHourMs); }
  SECTION("dispatcher ahead, responder behind") { ExpiresOnTimeAcross(kHourMs, -kHourMs); }
  SECTION("dispatcher right, responder a day behind") { ExpiresOnTimeAcross(0, -24 * kHourMs); }
}

TEST_CASE("Clocks within the dead band keep the times as written") {
  TreeFixture f;
  f.d.port->clock_skew_ms = 1500;
  const AlertId id = f.Dispatch();
  CHECK(AlertOf(f.r1, id).expires_at_ms == AlertOf(f.d, id).expires_at_ms);
}

TEST_CASE("Every absolute time of a payload moves into the receiver's clock, and 0 stays unset") {
  app::Payload alert;
  alert.mutable_alert()->set_sent_at_ms(1000);
  alert.mutable_alert()->set_expires_at_ms(5000);
  alerts::ToOurClock(alert, 700);
  CHECK(alert.alert().sent_at_ms() == 1700);
  CHECK(alert.alert().expires_at_ms() == 5700);

  app::Payload handover;
  handover.mutable_handover()->mutable_alert()->set_expires_at_ms(9000);
  handover.mutable_handover()->add_acks()->mutable_ack()->set_at_ms(4000);
  alerts::ToOurClock(handover, -3000);
  CHECK(handover.handover().alert().expires_at_ms() == 6000);
  CHECK(handover.handover().alert().sent_at_ms() == 0);
  CHECK(handover.handover().acks(0).ack().at_ms() == 1000);

  app::Payload update, ack, report, request, notice;
  update.mutable_update()->set_expires_at_ms(10'000);
  ack.mutable_ack()->set_at_ms(10'000);
  report.mutable_report()->set_observed_at_ms(10'000);
  request.mutable_verify_request()->mutable_report()->set_observed_at_ms(10'000);
  notice.mutable_security_notice()->set_at_ms(10'000);
  for (auto* payload : {&update, &ack, &report, &request, &notice}) {
    alerts::ToOurClock(*payload, -2500);
  }
  CHECK(update.update().expires_at_ms() == 7500);
  CHECK(ack.ack().at_ms() == 7500);
  CHECK(report.report().observed_at_ms() == 7500);
  CHECK(request.verify_request().report().observed_at_ms() == 7500);
  CHECK(notice.security_notice().at_ms() == 7500);

  app::Payload unset;
  unset.mutable_update()->set_stand_by(true);
  alerts::ToOurClock(unset, kHourMs);
  CHECK(unset.update().expires_at_ms() == 0);
}

TEST_CASE("Clock corrections: relay time as the pivot, a dead band, bounded offsets") {
  // Sender 1 h behind the relays (offset +1 h), us 1 h ahead (offset -1 h): its times
  // are 2 h behind ours.
  CHECK(core::ClockCorrectionMs(kHourMs, -kHourMs) == 2 * kHourMs);
  CHECK(core::ClockCorrectionMs(-kHourMs, kHourMs) == -2 * kHourMs);
  // A sender that wrote no offset (an older client, or none measured yet) counts as on
  // the relays' time.
  CHECK(core::ClockCorrectionMs(0, -kHourMs) == kHourMs);
  CHECK(core::ClockCorrectionMs(0, 1999) == 0);
  CHECK(core::ClockCorrectionMs(0, -1999) == 0);
  CHECK(core::ClockCorrectionMs(0, 2000) == -2000);
  // Nonsense from a sender is bounded: no overflow, no wrap.
  const std::int64_t top = std::numeric_limits<std::int64_t>::max();
  const std::int64_t bottom = std::numeric_limits<std::int64_t>::min();
  CHECK(core::ClockCorrectionMs(top, bottom) == 2 * core::kMaxClockOffsetMs);
  CHECK(core::ClockCorrectionMs(bottom, 0) == -core::kMaxClockOffsetMs);
  CHECK(core::ShiftTime(5, -core::kMaxClockOffsetMs) == 1);
  CHECK(core::ShiftTime(std::numeric_limits<std::uint64_t>::max() - 1, 10) ==
        std::numeric_limits<std::uint64_t>::max());
  CHECK(core::ShiftTime(0, kHourMs) == 0);
  CHECK(core::ShiftTime(1000, 0) == 1000);
}

}  // namespace
}  // namespace tocsin::testing
