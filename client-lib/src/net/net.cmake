# client-lib/src/net: relay links (contract: relay_pool.h).
#
# tocsin_tls (tocsin::tls): pinned TLS 1.3 helpers with no protocol in them (the pin of
# a certificate, the constant-time pin check, TLS 1.3 only), for the client library, the
# relay and the test client alike.
# tocsin_net (tocsin::net): TLS connections to relays on Asio, owner and send links, the
# RelayPool.
set(TOCSIN_NET_DIR ${CMAKE_CURRENT_LIST_DIR})

add_library(tocsin_tls STATIC ${TOCSIN_NET_DIR}/tls_pin.cpp)
add_library(tocsin::tls ALIAS tocsin_tls)
target_include_directories(tocsin_tls PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/src>)
target_link_libraries(tocsin_tls PUBLIC tocsin::proto OpenSSL::SSL OpenSSL::Crypto
                      PRIVATE tocsin_warnings)

add_library(tocsin_net STATIC
            ${TOCSIN_NET_DIR}/backoff.cpp
            ${TOCSIN_NET_DIR}/link_board.cpp
            ${TOCSIN_NET_DIR}/mailbox_auth.cpp
            ${TOCSIN_NET_DIR}/owner_link.cpp
            ${TOCSIN_NET_DIR}/owner_link_mailboxes.cpp
            ${TOCSIN_NET_DIR}/relay_connection.cpp
            ${TOCSIN_NET_DIR}/relay_connection_io.cpp
            ${TOCSIN_NET_DIR}/relay_errors.cpp
            ${TOCSIN_NET_DIR}/relay_pool.cpp
            ${TOCSIN_NET_DIR}/send_link.cpp
            ${TOCSIN_NET_DIR}/tls_client.cpp
            ${TOCSIN_NET_DIR}/view_batches.cpp)
add_library(tocsin::net ALIAS tocsin_net)
target_include_directories(tocsin_net PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/src>)
# The same Asio configuration as the relay and the test support (relay/src/server.cmake):
# Asio chooses aligned_alloc or operator new per file, and files that disagree pair
# malloc with operator delete (ASan's alloc-dealloc-mismatch).
target_compile_definitions(tocsin_net PUBLIC ASIO_STANDALONE ASIO_NO_DEPRECATED
                           ASIO_DISABLE_STD_ALIGNED_ALLOC)
target_link_libraries(tocsin_net
                      PUBLIC tocsin::crypto tocsin::proto tocsin::tls OpenSSL::SSL Threads::Threads
                      PRIVATE tocsin_warnings)
