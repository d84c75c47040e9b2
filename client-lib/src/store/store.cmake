# The encrypted device store (client-lib/src/store): RocksDB column families, every
# value sealed under a passphrase-wrapped data key, per-day alert keys, passphrase input,
# and libsignal's stores on top of it.
find_package(RocksDB CONFIG REQUIRED)
add_library(tocsin_store STATIC
            src/store/columns.cpp
            src/store/sealer.cpp
            src/store/key_wrap.cpp
            src/store/passphrase_source.cpp
            src/store/store_core.cpp
            src/store/cursor.cpp
            src/store/transaction.cpp
            src/store/maintenance.cpp
            src/store/rekey.cpp
            src/store/device_store.cpp
            src/store/device_signal_store.cpp)
add_library(tocsin::store ALIAS tocsin_store)
target_include_directories(tocsin_store PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/src>)
target_link_libraries(tocsin_store
                      PUBLIC tocsin::crypto RocksDB::rocksdb-shared PkgConfig::SODIUM
                      PRIVATE tocsin_warnings)
