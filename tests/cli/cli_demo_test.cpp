// `make demo`'s script in its quick mode (2 responders per zone): it must tell the whole
// story and clean up after itself.
#include <catch2/catch.hpp>
#include <filesystem>

#include "cli_runner.h"
#include "relay_process.h"

namespace tocsin::testing {
namespace {

TEST_CASE("the demo script runs one whole alert in quick mode and cleans up", "[cli][demo]") {
  const std::string tmp = RelayProcess::MakeTempDir("tocsin-demo-test-");
  CliResult r = RunProgram("/bin/bash", {TOCSIN_DEMO_SCRIPT, "--quick"},
                           {{"TOCSIN_BIN", TOCSIN_CLI_BINARY},
                            {"TOCSIN_RELAY_BIN", TOCSIN_RELAY_BINARY},
                            {"TMPDIR", tmp}},
                           "", std::chrono::seconds(240));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("cleaned up") != std::string::npos);
#ifdef TOCSIN_CLI_ALERTS
  CHECK(r.out.find("RESOLVED") != std::string::npos);
  CHECK(r.out.find("TOTAL") != std::string::npos);
#endif
  CHECK(std::filesystem::is_empty(tmp));  // the demo's folder is gone
  std::filesystem::remove_all(tmp);
}

}  // namespace
}  // namespace tocsin::testing
