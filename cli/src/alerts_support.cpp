#include "alerts_support.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "alert_text.h"
#include "listen.h"

namespace tocsin::cli {

namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

AlertService* Service(Device& device) { return static_cast<AlertService*>(device.alerts.get()); }

// The alert the listen screen showed last: what a key acks.
std::mutex g_last_mutex;
AlertId g_last_alert;

bool IsArrival(AlertEventKind kind) {
  switch (kind) {
    case AlertEventKind::kReport:
    case AlertEventKind::kVerifyRequest:
    case AlertEventKind::kAlert:
    case AlertEventKind::kUpdate:
    case AlertEventKind::kAllClear:
    case AlertEventKind::kCancel:
    case AlertEventKind::kExpired:
      return true;
    default:
      return false;
  }
}

std::string ArrivalTitle(AlertEventKind kind) {
  switch (kind) {
    case AlertEventKind::kReport:
      return "NEW REPORT";
    case AlertEventKind::kVerifyRequest:
      return "PLEASE VERIFY";
    case AlertEventKind::kUpdate:
      return "UPDATE";
    case AlertEventKind::kAllClear:
      return "ALL CLEAR";
    case AlertEventKind::kCancel:
      return "CANCELLED";
    case AlertEventKind::kExpired:
      return "EXPIRED";
    default:
      return "ALERT";
  }
}

void OnAlertEvent(Device& device, ListenOutput& output, const AlertEvent& event) {
  const Colours& colours = output.colours();
  if (IsArrival(event.kind) && event.info) {
    const bool ring = event.kind != AlertEventKind::kExpired;
    std::string text = colours.Paint("== " + ArrivalTitle(event.kind) + " ==", kBold) + "\n" +
                       AlertBlock(*event.info, device.settings.languages, colours);
    if (!IsResolved(event.info->state) && event.kind != AlertEventKind::kReport) {
      std::lock_guard<std::mutex> lock(g_last_mutex);
      g_last_alert = event.alert;
      text += AlertKeyHelp();
    }
    output.Emit(EventJson(event), text, ring, /*counts=*/true, /*hook=*/true);
    return;
  }
  const bool security = event.kind == AlertEventKind::kSecurityFlag;
  output.Emit(EventJson(event), EventLine(event, colours), /*ring=*/security,
              /*counts=*/false, /*hook=*/security);
}

std::optional<AckSpec> AckForKey(char key) {
  switch (key) {
    case 'r':
      return AckSpec{AckKind::kReceived, 0};
    case 'o':
      return AckSpec{AckKind::kResponding, 15};
    case 'f':
      return AckSpec{AckKind::kAvailableFar, 0};
    case 'd':
      return AckSpec{AckKind::kDeclined, 0};
    case 's':
      return AckSpec{AckKind::kOnScene, 0};
    case 'l':
      return AckSpec{AckKind::kDeparted, 0};
    default:
      return std::nullopt;
  }
}

}  // namespace

Status AttachAlerts(Device& device) {
  Result<std::unique_ptr<AlertService>> service = AlertService::Attach(*device.client);
  if (!service.ok()) return service.status();
  device.alerts = std::shared_ptr<void>(service->release(), [](void* p) {
    auto* s = static_cast<AlertService*>(p);
    s->Close();
    delete s;
  });
  return Status::Ok();
}

Result<AlertService*> AlertsOf(Session& session) {
  Result<Device*> device = session.Open();
  if (!device.ok()) return device.status();
  if (!(*device)->alerts) return Status::Internal("the alert service is not attached");
  return Service(**device);
}

Result<TreeInfo> FindTree(AlertService& alerts, const std::string& reference) {
  Result<std::vector<TreeInfo>> trees = alerts.Trees();
  if (!trees.ok()) return trees.status();
  if (trees->empty()) return Status::NotFound("this device is in no tree yet");
  if (reference.empty()) {
    if (trees->size() == 1) return trees->front();
    return Status::InvalidArgument("this device is in several trees: give --tree");
  }
  std::vector<const TreeInfo*> matches;
  for (const TreeInfo& tree : *trees) {
    if (Lower(tree.name) == Lower(reference)) return tree;
    if (reference.size() >= 4 && tree.id.rfind(Lower(reference), 0) == 0) matches.push_back(&tree);
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) return Status::NotFound("unknown tree: " + reference);
  return Status::InvalidArgument("\"" + reference + "\" names several trees");
}

Result<MemberInfo> FindMember(const TreeInfo& tree, const std::string& reference) {
  std::vector<const MemberInfo*> by_name, by_key;
  for (const MemberInfo& m : tree.members) {
    if (Lower(m.name) == Lower(reference)) by_name.push_back(&m);
    if (reference.size() >= 4 && m.key.rfind(Lower(reference), 0) == 0) by_key.push_back(&m);
  }
  const auto& matches = by_name.empty() ? by_key : by_name;
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) return Status::NotFound("unknown member: " + reference);
  return Status::InvalidArgument("\"" + reference + "\" names several members: use the key");
}

Result<AlertInfo> FindAlert(AlertService& alerts, const std::string& reference) {
  Result<std::vector<AlertInfo>> all = alerts.Alerts();
  if (!all.ok()) return all.status();
  if (reference.empty() || reference == "latest") {
    const AlertInfo* best = nullptr;
    for (const AlertInfo& a : *all) {
      auto newer = [&](const AlertInfo* b) {
        return b == nullptr || a.created_ms >= b->created_ms;
      };
      const bool a_open = !IsResolved(a.state);
      const bool best_open = best != nullptr && !IsResolved(best->state);
      if ((a_open && !best_open) || (a_open == best_open && newer(best))) best = &a;
    }
    if (best == nullptr) return Status::NotFound("no alerts on this device");
    return *best;
  }
  std::vector<const AlertInfo*> matches;
  for (const AlertInfo& a : *all) {
    if (a.id.rfind(Lower(reference), 0) == 0) matches.push_back(&a);
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) return Status::NotFound("unknown alert: " + reference);
  return Status::InvalidArgument("\"" + reference + "\" names several alerts");
}

namespace {

// LANG=TEXT, as --text and --instructions take it.
Result<std::pair<std::string, std::string>> LanguagePair(const std::string& pair,
                                                         const char* option) {
  const auto equals = pair.find('=');
  if (equals == std::string::npos || equals == 0) {
    return Status::InvalidArgument(std::string(option) + " takes LANG=TEXT, e.g. " + option +
                                   " ko=...");
  }
  return std::make_pair(pair.substr(0, equals), pair.substr(equals + 1));
}

}  // namespace

Result<std::vector<LocalizedText>> ParseTexts(const TextOptions& options) {
  std::vector<LocalizedText> texts;
  if (!options.es.empty()) texts.push_back({"es", options.es, ""});
  if (!options.en.empty()) texts.push_back({"en", options.en, ""});
  for (const std::string& pair : options.texts) {
    auto parsed = LanguagePair(pair, "--text");
    if (!parsed.ok()) return parsed.status();
    texts.push_back({parsed->first, parsed->second, ""});
  }
  std::vector<std::pair<std::string, std::string>> instructions;
  if (!options.es_instructions.empty()) instructions.emplace_back("es", options.es_instructions);
  if (!options.en_instructions.empty()) instructions.emplace_back("en", options.en_instructions);
  for (const std::string& pair : options.instructions) {
    auto parsed = LanguagePair(pair, "--instructions");
    if (!parsed.ok()) return parsed.status();
    instructions.push_back(*parsed);
  }
  for (const auto& [language, text] : instructions) {
    auto it = std::find_if(texts.begin(), texts.end(),
                           [&](const LocalizedText& t) { return t.language == language; });
    if (it == texts.end()) {
      return Status::InvalidArgument("instructions in \"" + language +
                                     "\" need the text in that language too");
    }
    it->instructions = text;
  }
  return texts;
}

Status StartAlertEvents(Device& device, ListenOutput& output) {
  AlertService* service = Service(device);
  if (service == nullptr) return Status::Ok();
  service->SetEventHandler(
      [&device, &output](const AlertEvent& event) { OnAlertEvent(device, output, event); });
  return Status::Ok();
}

void StopAlertEvents(Device& device) {
  if (AlertService* service = Service(device)) service->SetEventHandler(nullptr);
}

bool HandleAlertKey(Device& device, char key, ListenOutput& output) {
  std::optional<AckSpec> ack = AckForKey(key);
  AlertService* service = Service(device);
  if (!ack || service == nullptr) return false;
  AlertId alert;
  {
    std::lock_guard<std::mutex> lock(g_last_mutex);
    alert = g_last_alert;
  }
  if (alert.empty()) {
    output.Note("no alert to ack yet");
    return true;
  }
  Status sent = service->Ack(alert, *ack);
  output.Note(sent.ok() ? std::string("ack sent: ") + ToString(ack->kind)
                        : "ack failed: " + sent.message());
  return true;
}

std::string AlertKeyHelp() {
  return "\n  keys: [r]eceived  [o]n my way (15 min)  [f]ar  [d]ecline  [s] on scene  [l]eft";
}

}  // namespace tocsin::cli
