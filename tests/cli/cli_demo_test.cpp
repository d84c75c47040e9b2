// `make demo`'s script in its quick mode (2 responders per zone): it must tell the whole
// story, each scene checked by the script itself, and clean up after itself; and when a
// scene does not happen (no handover to the backup), it must fail.
#include <catch2/catch.hpp>
#include <filesystem>

#include "cli_runner.h"
#include "relay_process.h"

namespace tocsin::testing {
namespace {

CliResult RunDemo(const std::string& tmp, const std::vector<std::string>& options) {
  std::vector<std::string> args = {TOCSIN_DEMO_SCRIPT};
  args.insert(args.end(), options.begin(), options.end());
  return RunProgram("/bin/bash", args,
                    {{"TOCSIN_BIN", TOCSIN_CLI_BINARY},
                     {"TOCSIN_RELAY_BIN", TOCSIN_RELAY_BINARY},
                     {"TMPDIR", tmp}},
                    "", std::chrono::seconds(240));
}

// True when `lines` appear in `text` in this order.
bool InOrder(const std::string& text, const std::vector<std::string>& lines) {
  std::size_t at = 0;
  for (const auto& line : lines) {
    at = text.find(line, at);
    if (at == std::string::npos) {
      UNSCOPED_INFO("missing, or out of order: " << line);
      return false;
    }
    at += line.size();
  }
  return true;
}

TEST_CASE("the demo script runs one whole alert in quick mode and cleans up", "[cli][demo]") {
  const std::string tmp = RelayProcess::MakeTempDir("tocsin-demo-test-");
  CliResult r = RunDemo(tmp, {"--quick"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("relay 2 on 127.0.0.1:") != std::string::npos);
#ifdef TOCSIN_CLI_ALERTS
  CHECK(InOrder(
      r.out,
      {"UNVERIFIED", "the dispatcher sees it, marked UNVERIFIED",
       "verification: verifier-1 answers confirmed", "responder-1's screen (verified", "dispatched",
       "acks rolled up at the dispatcher: 1 responding, 1 on scene",
       "coord-1 never answered: the dispatcher handed its branch to backup-1",
       "coord-1 (handed over)", "the update reached the zone",
       "responders' screens show the alert as resolved", "RESOLVED (all_clear)", "cleaned up"}));
  CHECK(r.out.find("NOTE") == std::string::npos);
#endif
  CHECK(r.out.find("cleaned up") != std::string::npos);
  CHECK(std::filesystem::is_empty(tmp));  // the demo's folder and the relays' are gone
  std::filesystem::remove_all(tmp);
}

#ifdef TOCSIN_CLI_ALERTS
TEST_CASE("the demo fails when the backup does not take over", "[cli][demo]") {
  const std::string tmp = RelayProcess::MakeTempDir("tocsin-demo-test-");
  CliResult r = RunDemo(tmp, {"--quick", "--keep-coordinator"});
  INFO(r.out << r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("backup-1 showed no handover") != std::string::npos);
  CHECK(r.out.find("handed its branch to backup-1") == std::string::npos);
  CHECK(std::filesystem::is_empty(tmp));  // cleaned up all the same
  std::filesystem::remove_all(tmp);
}
#endif

}  // namespace
}  // namespace tocsin::testing
