# The client's encrypted device store: open, commits, reads, re-key, purge.
add_executable(tocsin_device_store_bench device_store_bench.cpp)
target_link_libraries(tocsin_device_store_bench PRIVATE tocsin::store tocsin_warnings)
target_include_directories(tocsin_device_store_bench
                           PRIVATE ${PROJECT_SOURCE_DIR}/tests/client-lib/store)
