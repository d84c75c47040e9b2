// The relay benchmark's scenarios (docs/design.md, "Performance budget"), one file each.
// Each runs a fresh relay, prints its human lines and returns its figure.
#ifndef TOCSIN_TESTS_LOAD_RELAY_BENCH_SCENARIOS_H_
#define TOCSIN_TESTS_LOAD_RELAY_BENCH_SCENARIOS_H_

#include "relay_bench_rig.h"

namespace tocsin::bench {

// One alert to N subscribed mailboxes: p50 / max time to the last delivery.
Figure FanOut(const BenchOptions& options);
// Durable send -> deliver -> ack, one-to-one, pipelined: envelopes per second.
Figure Throughput(const BenchOptions& options);
// N mailboxes with queued envelopes, all reconnecting at once: seconds until all acked.
Figure Drain(const BenchOptions& options);
// N idle TLS owner connections: relay RSS.
Figure Idle(const BenchOptions& options);
// N idle subscribed owner connections, then one alert to all: relay RSS before and
// after, time to the first and the last delivery.
Figure IdleAlert(const BenchOptions& options);
// A steady rate for a long time, with fan-out alerts: RSS, latency and the store per
// interval; fails when anything is lost or delivered twice, the store is not empty
// after the acks, or RSS grew past a bound.
Figure Soak(const BenchOptions& options);
// A legitimate pair's latency alone and while connections hammer the relay with forged
// requests; the attackers' answer codes.
Figure Abuse(const BenchOptions& options);

// Rate limits out of the way (the benchmarks measure the relay's work, not its limits).
testing::ConfigOverrides Unlimited();

}  // namespace tocsin::bench

#endif  // TOCSIN_TESTS_LOAD_RELAY_BENCH_SCENARIOS_H_
