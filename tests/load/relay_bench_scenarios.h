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

// Rate limits out of the way (the benchmarks measure the relay's work, not its limits).
testing::ConfigOverrides Unlimited();

}  // namespace tocsin::bench

#endif  // TOCSIN_TESTS_LOAD_RELAY_BENCH_SCENARIOS_H_
