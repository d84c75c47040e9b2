# tocsin_client_bench: a group alert to 1,000 and 10,000 members end to end, a real
# client sending through the real relay to receivers that decrypt with the real code
# (tests/load/client_bench.cpp). Needs tests/support.
if(TARGET tocsin_client AND TARGET tocsin-relay)
  if(NOT TARGET tocsin_test_support)
    include(${CMAKE_CURRENT_SOURCE_DIR}/../support/support.cmake)
  endif()
  add_executable(tocsin_client_bench client_bench.cpp load_common.cpp relay_bench_conn.cpp)
  target_link_libraries(tocsin_client_bench PRIVATE tocsin::client tocsin_test_support
                        tocsin_socket_bio tocsin_warnings)
endif()
