# Tests of client-lib/src/core (declared from tests/client-lib/api/CMakeLists.txt).
set(TOCSIN_CORE_TESTS_DIR ${CMAKE_CURRENT_LIST_DIR})
tocsin_add_test(tocsin_client_core_unit_tests
                SOURCES ${TOCSIN_CORE_TESTS_DIR}/card_test.cpp
                        ${TOCSIN_CORE_TESTS_DIR}/client_vectors_test.cpp
                LIBS tocsin::client)
target_compile_definitions(tocsin_client_core_unit_tests
                           PRIVATE TOCSIN_VECTORS_DIR="${PROJECT_SOURCE_DIR}/proto/vectors")

if(TARGET tocsin_client_test_util)
  # The receive pipeline's checks, against a sender that seals what it likes.
  tocsin_add_test(tocsin_client_receiver_tests
                  SOURCES ${TOCSIN_CORE_TESTS_DIR}/receiver_test.cpp
                  LIBS tocsin_client_test_util)
  # A client process killed at a chosen crash point.
  add_executable(tocsin_client_crash_helper ${TOCSIN_CORE_TESTS_DIR}/crash_helper.cpp)
  target_link_libraries(tocsin_client_crash_helper PRIVATE tocsin::client tocsin_warnings)
  tocsin_add_test(tocsin_client_crash_tests
                  SOURCES ${TOCSIN_CORE_TESTS_DIR}/crash_test.cpp
                  LIBS tocsin_client_test_util)
  target_compile_definitions(tocsin_client_crash_tests PRIVATE
                             TOCSIN_CRASH_HELPER="$<TARGET_FILE:tocsin_client_crash_helper>")
  add_dependencies(tocsin_client_crash_tests tocsin_client_crash_helper)
endif()
