// `tocsin-relay serve`: runs the relay until SIGTERM or SIGINT.
//
// Startup: identity, store, network workers, then the control thread (this one) with
// the admin socket, the metrics listener and the signals. When serving, the file
// <data_dir>/serving.txt says where ("listen HOST:PORT", "metrics HOST:PORT", "pid N")
// for scripts and tests; it is removed at a clean exit.
//
// Shutdown: stop accepting, let the store commit what it holds and run its callbacks
// (answers still go out), let sessions write what they queued, close everything, close
// the store, exit 0.
#ifndef TOCSIN_RELAY_ADMIN_SERVE_H_
#define TOCSIN_RELAY_ADMIN_SERVE_H_

#include "config/config.h"

namespace tocsin::relay {

inline constexpr const char* kServingFile = "serving.txt";

int RunServe(const Config& config);

// Every command logs to stderr (stdout carries only what a command prints: an address,
// an invite, stats), warnings about the config file included: main calls this first.
void LogToStderr();

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_ADMIN_SERVE_H_
