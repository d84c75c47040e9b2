// How alerts, acks and roll-ups look: on a terminal (banners, severity colours, the
// reader's language first) and as JSON.
#ifndef TOCSIN_CLI_ALERT_TEXT_H_
#define TOCSIN_CLI_ALERT_TEXT_H_

#include <string>
#include <vector>

#include "json.h"
#include "terminal.h"
#include "tocsin/alerts.h"

namespace tocsin::cli {

Json AlertJson(const AlertInfo& alert);
Json BranchJson(const BranchInfo& branch);
Json StatusJson(const AlertStatusInfo& status);
Json EventJson(const AlertEvent& event);
Json TreeJson(const TreeInfo& tree);
Json MemberJson(const MemberInfo& member);

// The banners an alert carries on every screen: EXERCISE, TEST, UNVERIFIED, RESOLVED.
std::vector<std::string> Banners(const AlertInfo& alert);

// An alert as a block of lines, texts in `languages` order first.
std::string AlertBlock(const AlertInfo& alert, const std::vector<std::string>& languages,
                       const Colours& colours);
// One line for an event that is not an alert's arrival (ack, status, escalation, ...).
std::string EventLine(const AlertEvent& event, const Colours& colours);
// The roll-up: one line per branch, totals, who to reach.
std::string StatusText(const AlertStatusInfo& status, const Colours& colours);
std::string TreeText(const TreeInfo& tree);

std::string ShortId(const std::string& id);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_ALERT_TEXT_H_
