# tocsin_test_support: helpers for tests and benchmarks that need a real relay.
#   relay_process.h  RelayProcess: runs the real tocsin-relay (init, serve, kill -9,
#                    SIGTERM, restart on the same data, admin commands) on 127.0.0.1
#                    with a temporary data folder.
#   test_client.h    TestClient: a synchronous TLS 1.3 relay client with pin check.
# Include once (guarded): if(NOT TARGET tocsin_test_support) include(.../support.cmake)
add_library(tocsin_test_support STATIC
            ${CMAKE_CURRENT_LIST_DIR}/relay_process.cpp
            ${CMAKE_CURRENT_LIST_DIR}/test_client.cpp
            ${CMAKE_CURRENT_LIST_DIR}/test_client_requests.cpp)
target_include_directories(tocsin_test_support PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(tocsin_test_support PUBLIC
                           TOCSIN_RELAY_BINARY="$<TARGET_FILE:tocsin-relay>"
                           ASIO_NO_DEPRECATED ASIO_DISABLE_STD_ALIGNED_ALLOC)
target_link_libraries(tocsin_test_support PUBLIC tocsin::proto OpenSSL::SSL OpenSSL::Crypto
                      PkgConfig::SODIUM Threads::Threads PRIVATE tocsin_warnings)
add_dependencies(tocsin_test_support tocsin-relay)
