#include "contacts.h"

#include <algorithm>
#include <cctype>

namespace tocsin::cli {

namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

Result<ContactInfo> FindContact(Client& client, const std::string& reference) {
  Result<std::vector<ContactInfo>> contacts = client.Contacts();
  if (!contacts.ok()) return contacts.status();
  const std::string wanted = Lower(reference);
  std::vector<const ContactInfo*> by_name, by_prefix;
  for (const ContactInfo& contact : *contacts) {
    if (contact.id == wanted) return contact;
    if (Lower(contact.name) == wanted) by_name.push_back(&contact);
    if (wanted.size() >= 4 && contact.id.rfind(wanted, 0) == 0) by_prefix.push_back(&contact);
  }
  const auto& matches = by_name.empty() ? by_prefix : by_name;
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) return Status::NotFound("unknown contact: " + reference);
  return Status::InvalidArgument("\"" + reference + "\" names " + std::to_string(matches.size()) +
                                 " contacts: use the contact id (`tocsin contact list`)");
}

std::string ContactName(Client& client, const ContactId& contact) {
  Result<ContactInfo> info = client.GetContact(contact);
  if (info.ok() && !info->name.empty()) return info->name;
  std::string unknown = "?";  // built in two steps: GCC 12 warns on "?" + substr (-Wrestrict)
  unknown += contact.substr(0, 8);
  return unknown;
}

Json ContactJson(const ContactInfo& contact) {
  Json json;
  json.Set("id", contact.id).Set("name", contact.name).Set("identity_key", contact.identity_key);
  json.Set("verified", contact.verified).Set("identity_changed", contact.identity_changed);
  json.Set("reachable", contact.reachable);
  json.Set("origin", contact.origin == ContactOrigin::kAdded ? "added" : "requested");
  return json;
}

}  // namespace tocsin::cli
