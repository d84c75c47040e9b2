# The relay around its store: config, protocol (no I/O), fan-out, network, admin,
# metrics, and the tocsin-relay binary. docs/architecture.md describes the roles.
find_package(spdlog CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)

set(TOCSIN_RELAY_SRC ${CMAKE_CURRENT_LIST_DIR})


# Config, protocol and fan-out: everything a test or fuzz target needs to drive a
# session without sockets.
add_library(tocsin_relay_core STATIC
            ${TOCSIN_RELAY_SRC}/config/config.cpp
            ${TOCSIN_RELAY_SRC}/config/config_schema.cpp
            ${TOCSIN_RELAY_SRC}/protocol/auth.cpp
            ${TOCSIN_RELAY_SRC}/protocol/rate_limiter.cpp
            ${TOCSIN_RELAY_SRC}/protocol/wire_encoding.cpp
            ${TOCSIN_RELAY_SRC}/protocol/session.cpp
            ${TOCSIN_RELAY_SRC}/protocol/owner_requests.cpp
            ${TOCSIN_RELAY_SRC}/protocol/send_requests.cpp
            ${TOCSIN_RELAY_SRC}/fanout/fanout.cpp
            ${TOCSIN_RELAY_SRC}/fanout/subscription_set.cpp
            ${TOCSIN_RELAY_SRC}/metrics/metrics.cpp)
add_library(tocsin::relay_core ALIAS tocsin_relay_core)
target_include_directories(tocsin_relay_core PUBLIC $<BUILD_INTERFACE:${TOCSIN_RELAY_SRC}>)
target_link_libraries(tocsin_relay_core
                      PUBLIC tocsin::relay_store tocsin::proto PkgConfig::SODIUM
                             tomlplusplus::tomlplusplus spdlog::spdlog Threads::Threads
                      PRIVATE tocsin_warnings)

# The BIO under each connection's TLS (net/socket_bio.h); the benchmarks' client uses
# it too.
add_library(tocsin_socket_bio STATIC ${TOCSIN_RELAY_SRC}/net/socket_bio.cpp)
target_include_directories(tocsin_socket_bio PUBLIC $<BUILD_INTERFACE:${TOCSIN_RELAY_SRC}>)
target_link_libraries(tocsin_socket_bio PUBLIC OpenSSL::SSL PRIVATE tocsin_warnings)

# TLS, sessions, the admin socket and metrics listener, identity, commands.
add_library(tocsin_relay_server STATIC
            ${TOCSIN_RELAY_SRC}/net/identity.cpp
            ${TOCSIN_RELAY_SRC}/net/tls_context.cpp
            ${TOCSIN_RELAY_SRC}/net/connection.cpp
            ${TOCSIN_RELAY_SRC}/net/server.cpp
            ${TOCSIN_RELAY_SRC}/metrics/metrics_server.cpp
            ${TOCSIN_RELAY_SRC}/admin/admin_protocol.cpp
            ${TOCSIN_RELAY_SRC}/admin/admin_server.cpp
            ${TOCSIN_RELAY_SRC}/admin/commands.cpp
            ${TOCSIN_RELAY_SRC}/admin/serve.cpp)
add_library(tocsin::relay_server ALIAS tocsin_relay_server)
# Asio picks aligned_alloc or operator new by whether a libstdc++ header came before it
# in each file; files that disagree pair malloc with operator delete (ASan's
# alloc-dealloc-mismatch). One choice for every file:
target_compile_definitions(tocsin_relay_server PUBLIC ASIO_NO_DEPRECATED
                           ASIO_DISABLE_STD_ALIGNED_ALLOC)
target_link_libraries(tocsin_relay_server
                      PUBLIC tocsin_relay_core tocsin_socket_bio OpenSSL::SSL OpenSSL::Crypto
                             spdlog::spdlog
                      PRIVATE tocsin_warnings)

add_executable(tocsin-relay ${TOCSIN_RELAY_SRC}/main.cpp)
target_link_libraries(tocsin-relay PRIVATE tocsin_relay_server tocsin_warnings)
if(TOCSIN_RELAY_JEMALLOC)
  target_link_libraries(tocsin-relay PRIVATE PkgConfig::JEMALLOC)
endif()
target_compile_definitions(tocsin-relay PRIVATE TOCSIN_RELAY_VERSION="${PROJECT_VERSION}")
