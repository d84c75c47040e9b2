// A client process for the crash tests: opens the device in a folder, arranges to be
// killed (SIGKILL: no destructor runs, nothing is flushed) at one crash point, then
// sends a message or waits for one.
//
//   tocsin_client_crash_helper <dir> <point> send <contact id> <text>
//   tocsin_client_crash_helper <dir> <point> send-group <group id> <text>
//   tocsin_client_crash_helper <dir> <point> receive
//
// <point>: after-outbox-commit, after-stored, after-decrypt, after-commit
// (core/crash_points.h). Exits 3 when the point was not reached within 60 s, 2 on a
// usage or open error.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include "core/crash_points.h"
#include "tocsin/client.h"

namespace {

tocsin::core::CrashPoint g_target;

void Die(tocsin::core::CrashPoint point) {
  if (point == g_target) std::raise(SIGKILL);
}

bool ParsePoint(const char* name, tocsin::core::CrashPoint* point) {
  using tocsin::core::CrashPoint;
  for (CrashPoint p : {CrashPoint::kAfterOutboxCommit, CrashPoint::kAfterStoredBeforeDelete,
                       CrashPoint::kAfterDecryptBeforeCommit, CrashPoint::kAfterCommitBeforeAck}) {
    if (tocsin::core::CrashPointName(p) == name) {
      *point = p;
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || !ParsePoint(argv[2], &g_target)) {
    std::fprintf(stderr, "usage: %s <dir> <point> send|send-group <to> <text> | receive\n",
                 argv[0]);
    return 2;
  }
  auto passphrase = tocsin::Passphrase::FromString("test passphrase");
  tocsin::ClientOptions options;
  options.kdf = tocsin::KdfCost::kMinimum;
  options.retry_min = std::chrono::milliseconds(200);
  options.maintenance_interval = std::chrono::milliseconds(200);
  tocsin::core::SetCrashHook(&Die);
  auto client = tocsin::Client::Open(argv[1], *passphrase, options);
  if (!client.ok()) {
    std::fprintf(stderr, "open: %s\n", client.status().ToString().c_str());
    return 2;
  }
  const bool pairwise = std::strcmp(argv[3], "send") == 0;
  if ((pairwise || std::strcmp(argv[3], "send-group") == 0) && argc == 6) {
    auto sent = pairwise ? (*client)->SendText(argv[4], argv[5])
                         : (*client)->SendGroupText(argv[4], argv[5]);
    if (!sent.ok()) {
      std::fprintf(stderr, "send: %s\n", sent.status().ToString().c_str());
      return 2;
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(60));
  return 3;
}
