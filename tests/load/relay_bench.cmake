# tocsin_relay_bench: fan-out, throughput, offline drain and idle memory of the real
# relay (tests/load/relay_bench.cpp). Needs tests/support.
if(NOT TARGET tocsin_test_support)
  include(${CMAKE_CURRENT_SOURCE_DIR}/../support/support.cmake)
endif()
add_executable(tocsin_relay_bench
               relay_bench.cpp
               relay_bench_conn.cpp
               relay_bench_rig.cpp
               relay_bench_steps.cpp
               relay_bench_fanout.cpp
               relay_bench_throughput.cpp
               relay_bench_drain.cpp)
target_link_libraries(tocsin_relay_bench PRIVATE tocsin_test_support tocsin_warnings)
