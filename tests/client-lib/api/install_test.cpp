// The installed package: `cmake --install` of libtocsin into a temporary prefix, the
// example program configured and built against it with find_package(tocsin), the
// pkg-config file, and the example run against a real relay.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "client_test_util.h"
#include "tocsin/relay_address.h"

namespace tocsin::testing {
namespace {

// Runs a shell command; its output goes to `log`.
int Run(const std::string& command, const std::filesystem::path& log) {
  const std::string full = command + " >>" + log.string() + " 2>&1";
  const int status = std::system(full.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The text form of an invite, as `tocsin-relay invite create` prints it: the raw bytes
// would not survive the shell.
std::string InviteText(const RelayProcess& relay) {
  const std::string bytes = Invite(relay, 10);
  return Base32Encode({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

std::string Read(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_CASE("the installed package builds and runs the example", "[install][relay]") {
  TempFolder folder;
  const auto prefix = folder.path() / "prefix";
  const auto build = folder.path() / "build";
  const auto log = folder.path() / "log.txt";
  const std::string cmake = TOCSIN_CMAKE_COMMAND;
  REQUIRE(Run(cmake + " --install " TOCSIN_BUILD_DIR " --component tocsin_client --prefix " +
                  prefix.string(),
              log) == 0);
  CHECK(std::filesystem::exists(prefix / "include/tocsin/client.h"));
  CHECK(std::filesystem::exists(prefix / "include/tocsin/status.h"));
  const std::string configure = cmake + " -S " TOCSIN_SOURCE_DIR "/client-lib/examples -B " +
                                build.string() + " -DCMAKE_PREFIX_PATH=" + prefix.string() +
                                " -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS='" +
                                TOCSIN_EXAMPLE_FLAGS + "'";
  REQUIRE(Run(configure, log) == 0);
  REQUIRE(Run(cmake + " --build " + build.string(), log) == 0);
  const auto example = build / "send_receive";
  REQUIRE(std::filesystem::exists(example));

  // pkg-config finds the same library, and its flags build the example on their own.
  const std::string pkg_config =
      "PKG_CONFIG_PATH=" + (prefix / "lib/pkgconfig").string() + " pkg-config ";
  CHECK(Run(pkg_config + "--libs tocsin", log) == 0);
  CHECK(Read(log).find("-ltocsin") != std::string::npos);
  const auto by_pkg_config = build / "send_receive_pc";
  const std::string compile = std::string(TOCSIN_CXX_COMPILER) + " " + TOCSIN_EXAMPLE_FLAGS + " " +
                              TOCSIN_SOURCE_DIR "/client-lib/examples/send_receive.cpp -o " +
                              by_pkg_config.string() + " $(" + pkg_config +
                              "--cflags --libs tocsin)";
  REQUIRE(Run(compile, log) == 0);
  // It loads the installed library and runs (without arguments: its usage, exit 2).
  const auto usage = folder.path() / "usage.txt";
  CHECK(Run("LD_LIBRARY_PATH=" + (prefix / "lib").string() + " " + by_pkg_config.string(), usage) ==
        2);
  CHECK(Read(usage).find("usage:") != std::string::npos);

  auto relay = StartRelay();
  const auto out = folder.path() / "example.txt";
  const std::string args = " '" + relay->address().ToString() + "' " + InviteText(*relay) + " " +
                           (folder.path() / "data").string();
  const int code = Run(example.string() + args, out);
  INFO(Read(out));
  REQUIRE(code == 0);
  const std::string printed = Read(out);
  CHECK(printed.find("Bob received: Hello Bob, this is Alice.") != std::string::npos);
  CHECK(printed.find("Alice received: Hello Alice.") != std::string::npos);
}

}  // namespace
}  // namespace tocsin::testing
