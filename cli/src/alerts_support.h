// The alert service as the CLI's commands use it, and how they name trees, members and
// alerts on the command line.
#ifndef TOCSIN_CLI_ALERTS_SUPPORT_H_
#define TOCSIN_CLI_ALERTS_SUPPORT_H_

#include <string>
#include <vector>

#include "session.h"
#include "tocsin/alerts.h"

namespace tocsin::cli {

// The device's alert service. kInternal when it is not attached.
Result<AlertService*> AlertsOf(Session& session);

// A tree by name or id prefix; empty: the only tree this device holds.
Result<TreeInfo> FindTree(AlertService& alerts, const std::string& reference);
// A member by name (case-insensitive) or key prefix (at least 4 characters).
Result<MemberInfo> FindMember(const TreeInfo& tree, const std::string& reference);
// An alert by id prefix; empty or "latest": the newest one not resolved (else newest).
Result<AlertInfo> FindAlert(AlertService& alerts, const std::string& reference);

// An alert's texts and instructions as the command line gives them: --es, --en and
// --text LANG=TEXT; --es-instructions, --en-instructions and --instructions LANG=TEXT.
struct TextOptions {
  std::string es, en;
  std::vector<std::string> texts;
  std::string es_instructions, en_instructions;
  std::vector<std::string> instructions;
};

// The texts, each with its language's instructions. kInvalidArgument for a pair without
// "=", or instructions in a language that has no text.
Result<std::vector<LocalizedText>> ParseTexts(const TextOptions& options);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_ALERTS_SUPPORT_H_
