# Peer benchmarks for tests/load/compare.sh: Mosquitto (libmosquitto) and Redis Streams
# (hiredis) on the relay benchmark's scenarios. Optional: each program is built only
# when its client library is found (apt-get install libmosquitto-dev libhiredis-dev;
# compare.sh installs them).
set(TOCSIN_PEERS_DIR ${CMAKE_CURRENT_LIST_DIR})

add_library(tocsin_peer_bench STATIC ${TOCSIN_PEERS_DIR}/peer_bench.cpp)
target_include_directories(tocsin_peer_bench PUBLIC ${TOCSIN_PEERS_DIR})
target_link_libraries(tocsin_peer_bench PRIVATE tocsin_warnings)

pkg_check_modules(MOSQUITTO IMPORTED_TARGET libmosquitto)
if(MOSQUITTO_FOUND)
  add_executable(tocsin_mosquitto_bench ${TOCSIN_PEERS_DIR}/mosquitto_bench.cpp
                                        ${TOCSIN_PEERS_DIR}/mqtt_fleet.cpp)
  target_link_libraries(tocsin_mosquitto_bench PRIVATE tocsin_peer_bench PkgConfig::MOSQUITTO
                        OpenSSL::SSL tocsin_warnings)
else()
  message(STATUS "libmosquitto not found: tocsin_mosquitto_bench is not built")
endif()

pkg_check_modules(HIREDIS IMPORTED_TARGET hiredis)
if(HIREDIS_FOUND)
  add_executable(tocsin_redis_bench ${TOCSIN_PEERS_DIR}/redis_bench.cpp
                                    ${TOCSIN_PEERS_DIR}/resp_conn.cpp)
  target_compile_definitions(tocsin_redis_bench PRIVATE ASIO_NO_DEPRECATED
                             ASIO_DISABLE_STD_ALIGNED_ALLOC)
  target_link_libraries(tocsin_redis_bench PRIVATE tocsin_peer_bench PkgConfig::HIREDIS
                        OpenSSL::SSL OpenSSL::Crypto Threads::Threads tocsin_warnings)
else()
  message(STATUS "hiredis not found: tocsin_redis_bench is not built")
endif()
