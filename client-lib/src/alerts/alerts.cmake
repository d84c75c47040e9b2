# Alert trees (client-lib/src/alerts, public API include/tocsin/alerts.h): signed views,
# authorisation, the alert lifecycle and escalation, on top of tocsin::client.
# Included from client-lib/CMakeLists.txt (before client.cmake: tocsin_client is linked by
# name). Applications and the CLI link tocsin::alerts.
set(TOCSIN_ALERTS_DIR ${CMAKE_CURRENT_LIST_DIR})
add_library(tocsin_alerts STATIC
            ${TOCSIN_ALERTS_DIR}/names.cpp
            ${TOCSIN_ALERTS_DIR}/signed.cpp
            ${TOCSIN_ALERTS_DIR}/roster.cpp
            ${TOCSIN_ALERTS_DIR}/logic_tree.cpp
            ${TOCSIN_ALERTS_DIR}/logic_view.cpp
            ${TOCSIN_ALERTS_DIR}/logic_cosign.cpp
            ${TOCSIN_ALERTS_DIR}/logic_send.cpp
            ${TOCSIN_ALERTS_DIR}/logic_receive.cpp
            ${TOCSIN_ALERTS_DIR}/logic_timer.cpp
            ${TOCSIN_ALERTS_DIR}/logic_status.cpp
            ${TOCSIN_ALERTS_DIR}/logic_query.cpp
            ${TOCSIN_ALERTS_DIR}/client_port.cpp
            ${TOCSIN_ALERTS_DIR}/engine.cpp
            ${TOCSIN_ALERTS_DIR}/service.cpp)
add_library(tocsin::alerts ALIAS tocsin_alerts)
target_include_directories(tocsin_alerts PUBLIC
                           $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
                           $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/src>)
target_link_libraries(tocsin_alerts PUBLIC tocsin_client PRIVATE tocsin_warnings)
