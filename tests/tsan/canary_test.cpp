// The canary of `make tsan`: a race in the program's own std::string code, which
// ThreadSanitizer must still report under the build's suppressions (tests/tsan/tsan.supp
// leaves libstdc++'s own accesses unchecked) and its linker version script
// (tests/tsan/exports.map). ctest passes it only on the report (CMakeLists.txt).
#include <catch2/catch.hpp>

#include <string>
#include <thread>

namespace {

TEST_CASE("a race in the program's own string code is still reported", "[tsan]") {
  std::string shared(64, 'a');
  std::size_t seen = 0;
  std::thread writer([&] {
    for (int i = 0; i < 1000; ++i) shared.append("xy");
  });
  std::thread reader([&] {
    for (int i = 0; i < 1000; ++i) seen += std::string(shared).size();
  });
  writer.join();
  reader.join();
  CHECK(seen > 0);
}

}  // namespace
