# Runs at install time (cmake --install, cpack), after packaging.cmake set
# TOCSIN_DEPLOY_DIR, TOCSIN_BINDIR, TOCSIN_DOCDIR and TOCSIN_SYSCONFDIR. Writes:
#   <prefix>/lib/systemd/system/tocsin-relay.service  with the installed paths
#   <sysconfdir>/tocsin/relay.toml                     only when none exists yet: an
#                                                      operator's config is never replaced
# CMAKE_INSTALL_PREFIX here is the prefix of this install (/usr for the package).

set(prefix "${CMAKE_INSTALL_PREFIX}")
if(IS_ABSOLUTE "${TOCSIN_SYSCONFDIR}")
  set(etc "${TOCSIN_SYSCONFDIR}")
elseif(prefix STREQUAL "/usr" OR prefix STREQUAL "/")
  set(etc "/etc")  # as GNUInstallDirs does for the system prefixes
else()
  set(etc "${prefix}/${TOCSIN_SYSCONFDIR}")
endif()
if(IS_ABSOLUTE "${TOCSIN_BINDIR}")
  set(bindir "${TOCSIN_BINDIR}")
else()
  set(bindir "${prefix}/${TOCSIN_BINDIR}")
endif()
string(REGEX REPLACE "^//" "/" bindir "${bindir}")
if(IS_ABSOLUTE "${TOCSIN_DOCDIR}")
  set(docdir "${TOCSIN_DOCDIR}")
else()
  set(docdir "${prefix}/${TOCSIN_DOCDIR}")
endif()
set(unitdir "${prefix}/lib/systemd/system")
string(REGEX REPLACE "^//" "/" unitdir "${unitdir}")

# The unit in deploy/ names the packaged paths; other prefixes get their own.
file(READ "${TOCSIN_DEPLOY_DIR}/tocsin-relay.service" unit)
string(REPLACE "/usr/bin/tocsin-relay" "${bindir}/tocsin-relay" unit "${unit}")
string(REPLACE "/etc/tocsin/relay.toml" "${etc}/tocsin/relay.toml" unit "${unit}")
string(REPLACE "/usr/share/doc/tocsin" "${docdir}" unit "${unit}")
set(unit_path "$ENV{DESTDIR}${unitdir}/tocsin-relay.service")
message(STATUS "Installing: ${unit_path}")
file(WRITE "${unit_path}" "${unit}")
file(CHMOD "${unit_path}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${unitdir}/tocsin-relay.service")

set(config_path "$ENV{DESTDIR}${etc}/tocsin/relay.toml")
if(EXISTS "${config_path}")
  message(STATUS "Keeping: ${config_path}")
else()
  message(STATUS "Installing: ${config_path}")
  file(MAKE_DIRECTORY "$ENV{DESTDIR}${etc}/tocsin")
  file(COPY_FILE "${TOCSIN_DEPLOY_DIR}/relay.toml" "${config_path}")
  file(CHMOD "${config_path}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${etc}/tocsin/relay.toml")
endif()
