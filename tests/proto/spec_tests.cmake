# SPEC.md's relay protocol vectors (proto/vectors/relay.txt): signatures, hashes, pins and
# frames checked against libsodium, OpenSSL and tocsin::proto, with a tamper pass.
tocsin_add_test(tocsin_spec_vector_tests
                SOURCES spec_vectors_test.cpp
                LIBS tocsin::proto PkgConfig::SODIUM OpenSSL::Crypto)
target_compile_definitions(tocsin_spec_vector_tests
                           PRIVATE TOCSIN_VECTORS_DIR="${PROJECT_SOURCE_DIR}/proto/vectors")
