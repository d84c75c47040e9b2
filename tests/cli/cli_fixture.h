// Devices made with the real `tocsin` binary for tests: a temporary data folder each,
// the passphrase through TOCSIN_PASSPHRASE (as scripted runs do) and a cheap Argon2.
#ifndef TOCSIN_TESTS_CLI_CLI_FIXTURE_H_
#define TOCSIN_TESTS_CLI_CLI_FIXTURE_H_

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "relay_process.h"

namespace tocsin::testing {

inline constexpr const char* kTestPassphrase = "correct horse battery staple";

// An invite code (base32 text, as `tocsin-relay invite create` prints it).
inline std::string InviteCode(const RelayProcess& relay) {
  std::string code;
  REQUIRE(Eventually([&] {
    CommandResult r = relay.RunCommand({"invite", "create", "--uses", "50", "--expires", "7d"});
    code = r.output.substr(0, r.output.find('\n'));
    return r.exit_code == 0 && !code.empty();
  }));
  return code;
}

inline std::unique_ptr<RelayProcess> StartedRelay() {
  auto relay = std::make_unique<RelayProcess>();
  REQUIRE(relay->init_status().ok());
  REQUIRE(relay->Start().ok());
  return relay;
}

class TestDevice {
 public:
  explicit TestDevice(std::string name)
      : name_(std::move(name)), dir_(RelayProcess::MakeTempDir("tocsin-cli-dev-")) {
    env_ = {{"TOCSIN_PASSPHRASE", kTestPassphrase}, {"TOCSIN_LINGER_SECONDS", "1"}};
  }
  ~TestDevice() {
    listen_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& name() const { return name_; }
  std::string data() const { return dir_ + "/data"; }
  const Env& env() const { return env_; }

  // `tocsin --data DIR args...` with the passphrase in the environment.
  CliResult Run(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {"--data", data()});
    return RunCli(args, env_, input);
  }
  void Init(const std::vector<const RelayProcess*>& relays) {
    std::vector<std::string> args = {"init", "--name", name_, "--insecure-fast-kdf"};
    for (const RelayProcess* relay : relays) {
      args.insert(args.end(),
                  {"--relay", relay->address().ToString(), "--invite", InviteCode(*relay)});
    }
    CliResult r = Run(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  std::string Card() const {
    CliResult r = Run({"card"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return r.out.substr(0, r.out.find('\n'));
  }
  CliProcess& Listen(std::vector<std::string> extra = {"--json"}) {
    std::vector<std::string> args = {"--data", data(), "listen"};
    args.insert(args.end(), extra.begin(), extra.end());
    listen_ = std::make_unique<CliProcess>(args, env_);
    REQUIRE(listen_->started());
    REQUIRE(Eventually([&] { return std::filesystem::exists(data() + "/control.sock"); }));
    return *listen_;
  }
  CliProcess* listener() { return listen_.get(); }
  void StopListening() { listen_.reset(); }

 private:
  std::string name_;
  std::string dir_;
  Env env_;
  std::unique_ptr<CliProcess> listen_;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_CLI_CLI_FIXTURE_H_
