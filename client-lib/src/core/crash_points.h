// Crash points: the places where a crash matters most for docs/design.md's "crash safety
// is transactional", named so that tests can kill the process exactly there.
//
// In production no hook is set and a crash point costs one atomic load. A test helper
// process sets a hook that kills it (SIGKILL: no destructor, no flush), then a fresh
// client opens the same folder and the test checks that nothing was lost or doubled.
//
// Thread-safety: SetCrashHook before the client starts; CrashPoint from any thread.
#ifndef TOCSIN_CORE_CRASH_POINTS_H_
#define TOCSIN_CORE_CRASH_POINTS_H_

#include <string_view>

namespace tocsin::core {

enum class CrashPoint {
  kAfterOutboxCommit,         // a send is committed to the outbox, nothing has left yet
  kAfterStoredBeforeDelete,   // a relay answered Stored, the outbox entry is still there
  kAfterDecryptBeforeCommit,  // a message is decrypted, nothing is committed yet
  kAfterCommitBeforeAck,      // a message is committed, the relay was not acked
};

// "after-outbox-commit", "after-stored", "after-decrypt", "after-commit": for test
// helpers that take the point as an argument.
std::string_view CrashPointName(CrashPoint point);

using CrashHook = void (*)(CrashPoint point);

// WARNING: tests only. `hook` (null: none) is called at every crash point.
void SetCrashHook(CrashHook hook);

void ReachCrashPoint(CrashPoint point);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_CRASH_POINTS_H_
