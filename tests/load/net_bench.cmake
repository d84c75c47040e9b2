# tocsin_net_bench: the client's relay links against the real relay (owner link set-up,
# fresh and resumed; pipelined sends; send-to-delivery latency; SendToMany of 2,000
# views). tests/load/net_bench.cpp. Needs tests/support.
if(NOT TARGET tocsin_test_support)
  include(${CMAKE_CURRENT_SOURCE_DIR}/../support/support.cmake)
endif()
add_executable(tocsin_net_bench net_bench.cpp)
target_link_libraries(tocsin_net_bench PRIVATE tocsin::net tocsin_test_support PkgConfig::SODIUM
                      tocsin_warnings)
