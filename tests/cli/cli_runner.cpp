#include "cli_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "relay_process.h"

extern char** environ;

namespace tocsin::testing {

namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Environment(const Env& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (extra.count(name) == 0 && name != "TOCSIN_PASSPHRASE") env.push_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

pid_t Spawn(const std::string& program, const std::vector<std::string>& args, const Env& env,
            const std::string& in, const std::string& out, const std::string& err) {
  std::vector<std::string> all = {program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text = Environment(env);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  // A session of its own: no controlling terminal, so a missing passphrase can never
  // turn into a prompt that waits for a person.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int WaitFor(pid_t pid, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (r < 0 || std::chrono::steady_clock::now() > end) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

CliResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     const Env& env, const std::string& input, std::chrono::seconds timeout) {
  const std::string dir = RelayProcess::MakeTempDir("tocsin-cli-run-");
  {
    std::ofstream in(dir + "/in", std::ios::binary);
    in << input;
  }
  CliResult result;
  const pid_t pid = Spawn(program, args, env, dir + "/in", dir + "/out", dir + "/err");
  if (pid > 0) {
    result.exit_code = WaitFor(pid, timeout);
    if (result.exit_code < 0) {
      ::kill(pid, SIGKILL);
      WaitFor(pid, std::chrono::seconds(30));
    }
  }
  result.out = ReadText(dir + "/out");
  result.err = ReadText(dir + "/err");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

CliResult RunCli(const std::vector<std::string>& args, const Env& env, const std::string& input,
                 std::chrono::seconds timeout) {
  return RunProgram(TOCSIN_CLI_BINARY, args, env, input, timeout);
}

CliProcess::CliProcess(const std::vector<std::string>& args, const Env& env)
    : dir_(RelayProcess::MakeTempDir("tocsin-cli-bg-")) {
  pid_ = Spawn(TOCSIN_CLI_BINARY, args, env, "/dev/null", dir_ + "/out", dir_ + "/err");
}

CliProcess::~CliProcess() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string CliProcess::Output() const { return ReadText(dir_ + "/out"); }
std::string CliProcess::Errors() const { return ReadText(dir_ + "/err"); }

bool CliProcess::WaitForOutput(const std::string& text, std::chrono::milliseconds limit) const {
  return Eventually([&] { return Output().find(text) != std::string::npos; }, limit);
}

int CliProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int code = WaitFor(pid_, std::chrono::seconds(30));
  if (code < 0) {
    ::kill(pid_, SIGKILL);
    code = WaitFor(pid_, std::chrono::seconds(30));
  }
  pid_ = -1;
  return code;
}

bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

}  // namespace tocsin::testing
