# tocsin_relay_store: the relay's mailbox store (MailboxStore) over a narrow key-value
# layer (KvStore: RocksDB, in-memory, fault-injecting). Users include "store/...".
add_library(tocsin_relay_store STATIC
  ${CMAKE_CURRENT_LIST_DIR}/kv_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/kv_faults.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rocksdb_kv.cpp
  ${CMAKE_CURRENT_LIST_DIR}/records.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mailbox_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_recovery.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_state.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_read.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ops_mailbox.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ops_queue.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ops_prekey.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ops_sweep.cpp)
add_library(tocsin::relay_store ALIAS tocsin_relay_store)
target_include_directories(tocsin_relay_store PUBLIC
                           $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/..>)
target_link_libraries(tocsin_relay_store
                      PUBLIC tocsin::proto RocksDB::rocksdb-shared PkgConfig::SODIUM Threads::Threads
                      PRIVATE tocsin_warnings)
