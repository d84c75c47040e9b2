# tocsin_relay_bench: fan-out, throughput, offline drain, idle memory, soak and abuse of
# the real relay (tests/load/relay_bench.cpp). Needs tests/support.
if(NOT TARGET tocsin_test_support)
  include(${CMAKE_CURRENT_SOURCE_DIR}/../support/support.cmake)
endif()
add_executable(tocsin_relay_bench
               relay_bench.cpp
               load_common.cpp
               relay_bench_conn.cpp
               relay_bench_rig.cpp
               relay_bench_steps.cpp
               relay_bench_fanout.cpp
               relay_bench_throughput.cpp
               relay_bench_traffic.cpp
               relay_bench_drain.cpp
               relay_bench_idle.cpp
               relay_bench_soak.cpp
               relay_bench_abuse.cpp)
target_link_libraries(tocsin_relay_bench PRIVATE tocsin_test_support tocsin_socket_bio
                      tocsin_warnings)

# The soak, short, as a test (label soak_short): it checks correctness and flatness, not
# speed: nothing lost or delivered twice, the store empty after the acks and the blobs'
# TTL, `check` clean, RSS grown by at most 64 MiB from the second sample to the end.
# No latency threshold: it runs on loaded machines.
add_test(NAME soak_short
         COMMAND tocsin_relay_bench soak --duration 45 --rate 100 -n 100 --alert-every 10
                 --sample 5 --row 5 --blob-ttl 5 --set limits.sweep_interval_ms=1000)
set_tests_properties(soak_short PROPERTIES LABELS soak_short TIMEOUT 600)
