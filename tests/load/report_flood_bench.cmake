# tocsin_report_flood_bench: a fake-report flood into an alert tree of real clients over
# the real relay (tests/load/report_flood_bench.cpp). Needs tests/support.
if(TARGET tocsin_alerts AND TARGET tocsin-relay)
  if(NOT TARGET tocsin_test_support)
    include(${CMAKE_CURRENT_SOURCE_DIR}/../support/support.cmake)
  endif()
  add_executable(tocsin_report_flood_bench report_flood_bench.cpp load_common.cpp)
  target_link_libraries(tocsin_report_flood_bench PRIVATE tocsin::alerts tocsin_test_support
                        tocsin_warnings)
endif()
