// mdwe_exec PROGRAM ARGS...: runs PROGRAM with the kernel's W^X rule on
// (prctl PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, Linux 6.3+), the rule systemd's
// MemoryDenyWriteExecute=yes enforces: no mapping may become writable and executable.
// The rule is kept across exec. `mdwe_exec --check` exits 0 when the kernel has the rule
// and keeps it across exec, 1 otherwise.
// Exits 125 when the kernel refuses, 127 when PROGRAM cannot run.
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {

constexpr int kPrSetMdwe = 65;
constexpr int kPrGetMdwe = 66;
constexpr unsigned long kMdweRefuseExecGain = 1;

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--report") == 0) {
    return ::prctl(kPrGetMdwe, 0UL, 0UL, 0UL, 0UL) == 1 ? 0 : 1;
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: mdwe_exec PROGRAM [ARGS...] | --check\n");
    return 2;
  }
  const bool check = std::strcmp(argv[1], "--check") == 0;
  if (::prctl(kPrSetMdwe, kMdweRefuseExecGain, 0UL, 0UL, 0UL) != 0) {
    if (check) return 1;
    std::perror("mdwe_exec: prctl(PR_SET_MDWE)");
    return 125;
  }
  if (check) {
    char report[] = "--report";
    char* args[] = {argv[0], report, nullptr};
    ::execv("/proc/self/exe", args);
    return 1;
  }
  ::execv(argv[1], argv + 1);
  std::perror("mdwe_exec: exec");
  return 127;
}
