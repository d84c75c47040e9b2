# Installation layout and the Debian package (docs/operators.md).
#
# `cmake --install build` installs whatever the parts built: tocsin-relay (here), the
# `tocsin` CLI when it exists (here), the client library, headers, CMake package and
# pkg-config file (their own rules, client-lib/client.cmake), plus the systemd unit and
# /etc/tocsin/relay.toml (deploy/install-system-files.cmake). `cpack -G DEB` (make
# package) turns the same install into build/tocsin_<version>_amd64.deb.
include(GNUInstallDirs)

set(TOCSIN_DEPLOY_DIR ${CMAKE_CURRENT_LIST_DIR})

if(TARGET tocsin-relay)
  install(TARGETS tocsin-relay RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tocsin_relay)
  # The unit and the config use the prefix of the install itself (cpack installs to /usr
  # whatever this build was configured with), so they are written at install time.
  install(CODE "set(TOCSIN_DEPLOY_DIR \"${TOCSIN_DEPLOY_DIR}\")
                set(TOCSIN_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
                set(TOCSIN_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
                set(TOCSIN_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")"
          COMPONENT tocsin_relay)
  install(SCRIPT ${TOCSIN_DEPLOY_DIR}/install-system-files.cmake COMPONENT tocsin_relay)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/operators.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
          COMPONENT tocsin_relay)
endif()
if(TARGET tocsin)
  install(TARGETS tocsin RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tocsin_cli)
endif()

# ---------------------------------------------------------------- Debian package
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tocsin)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Tocsin")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(TOCSIN_PACKAGE_MAINTAINER "Tocsin maintainers <maintainers@tocsin.invalid>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${TOCSIN_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)  # the prefix cpack installs with (CPACK_SET_DESTDIR)
# Install with DESTDIR and the real prefix, so that absolute paths (/etc/tocsin) land in
# the package and the install-time scripts see /usr as the prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_THREADS 0)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # tocsin_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "End-to-end encrypted alert relay for rapid-response networks
 tocsin-relay stores and forwards sealed envelopes for Tocsin alert networks: it
 never sees plaintext or who sent a message. The package installs the relay, a
 hardened systemd unit (tocsin-relay.service), /etc/tocsin/relay.toml and a
 'tocsin' system user owning /var/lib/tocsin; also the 'tocsin' command-line
 client and the libtocsin client library with its headers. See
 /usr/share/doc/tocsin/operators.md.")
# Depends: computed by dpkg-shlibdeps from the installed binaries and libraries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The package's own libraries (libtocsin) are found in the staging root.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS usr/${CMAKE_INSTALL_LIBDIR})
# libtocsin: a shlibs file for packages built against it, and the ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${TOCSIN_DEPLOY_DIR}/debian/conffiles ${TOCSIN_DEPLOY_DIR}/debian/postinst
    ${TOCSIN_DEPLOY_DIR}/debian/prerm ${TOCSIN_DEPLOY_DIR}/debian/postrm
    ${TOCSIN_DEPLOY_DIR}/debian/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
