// mdwe_exec [--prctl] PROGRAM ARGS...: runs PROGRAM under the rule of systemd's
// MemoryDenyWriteExecute=yes, on any kernel: the seccomp filter systemd 252 installs for
// it (mmap with both PROT_WRITE and PROT_EXEC, mprotect and pkey_mprotect with
// PROT_EXEC, shmat with SHM_EXEC fail with EPERM). With --prctl, also the kernel's own
// W^X rule (prctl PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, Linux 6.3+), which newer
// systemd versions use where the kernel has it. Both are kept across exec.
//
// mdwe_exec --self-test: installs the filter and exits 0 when it refuses what systemd
// refuses and allows what a program needs (read-write memory, read-only protection).
// mdwe_exec --check: exits 0 when the kernel has PR_SET_MDWE and keeps it across exec.
// Exits 125 when the kernel refuses a rule, 127 when PROGRAM cannot run.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

constexpr int kPrSetMdwe = 65;
constexpr int kPrGetMdwe = 66;
constexpr unsigned long kMdweRefuseExecGain = 1;

#if defined(__x86_64__)
constexpr std::uint32_t kNativeArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
#else
#error "mdwe_exec: add this architecture's AUDIT_ARCH"
#endif

constexpr std::uint32_t kArchOffset = offsetof(seccomp_data, arch);
constexpr std::uint32_t kNrOffset = offsetof(seccomp_data, nr);
// The low 32 bits of the third argument (prot of mmap and mprotect, shmflg of shmat);
// little-endian on both architectures above.
constexpr std::uint32_t kArg2Offset = offsetof(seccomp_data, args) + 2 * sizeof(std::uint64_t);

sock_filter Statement(std::uint16_t code, std::uint32_t k) { return sock_filter{code, 0, 0, k}; }

// A conditional jump at index `at` to the absolute indices `if_true` / `if_false`.
sock_filter JumpTo(std::uint16_t code, std::uint32_t k, std::size_t at, std::size_t if_true,
                   std::size_t if_false) {
  return sock_filter{code, static_cast<std::uint8_t>(if_true - at - 1),
                     static_cast<std::uint8_t>(if_false - at - 1), k};
}

// systemd 252's filter for MemoryDenyWriteExecute (src/shared/seccomp-util.c), as BPF.
std::vector<sock_filter> MemoryDenyWriteExecuteFilter() {
  constexpr std::uint16_t kLoad = BPF_LD | BPF_W | BPF_ABS;
  constexpr std::uint16_t kEquals = BPF_JMP | BPF_JEQ | BPF_K;
  constexpr std::uint16_t kAnyBit = BPF_JMP | BPF_JSET | BPF_K;
  constexpr std::uint32_t kWriteExec = PROT_WRITE | PROT_EXEC;
  enum : std::size_t { kMmap = 8, kMprotect = 11, kShmat = 13, kAllow = 15, kDeny = 16 };
  return {
      Statement(kLoad, kArchOffset),                                               // 0
      JumpTo(kEquals, kNativeArch, 1, 2, kAllow),                                  // 1
      Statement(kLoad, kNrOffset),                                                 // 2
      JumpTo(kEquals, SYS_mmap, 3, kMmap, 4),                                      // 3
      JumpTo(kEquals, SYS_mprotect, 4, kMprotect, 5),                              // 4
      JumpTo(kEquals, SYS_pkey_mprotect, 5, kMprotect, 6),                         // 5
      JumpTo(kEquals, SYS_shmat, 6, kShmat, 7),                                    // 6
      Statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                               // 7
      Statement(kLoad, kArg2Offset),                                               // 8: mmap
      Statement(BPF_ALU | BPF_AND | BPF_K, kWriteExec),                            // 9
      JumpTo(kEquals, kWriteExec, 10, kDeny, kAllow),                              // 10
      Statement(kLoad, kArg2Offset),                                               // 11: mprotect
      JumpTo(kAnyBit, PROT_EXEC, 12, kDeny, kAllow),                               // 12
      Statement(kLoad, kArg2Offset),                                               // 13: shmat
      JumpTo(kAnyBit, SHM_EXEC, 14, kDeny, kAllow),                                // 14
      Statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                               // 15
      Statement(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),  // 16
  };
}

bool InstallFilter() {
  std::vector<sock_filter> filter = MemoryDenyWriteExecuteFilter();
  sock_fprog program{static_cast<unsigned short>(filter.size()), filter.data()};
  // An unprivileged process may install a filter only once it cannot gain privileges.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) != 0) return false;
  return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0UL, 0UL) == 0;
}

bool Refused(bool refused_with_eperm, const char* what) {
  if (!refused_with_eperm) std::fprintf(stderr, "mdwe_exec: %s was not refused (EPERM)\n", what);
  return refused_with_eperm;
}

bool Allowed(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "mdwe_exec: %s failed: %s\n", what, std::strerror(errno));
  return ok;
}

// The filter refuses write+execute mappings and gaining execute, and allows the rest.
int SelfTest() {
  if (!InstallFilter()) return 125;
  constexpr std::size_t kSize = 4096;
  constexpr int kFlags = MAP_PRIVATE | MAP_ANONYMOUS;
  void* wx = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE | PROT_EXEC, kFlags, -1, 0);
  bool ok = Refused(wx == MAP_FAILED && errno == EPERM, "mmap(PROT_WRITE | PROT_EXEC)");
  void* page = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, kFlags, -1, 0);
  if (!Allowed(page != MAP_FAILED, "mmap(PROT_READ | PROT_WRITE)")) return 1;
  const int gain = ::mprotect(page, kSize, PROT_READ | PROT_EXEC);
  ok = Refused(gain != 0 && errno == EPERM, "mprotect(PROT_EXEC)") && ok;
  ok = Allowed(::mprotect(page, kSize, PROT_READ) == 0, "mprotect(PROT_READ)") && ok;
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--report") == 0) {
    return ::prctl(kPrGetMdwe, 0UL, 0UL, 0UL, 0UL) == 1 ? 0 : 1;
  }
  if (argc == 2 && std::strcmp(argv[1], "--self-test") == 0) return SelfTest();
  if (argc == 2 && std::strcmp(argv[1], "--check") == 0) {
    if (::prctl(kPrSetMdwe, kMdweRefuseExecGain, 0UL, 0UL, 0UL) != 0) return 1;
    char report[] = "--report";
    char* args[] = {argv[0], report, nullptr};
    ::execv("/proc/self/exe", args);
    return 1;
  }
  int first = 1;
  const bool with_prctl = argc > 1 && std::strcmp(argv[1], "--prctl") == 0;
  if (with_prctl) ++first;
  if (first >= argc) {
    std::fprintf(stderr, "usage: mdwe_exec [--prctl] PROGRAM [ARGS...] | --self-test | --check\n");
    return 2;
  }
  if (!InstallFilter()) {
    std::perror("mdwe_exec: seccomp filter");
    return 125;
  }
  if (with_prctl && ::prctl(kPrSetMdwe, kMdweRefuseExecGain, 0UL, 0UL, 0UL) != 0) {
    std::perror("mdwe_exec: prctl(PR_SET_MDWE)");
    return 125;
  }
  ::execv(argv[first], argv + first);
  std::perror("mdwe_exec: exec");
  return 127;
}
