# Sealed sender, HKDF and padding: known answers (proto/vectors), round trips, tampering.
tocsin_add_test(tocsin_sealed_tests
                SOURCES kdf_test.cpp padding_test.cpp sealed_v1_test.cpp sealed_v2_test.cpp
                        sealed_vectors_test.cpp
                LIBS tocsin::crypto)
target_compile_definitions(tocsin_sealed_tests
                           PRIVATE TOCSIN_VECTORS_DIR="${PROJECT_SOURCE_DIR}/proto/vectors")
