# libtocsin's client: keys, contacts and cards, the outbox, the receive pipeline, the
# event inbox (src/core), sender-key groups (src/groups) and the public API
# (include/tocsin). Included from client-lib/CMakeLists.txt.
#
# tocsin_client (tocsin::client): the static library the tree builds on (tests, CLI).
# tocsin_shared: libtocsin.so, what `cmake --install` installs with the public headers,
# a CMake package (find_package(tocsin) -> tocsin::client) and tocsin.pc. It exports
# the public API only (src/core/libtocsin.map).
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)

set(TOCSIN_CLIENT_DIR ${CMAKE_CURRENT_LIST_DIR})
add_library(tocsin_client STATIC
            ${TOCSIN_CLIENT_DIR}/src/core/hex.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/environment.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/records.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/crash_points.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/device_keys.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/mailboxes.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/card.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/contact_card_api.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/passphrase.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/contacts.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/safety_number.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/clock_offset.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/received.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/events.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/inbox.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/outbox.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/pairwise.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/receiver.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/receiver_pairwise.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/resend.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/pool_transport.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/client_core.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/client_core_create.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/client_core_contacts.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/upkeep.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/client.cpp
            ${TOCSIN_CLIENT_DIR}/src/core/client_groups.cpp
            ${TOCSIN_CLIENT_DIR}/src/groups/group_book.cpp
            ${TOCSIN_CLIENT_DIR}/src/groups/group_receive.cpp
            ${TOCSIN_CLIENT_DIR}/src/groups/group_send.cpp
            ${TOCSIN_CLIENT_DIR}/src/groups/group_membership.cpp)
add_library(tocsin::client ALIAS tocsin_client)
target_include_directories(tocsin_client PUBLIC
                           $<BUILD_INTERFACE:${TOCSIN_CLIENT_DIR}/include>
                           $<BUILD_INTERFACE:${TOCSIN_CLIENT_DIR}/src>)
target_compile_definitions(tocsin_client PUBLIC ASIO_STANDALONE ASIO_NO_DEPRECATED
                           PRIVATE TOCSIN_VERSION="${PROJECT_VERSION}")
target_link_libraries(tocsin_client
                      PUBLIC tocsin::store tocsin::crypto tocsin::proto Threads::Threads
                      PRIVATE PkgConfig::QRENCODE tocsin_warnings)
if(TARGET tocsin_net)
  target_link_libraries(tocsin_client PUBLIC tocsin::net)
  target_compile_definitions(tocsin_client PRIVATE TOCSIN_HAVE_NET)
endif()

# ---------------------------------------------------------------- libtocsin.so

add_library(tocsin_shared SHARED ${TOCSIN_CLIENT_DIR}/src/core/version.cpp)
target_compile_definitions(tocsin_shared PRIVATE TOCSIN_VERSION="${PROJECT_VERSION}")
target_link_libraries(tocsin_shared PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,tocsin_client>"
                      tocsin_warnings)
target_include_directories(tocsin_shared INTERFACE
                           $<BUILD_INTERFACE:${TOCSIN_CLIENT_DIR}/include>
                           $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/proto/include>
                           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(tocsin_shared INTERFACE cxx_std_20)
target_link_options(tocsin_shared PRIVATE
                    -Wl,--version-script=${TOCSIN_CLIENT_DIR}/src/core/libtocsin.map
                    -Wl,--no-undefined)
set_target_properties(tocsin_shared PROPERTIES
                      OUTPUT_NAME tocsin
                      EXPORT_NAME client
                      VERSION ${PROJECT_VERSION}
                      SOVERSION 0
                      LINK_DEPENDS ${TOCSIN_CLIENT_DIR}/src/core/libtocsin.map)

# ---------------------------------------------------------------- install

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
install(TARGETS tocsin_shared EXPORT tocsinTargets COMPONENT tocsin_client
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${TOCSIN_CLIENT_DIR}/include/tocsin/client.h
              ${TOCSIN_CLIENT_DIR}/include/tocsin/types.h
              ${TOCSIN_CLIENT_DIR}/include/tocsin/contact_card.h
              ${TOCSIN_CLIENT_DIR}/include/tocsin/passphrase.h
              ${PROJECT_SOURCE_DIR}/proto/include/tocsin/status.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tocsin COMPONENT tocsin_client)
# The schemas, for applications that build their own tocsin.app.Payload messages.
install(FILES ${PROJECT_SOURCE_DIR}/proto/tocsin/alert.proto
        DESTINATION ${CMAKE_INSTALL_DATADIR}/tocsin/proto/tocsin COMPONENT tocsin_client)
install(EXPORT tocsinTargets NAMESPACE tocsin:: FILE tocsinTargets.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tocsin COMPONENT tocsin_client)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/tocsinConfig.cmake.in
     "@PACKAGE_INIT@\ninclude(\"\${CMAKE_CURRENT_LIST_DIR}/tocsinTargets.cmake\")\n"
     "check_required_components(tocsin)\n")
configure_package_config_file(${CMAKE_CURRENT_BINARY_DIR}/tocsinConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/tocsinConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tocsin)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tocsinConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tocsinConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/tocsinConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tocsin COMPONENT tocsin_client)
# The prefix is found from the .pc file's own place, so a package built for /usr and a
# `cmake --install --prefix` elsewhere both give the right paths.
file(RELATIVE_PATH TOCSIN_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${TOCSIN_CLIENT_DIR}/tocsin.pc.in ${CMAKE_CURRENT_BINARY_DIR}/tocsin.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tocsin.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT tocsin_client)
