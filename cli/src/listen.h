// What `tocsin listen` prints, shared by its client events (cmd_listen.cpp) and its
// alert events (alerts_support.cpp): one writer, so lines never interleave.
#ifndef TOCSIN_CLI_LISTEN_H_
#define TOCSIN_CLI_LISTEN_H_

#include <atomic>
#include <iosfwd>
#include <mutex>
#include <string>

#include "json.h"
#include "session.h"
#include "terminal.h"

namespace tocsin::cli {

struct ListenOptions {
  bool json = false;
  std::string exec;  // run per alert/message with its JSON on stdin
  bool bell = true;
  bool colour = false;
  bool keys = false;        // one-key acks on the terminal
  int count = 0;            // stop after this many shown events (0: never)
  int timeout_seconds = 0;  // stop after this long (0: never)
};

// Thread-safe.
class ListenOutput {
 public:
  ListenOutput(std::ostream& out, ListenOptions options);

  const ListenOptions& options() const { return options_; }
  const Colours& colours() const { return colours_; }

  // Prints one event: `json` as a line with --json, else `text` (and the bell when
  // `ring`). `counts`: it counts toward --count. `hook`: run --exec with the JSON.
  void Emit(const Json& json, const std::string& text, bool ring, bool counts, bool hook);
  // A plain note (not with --json).
  void Note(const std::string& text);
  int shown() const { return shown_; }

 private:
  void RunHook(const std::string& json_line);
  void ReapHooks();

  std::ostream& out_;
  ListenOptions options_;
  Colours colours_;
  std::mutex mutex_;
  std::atomic<int> shown_{0};
};

// Alert-tree support in listen (alerts_support.cpp; a no-op without it).
// Starts printing alert events. kOk when there is nothing to start.
Status StartAlertEvents(Device& device, ListenOutput& output);
void StopAlertEvents(Device& device);
// A key pressed on the listen screen: acks the last alert shown. True when handled.
bool HandleAlertKey(Device& device, char key, ListenOutput& output);
// The line of key help shown under an alert ("" without alert support).
std::string AlertKeyHelp();

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_LISTEN_H_
