# Thin wrapper around CMake. `make test` is the one command that sets up, builds and
# tests on a fresh Debian 12 machine.
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
FORMAT_DIRS := proto client-lib relay cli tests
FORMAT_FILES = $(shell find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.cpp' \) 2>/dev/null)

.PHONY: all deps build test demo asan tsan fuzz bench package format check-format clean

all: build

deps:
	@bash deploy/install-deps.sh

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTOCSIN_WERROR=ON $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS)

test: build
	cd build && ctest --output-on-failure -j $(JOBS)

# One whole alert on a local network: two relays, a dispatcher, 3 coordinators with
# backups, 2 verifiers and 30 responders (cli/demo/demo.sh; docs/dispatchers.md).
# Builds only the two programs it runs, in the same build/ as `make test`.
demo: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTOCSIN_WERROR=ON $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS) --target tocsin tocsin-relay
	bash cli/demo/demo.sh

# The sanitizer and fuzz builds keep line tables only (-g1): their reports still name
# the function, file and line of every frame, and compiling takes a third less time
# than with full debug information. They are unity builds (CMAKE_UNITY_BUILD: a
# target's sources compiled eight to a file), which parse each header once per eight
# files instead of once per file; the Release build of `make test` stays one file at a
# time, so that every file keeps compiling on its own (docs/building.md).
UNITY := -DCMAKE_UNITY_BUILD=ON
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOCSIN_SANITIZE=ON $(UNITY) \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DTOCSIN_WERROR=ON \
	  -DTOCSIN_BUILD_BENCHMARKS=OFF $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer over the relay: its store (writer, sweeper and readers on their own
# threads) and the real relay binary (network workers, fan-out, store) under the server
# tests. A race report stops the relay (halt_on_error) and fails the test; the canary
# (tests/tsan/) passes only when its deliberate race is reported.
TSAN_TESTS := tocsin_tsan_canary tocsin_relay_store_tests tocsin_relay_server_tests tocsin_relay_durability_tests \
  tocsin_relay_limits_tests tocsin_relay_transport_tests tocsin_relay_protocol_tests
tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOCSIN_TSAN=ON $(UNITY) \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DTOCSIN_WERROR=ON \
	  -DTOCSIN_BUILD_BENCHMARKS=OFF $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS) --target tocsin-relay $(TSAN_TESTS)
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan/tsan.supp" \
	  ctest --output-on-failure -j $(JOBS) -R '^($(shell echo $(TSAN_TESTS) | tr ' ' '|')):'

# libFuzzer (clang) over every target of tests/fuzz, FUZZ_SECONDS each, two at a time;
# summary in build-fuzz/fuzz/summary.txt (tests/fuzz/README.md).
FUZZ_SECONDS ?= 60
fuzz:
	@bash deploy/install-deps.sh --fuzz
	CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DTOCSIN_FUZZ=ON -DTOCSIN_WERROR=OFF $(UNITY) \
	  -DTOCSIN_BUILD_BENCHMARKS=OFF $(CMAKE_FLAGS)
	cmake --build build-fuzz -j $(JOBS) --target tocsin_fuzzers
	bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# Benchmarks print medians; see docs/PERFORMANCE.md.
bench: build
	./build/tests/load/tocsin_sealed_bench
	./build/tests/load/tocsin_signal_bench
	./build/tests/load/tocsin_device_store_bench
	./build/tests/load/tocsin_store_bench

# The Debian package: build/tocsin_<version>_amd64.deb (docs/operators.md).
package: build
	cd build && cpack -G DEB

format:
	clang-format -i $(FORMAT_FILES)

check-format: deps
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build build-asan build-tsan build-fuzz
