// The admin commands (invite create, stats, check, backup) and the line protocol that
// carries them over the admin Unix socket (docs/architecture.md "Admin socket").
//
// Request: one line, words separated by single spaces, ended by "\n":
//   invite <uses> <expires_at_unix_ms>      (0: never expires)
//   stats
//   check
//   backup <absolute folder>                (must not exist yet; the rest of the line)
// Reply: zero or more lines "| <text>" to print, then one line "ok" or
// "error <message>". The server closes the connection after the reply.
//
// The same RunAdminCommand serves the socket (relay running) and the command line
// acting on the data folder directly (relay stopped), so both print the same.
#ifndef TOCSIN_RELAY_ADMIN_ADMIN_PROTOCOL_H_
#define TOCSIN_RELAY_ADMIN_ADMIN_PROTOCOL_H_

#include <string>
#include <string_view>

#include "config/config.h"
#include "store/mailbox_store.h"
#include "tocsin/status.h"

namespace tocsin::relay {

inline constexpr std::size_t kMaxAdminLine = 4096;

// Runs one request line against `store`. Returns the text to print (lines ending in
// "\n") or an error. Blocks until the store answers.
Result<std::string> RunAdminCommand(MailboxStore& store, const Config& config,
                                    std::string_view line);

// The reply for `result`, as sent on the socket.
std::string EncodeAdminReply(const Result<std::string>& result);
// Parses a whole reply; kUnavailable when it is cut short.
Result<std::string> DecodeAdminReply(std::string_view reply);

// Copies relay.key, relay.crt and relay.toml of config.data_dir into `dir` (after the
// store's checkpoint went to dir/store), so that `dir` is a complete data folder.
Status CopyIdentityFiles(const Config& config, const std::string& dir);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_ADMIN_ADMIN_PROTOCOL_H_
