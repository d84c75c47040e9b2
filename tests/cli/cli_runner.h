// Runs the real `tocsin` binary for tests: one-shot commands (exit code, stdout, stderr)
// and background ones (`listen`), each with its own environment and data folder.
#ifndef TOCSIN_TESTS_CLI_CLI_RUNNER_H_
#define TOCSIN_TESTS_CLI_CLI_RUNNER_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tocsin::testing {

using Env = std::map<std::string, std::string>;

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `program args...` with `env` added to ours and `input` on stdin; waits up to
// `timeout` (then kills it: exit code -1).
CliResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     const Env& env = {}, const std::string& input = "",
                     std::chrono::seconds timeout = std::chrono::seconds(120));
// RunProgram of the tocsin binary.
CliResult RunCli(const std::vector<std::string>& args, const Env& env = {},
                 const std::string& input = "",
                 std::chrono::seconds timeout = std::chrono::seconds(120));

// A background `tocsin` (listen), output to a file; SIGTERM and reaped when destroyed.
class CliProcess {
 public:
  CliProcess(const std::vector<std::string>& args, const Env& env);
  ~CliProcess();
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  bool started() const { return pid_ > 0; }
  std::string Output() const;
  std::string Errors() const;
  // Waits until the output contains `text`.
  bool WaitForOutput(const std::string& text,
                     std::chrono::milliseconds limit = std::chrono::seconds(60)) const;
  // SIGTERM and wait; returns the exit code.
  int Stop();

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

// Polls `done` every 100 ms until it holds or `limit` passes.
bool Eventually(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(60));

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_CLI_CLI_RUNNER_H_
