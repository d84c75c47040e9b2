# The libsignal layer: provider known answers, keys, padding, stores, pairwise sessions
# and sender keys, all over the real libsignal-protocol-c.
tocsin_add_test(tocsin_signal_tests
                SOURCES signal_crypto_provider_test.cpp signal_keys_test.cpp
                        signal_padding_test.cpp signal_store_test.cpp signal_session_test.cpp
                        signal_group_test.cpp
                LIBS tocsin::crypto)
target_compile_definitions(tocsin_signal_tests
                           PRIVATE TOCSIN_VECTORS_DIR="${PROJECT_SOURCE_DIR}/proto/vectors")
