#include "alert_text.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

namespace tocsin::cli {

namespace {

std::vector<Json> TextsJson(const std::vector<LocalizedText>& texts) {
  std::vector<Json> list;
  for (const LocalizedText& text : texts) {
    list.push_back(Json()
                       .Set("language", text.language)
                       .Set("text", text.text)
                       .Set("instructions", text.instructions));
  }
  return list;
}

const char* SeverityColour(Severity severity) {
  switch (severity) {
    case Severity::kExtreme:
      return kRedBanner;
    case Severity::kSevere:
      return kRed;
    case Severity::kModerate:
      return kYellow;
    case Severity::kMinor:
      return kCyan;
  }
  return kBold;
}

std::vector<LocalizedText> InReadingOrder(std::vector<LocalizedText> texts,
                                          const std::vector<std::string>& languages) {
  auto rank = [&](const LocalizedText& t) {
    auto it = std::find(languages.begin(), languages.end(), t.language);
    return it == languages.end() ? languages.size() : std::size_t(it - languages.begin());
  };
  std::stable_sort(texts.begin(), texts.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return texts;
}

// Every text a tree's members wrote (names, zones, texts, notes), each on one line: a
// newline in it could otherwise print a line that looks like the CLI's own (a banner).
// SafeTerminalBuf shows any control character in them.
void OneLineEach(std::vector<std::string>& texts) {
  for (std::string& text : texts) text = OneLine(text);
}

AlertInfo Shown(AlertInfo alert) {
  OneLineEach(alert.zones);
  OneLineEach(alert.roles_needed);
  for (LocalizedText& text : alert.texts) {
    text.language = OneLine(text.language);
    text.text = OneLine(text.text);
    text.instructions = OneLine(text.instructions);
  }
  alert.report_text = OneLine(alert.report_text);
  alert.report_source = OneLine(alert.report_source);
  alert.cancel_reason = OneLine(alert.cancel_reason);
  alert.verify_note = OneLine(alert.verify_note);
  return alert;
}

std::string Headline(const AlertInfo& alert) {
  std::string kind = "ALERT";
  if (alert.state == AlertState::kReported || alert.state == AlertState::kVerifying) {
    kind = "REPORT";
  }
  std::string line = kind + " " + ShortId(alert.id) + " [" + ToString(alert.severity) + ", " +
                     ToString(alert.certainty) + "]";
  if (!alert.zones.empty()) {
    line += " zones:";
    for (const auto& zone : alert.zones) line += " " + zone;
  }
  return line;
}

}  // namespace

std::string ShortId(const std::string& id) { return id.substr(0, 8); }

std::vector<std::string> Banners(const AlertInfo& alert) {
  std::vector<std::string> banners;
  if (alert.mode == AlertMode::kExercise) banners.push_back("EXERCISE");
  if (alert.mode == AlertMode::kTest) banners.push_back("TEST");
  if (!alert.verified) banners.push_back("UNVERIFIED");
  if (IsResolved(alert.state))
    banners.push_back("RESOLVED (" + std::string(ToString(alert.state)) + ")");
  if (alert.stand_by) banners.push_back("STAND BY: enough responders");
  return banners;
}

Json AlertJson(const AlertInfo& alert) {
  Json json;
  json.Set("id", alert.id).Set("tree", alert.tree).Set("state", ToString(alert.state));
  json.Set("sequence", static_cast<std::int64_t>(alert.sequence));
  json.Set("originator", alert.originator).Set("reporter", alert.reporter);
  json.Set("verified", alert.verified).Set("mode", ToString(alert.mode));
  json.Set("severity", ToString(alert.severity)).Set("certainty", ToString(alert.certainty));
  json.Set("zones", alert.zones).Set("roles_needed", alert.roles_needed);
  json.Set("asked_to_respond", alert.asked_to_respond).Set("texts", TextsJson(alert.texts));
  json.Set("report_text", alert.report_text).Set("report_source", alert.report_source);
  json.Set("resolved", IsResolved(alert.state)).Set("stand_by", alert.stand_by);
  json.Set("banners", Banners(alert)).Set("expires_at_ms", alert.expires_at_ms);
  json.Set("created_ms", alert.created_ms).Set("sent_ms", alert.sent_ms);
  if (alert.my_ack) json.Set("my_ack", ToString(*alert.my_ack));
  if (alert.verify_outcome) json.Set("verify_outcome", ToString(*alert.verify_outcome));
  if (!alert.verify_note.empty()) json.Set("verify_note", alert.verify_note);
  if (!alert.cancel_reason.empty()) json.Set("cancel_reason", alert.cancel_reason);
  return json;
}

Json BranchJson(const BranchInfo& b) {
  Json json;
  json.Set("coordinator", b.coordinator).Set("coordinator_name", b.coordinator_name);
  json.Set("held_by", b.held_by).Set("handed_over", b.handed_over);
  json.Set("coordinator_acked", b.coordinator_acked);
  json.Set("received", static_cast<std::int64_t>(b.received));
  json.Set("responding", static_cast<std::int64_t>(b.responding));
  json.Set("on_scene", static_cast<std::int64_t>(b.on_scene));
  json.Set("available_far", static_cast<std::int64_t>(b.available_far));
  json.Set("declined", static_cast<std::int64_t>(b.declined));
  json.Set("departed", static_cast<std::int64_t>(b.departed));
  json.Set("no_answer", static_cast<std::int64_t>(b.no_answer));
  json.Set("to_reach", b.to_reach).Set("to_reach_names", b.to_reach_names);
  return json;
}

Json StatusJson(const AlertStatusInfo& status) {
  std::vector<Json> branches, acks;
  for (const BranchInfo& b : status.branches) branches.push_back(BranchJson(b));
  for (const AckInfo& a : status.acks) {
    acks.push_back(Json()
                       .Set("member", a.member)
                       .Set("name", a.name)
                       .Set("kind", ToString(a.kind))
                       .Set("eta_minutes", static_cast<std::int64_t>(a.eta_minutes))
                       .Set("at_ms", a.at_ms));
  }
  Json json;
  json.Set("alert", AlertJson(status.alert)).Set("branches", branches);
  json.Set("totals", BranchJson(status.totals)).Set("acks", acks);
  json.Set("to_reach", status.to_reach);
  return json;
}

Json EventJson(const AlertEvent& event) {
  static const char* kKinds[] = {"report",        "verify_request", "verify_result", "alert",
                                 "update",        "all_clear",      "cancel",        "expired",
                                 "ack",           "status_changed", "escalation",    "handover",
                                 "security_flag", "view_accepted",  "revoked"};
  Json json;
  json.Set("type", kKinds[static_cast<int>(event.kind)]).Set("time_ms", event.time_ms);
  json.Set("tree", event.tree).Set("alert", event.alert).Set("from", event.from);
  json.Set("from_name", event.from_name);
  if (event.info) json.Set("info", AlertJson(*event.info));
  if (event.ack) {
    json.Set("ack", Json()
                        .Set("member", event.ack->member)
                        .Set("name", event.ack->name)
                        .Set("kind", ToString(event.ack->kind))
                        .Set("eta_minutes", static_cast<std::int64_t>(event.ack->eta_minutes)));
  }
  if (event.branch) json.Set("branch", BranchJson(*event.branch));
  if (event.outcome) json.Set("outcome", ToString(*event.outcome));
  if (!event.text.empty()) json.Set("text", event.text);
  if (!event.reason.empty()) json.Set("reason", event.reason);
  return json;
}

Json MemberJson(const MemberInfo& m) {
  Json json;
  json.Set("key", m.key).Set("name", m.name).Set("role", ToString(m.role));
  json.Set("parent", m.parent).Set("backup", m.backup).Set("zones", m.zones);
  json.Set("languages", m.languages).Set("skills", m.skills).Set("revoked", m.revoked);
  return json;
}

Json TreeJson(const TreeInfo& tree) {
  std::vector<Json> members;
  for (const MemberInfo& m : tree.members) members.push_back(MemberJson(m));
  Json json;
  json.Set("id", tree.id).Set("name", tree.name).Set("version", tree.version);
  json.Set("admins", tree.admins).Set("threshold", static_cast<std::int64_t>(tree.threshold));
  json.Set("admin_set_version", tree.admin_set_version);
  json.Set("pending", static_cast<std::uint64_t>(tree.pending));
  json.Set("is_admin", tree.is_admin).Set("holds_roster", tree.holds_roster);
  json.Set("me", MemberJson(tree.me)).Set("members", members);
  json.Set("ack_timeout_seconds", static_cast<std::int64_t>(tree.policy.ack_timeout.count()));
  json.Set("backs_up", tree.backs_up);
  return json;
}

std::string AlertBlock(const AlertInfo& received, const std::vector<std::string>& languages,
                       const Colours& colours) {
  const AlertInfo alert = Shown(received);
  std::ostringstream out;
  for (const std::string& banner : Banners(alert)) {
    out << colours.Paint("*** " + banner + " ***", kRedBanner) << "\n";
  }
  out << colours.Paint(Headline(alert), SeverityColour(alert.severity)) << "\n";
  if (!alert.report_text.empty() && alert.texts.empty()) {
    out << "  reported (" << alert.report_source << "): " << alert.report_text << "\n";
  }
  for (const LocalizedText& text : InReadingOrder(alert.texts, languages)) {
    out << "  [" << text.language << "] " << colours.Paint(text.text, kBold) << "\n";
    if (!text.instructions.empty()) out << "       " << text.instructions << "\n";
  }
  if (!alert.roles_needed.empty()) {
    out << "  needed:";
    for (const auto& role : alert.roles_needed) out << " " << role;
    out << (alert.asked_to_respond ? "  -> you are asked to respond" : "  (for your information)")
        << "\n";
  }
  return out.str();
}

std::string EventLine(const AlertEvent& received, const Colours& colours) {
  AlertEvent event = received;
  event.from_name = OneLine(event.from_name);
  event.text = OneLine(event.text);
  event.reason = OneLine(event.reason);
  if (event.ack) event.ack->name = OneLine(event.ack->name);
  const std::string who = event.from_name.empty() ? ShortId(event.from) : event.from_name;
  const std::string id = ShortId(event.alert);
  switch (event.kind) {
    case AlertEventKind::kAck:
      return "ack " + id + ": " +
             (event.ack ? event.ack->name + " " + ToString(event.ack->kind) +
                              (event.ack->eta_minutes
                                   ? " (ETA " + std::to_string(event.ack->eta_minutes) + " min)"
                                   : "")
                        : who);
    case AlertEventKind::kVerifyResult:
      return "verification " + id + " by " + who + ": " +
             (event.outcome ? ToString(*event.outcome) : "?") +
             (event.text.empty() ? "" : " - " + event.text);
    case AlertEventKind::kStatusChanged:
    case AlertEventKind::kEscalation:
    case AlertEventKind::kHandover: {
      std::string line = event.kind == AlertEventKind::kHandover     ? "HANDOVER "
                         : event.kind == AlertEventKind::kEscalation ? "escalation "
                                                                     : "status ";
      line += id + ": " + event.text;
      return event.kind == AlertEventKind::kStatusChanged ? line : colours.Paint(line, kYellow);
    }
    case AlertEventKind::kSecurityFlag:
      return colours.Paint("SECURITY: dropped from " + who + ": " + event.reason, kRedBanner);
    case AlertEventKind::kViewAccepted:
      return "tree view accepted (" + ShortId(event.tree) + ")";
    case AlertEventKind::kRevoked:
      return colours.Paint("member revoked: " + who + " " + event.text, kYellow);
    default:
      return std::string("event ") + id + " from " + who;
  }
}

std::string StatusText(const AlertStatusInfo& received, const Colours& colours) {
  AlertStatusInfo status = received;
  status.alert = Shown(status.alert);
  for (BranchInfo& branch : status.branches) {
    branch.coordinator_name = OneLine(branch.coordinator_name);
    OneLineEach(branch.to_reach_names);
  }
  std::ostringstream out;
  out << Headline(status.alert) << "  state " << ToString(status.alert.state) << "\n";
  for (const std::string& banner : Banners(status.alert)) out << "  *** " << banner << " ***\n";
  auto line = [&](const std::string& name, const BranchInfo& b) {
    out << "  " << std::left << std::setw(22) << name << std::right << std::setw(4) << b.responding
        << " responding " << std::setw(3) << b.on_scene << " on scene " << std::setw(3)
        << b.received << " received " << std::setw(3) << b.available_far << " far " << std::setw(3)
        << b.declined << " declined " << std::setw(3) << b.no_answer << " no answer\n";
  };
  for (const BranchInfo& b : status.branches) {
    std::string name = b.coordinator_name.empty() ? ShortId(b.coordinator) : b.coordinator_name;
    if (b.handed_over) name += " (handed over)";
    if (!b.coordinator_acked) name += " !";
    line(name, b);
    if (!b.to_reach_names.empty()) {
      std::string reach = "      reach:";
      for (const auto& n : b.to_reach_names) reach += " " + n;
      out << colours.Paint(reach, kYellow) << "\n";
    }
  }
  line("TOTAL", status.totals);
  return out.str();
}

std::string TreeText(const TreeInfo& received) {
  TreeInfo tree = received;
  tree.name = OneLine(tree.name);
  for (MemberInfo& member : tree.members) member.name = OneLine(member.name);
  std::ostringstream out;
  out << "tree " << tree.name << " (" << ShortId(tree.id) << ") version " << tree.version
      << (tree.is_admin ? ", you are an admin" : "") << "\n";
  out << "admins: " << tree.admins.size() << ", " << tree.threshold << " to sign";
  if (tree.pending > 0) out << "; " << tree.pending << " update(s) wait for co-signatures";
  out << "\nack timeout " << tree.policy.ack_timeout.count() << " s\n";
  for (const MemberInfo& m : tree.members) {
    std::string parent;
    for (const MemberInfo& p : tree.members) {
      if (p.key == m.parent) parent = p.name;
    }
    out << "  " << std::left << std::setw(20) << m.name << std::setw(12) << ToString(m.role)
        << ShortId(m.key) << (parent.empty() ? "" : "  under " + parent)
        << (m.revoked ? "  REVOKED" : "") << "\n";
  }
  return out.str();
}

}  // namespace tocsin::cli
