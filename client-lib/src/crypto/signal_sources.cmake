# The libsignal-protocol-c crypto provider and the C++ layer over libsignal: RAII, stores,
# keys, pairwise sessions, sender keys and content padding.
list(APPEND TOCSIN_CRYPTO_SOURCES
     src/crypto/signal_crypto_provider.cpp
     src/crypto/signal_context.cpp
     src/crypto/signal_store_context.cpp
     src/crypto/signal_memory_store.cpp
     src/crypto/signal_keys.cpp
     src/crypto/signal_xeddsa.cpp
     src/crypto/signal_padding.cpp
     src/crypto/signal_message.cpp
     src/crypto/signal_session.cpp
     src/crypto/signal_group.cpp)
