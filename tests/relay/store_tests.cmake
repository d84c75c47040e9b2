# Tests of relay/src/store (MailboxStore, KvStore and its fault wrapper).
add_library(tocsin_relay_store_test_util STATIC store_test_util.cpp)
target_link_libraries(tocsin_relay_store_test_util PUBLIC tocsin::relay_store Catch2::Catch2
                      PRIVATE tocsin_warnings)

tocsin_add_test(tocsin_relay_store_tests
                SOURCES store_mailbox_test.cpp store_queue_test.cpp store_prekey_test.cpp
                        store_concurrency_test.cpp store_fault_test.cpp store_model_test.cpp
                        store_kv_test.cpp
                LIBS tocsin_relay_store_test_util)
