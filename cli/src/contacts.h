// Naming contacts on the command line: by name (case-insensitive), by id, or by a
// unique prefix of the id (at least 4 characters).
#ifndef TOCSIN_CLI_CONTACTS_H_
#define TOCSIN_CLI_CONTACTS_H_

#include <string>

#include "json.h"
#include "tocsin/client.h"

namespace tocsin::cli {

// kNotFound "unknown contact: X" / kInvalidArgument when `reference` names several.
Result<ContactInfo> FindContact(Client& client, const std::string& reference);

// The name to show for a contact id ("?" + its first characters when unknown).
std::string ContactName(Client& client, const ContactId& contact);

Json ContactJson(const ContactInfo& contact);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_CONTACTS_H_
