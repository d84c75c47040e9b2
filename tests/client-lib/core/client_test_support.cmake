# tocsin_client_test_util: what the client library's tests share (client_test_util.h).
# Included (once) by the CMakeLists of tests/client-lib/groups and tests/client-lib/api.
if(NOT TARGET tocsin_client_test_util AND TARGET tocsin_test_support)
  add_library(tocsin_client_test_util STATIC ${CMAKE_CURRENT_LIST_DIR}/client_test_util.cpp)
  target_include_directories(tocsin_client_test_util PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(tocsin_client_test_util PUBLIC tocsin::client tocsin_test_support
                        Catch2::Catch2 PRIVATE tocsin_warnings)
endif()
