# Sealed sender and its primitives (SPEC.md section 10).
list(APPEND TOCSIN_CRYPTO_SOURCES
     src/crypto/kdf.cpp
     src/crypto/x25519.cpp
     src/crypto/padding.cpp
     src/crypto/static_dh_cache.cpp
     src/crypto/sealed_common.cpp
     src/crypto/sealed_v1.cpp
     src/crypto/sealed_v2.cpp)
