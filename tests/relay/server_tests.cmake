# Tests of the relay around its store: the protocol layer without sockets (fast), and
# the real tocsin-relay binary on 127.0.0.1 with temporary data folders.
if(NOT TARGET tocsin_test_support)
  include(${CMAKE_CURRENT_SOURCE_DIR}/../support/support.cmake)
endif()

tocsin_add_test(tocsin_relay_protocol_tests
                SOURCES server_config_test.cpp server_session_test.cpp rate_limiter_test.cpp
                        socket_bio_test.cpp
                LIBS tocsin_relay_server)

tocsin_add_test(tocsin_relay_server_tests
                SOURCES server_requests_test.cpp server_errors_test.cpp
                        server_refusals_test.cpp server_delivery_test.cpp
                        server_admin_test.cpp server_rates_test.cpp
                LIBS tocsin_test_support)

tocsin_add_test(tocsin_relay_transport_tests
                SOURCES server_transport_test.cpp
                LIBS tocsin_test_support)

tocsin_add_test(tocsin_relay_observability_tests
                SOURCES server_observability_test.cpp
                LIBS tocsin_test_support)

tocsin_add_test(tocsin_relay_limits_tests
                SOURCES server_limits_test.cpp
                LIBS tocsin_test_support)

tocsin_add_test(tocsin_relay_durability_tests
                SOURCES server_durability_test.cpp
                LIBS tocsin_test_support)
