// tocsin contact add|list|verify|remove: the people this device can write to.
#include <iomanip>
#include <iterator>
#include <memory>
#include <sstream>

#include "commands.h"
#include "contacts.h"
#include "safe_output.h"

namespace tocsin::cli {

namespace {

struct ContactOptions {
  std::string card;
  std::string name;
  std::string contact;
  bool confirm = false;
};

Result<Client*> OpenClient(Session& session) {
  Result<Device*> device = session.Open();
  if (!device.ok()) return device.status();
  return (*device)->client.get();
}

int RunAdd(Session& session, const ContactOptions& options) {
  std::string card = options.card;
  if (card == "-") {
    card.assign(std::istreambuf_iterator<char>(session.in()), std::istreambuf_iterator<char>());
  }
  Result<Client*> client = OpenClient(session);
  if (!client.ok()) return session.Fail(client.status());
  Result<ContactId> id = (*client)->AddContact(card, options.name);
  if (!id.ok()) return session.Fail(id.status(), "contact card");
  Result<ContactInfo> info = (*client)->GetContact(*id);
  if (!info.ok()) return session.Fail(info.status());
  return session.Done(ContactJson(*info),
                      "Added " + OneLine(info->name) + " (" + info->id +
                          "), unverified: compare safety numbers with `tocsin contact verify`.");
}

int RunList(Session& session) {
  Result<Client*> client = OpenClient(session);
  if (!client.ok()) return session.Fail(client.status());
  Result<std::vector<ContactInfo>> contacts = (*client)->Contacts();
  if (!contacts.ok()) return session.Fail(contacts.status());
  std::vector<Json> list;
  std::ostringstream text;
  for (const ContactInfo& contact : *contacts) {
    list.push_back(ContactJson(contact));
    text << std::left << std::setw(34) << contact.id << std::setw(20) << OneLine(contact.name)
         << (contact.identity_changed ? "NEW IDENTITY, not verified"
             : contact.verified       ? "verified"
                                      : "unverified")
         << "\n";
  }
  if (contacts->empty()) text << "No contacts yet: `tocsin contact add CARD`.\n";
  return session.Done(Json().Set("contacts", list), text.str());
}

int RunVerify(Session& session, const ContactOptions& options) {
  Result<Client*> client = OpenClient(session);
  if (!client.ok()) return session.Fail(client.status());
  Result<ContactInfo> contact = FindContact(**client, options.contact);
  if (!contact.ok()) return session.Fail(contact.status());
  Result<std::string> number = (*client)->SafetyNumber(contact->id);
  if (!number.ok()) return session.Fail(number.status());
  std::string text = "Safety number with " + contact->name + ":\n  " + *number + "\n";
  if (options.confirm) {
    if (Status marked = (*client)->MarkVerified(contact->id); !marked.ok()) {
      return session.Fail(marked);
    }
    text += "Marked as verified.\n";
  } else {
    text += "Compare it with theirs in person; if it is the same, run again with --confirm.\n";
  }
  Json json = ContactJson(*contact);
  json.Set("safety_number", *number).Set("verified", options.confirm || contact->verified);
  return session.Done(json, text);
}

int RunRemove(Session& session, const ContactOptions& options) {
  Result<Client*> client = OpenClient(session);
  if (!client.ok()) return session.Fail(client.status());
  Result<ContactInfo> contact = FindContact(**client, options.contact);
  if (!contact.ok()) return session.Fail(contact.status());
  if (Status removed = (*client)->RemoveContact(contact->id); !removed.ok()) {
    return session.Fail(removed);
  }
  return session.Done(Json().Set("removed", contact->id), "Removed " + contact->name + ".");
}

void AddSub(CLI::App* parent, Invocation& invocation, const std::string& name,
            const std::string& help, std::shared_ptr<ContactOptions> options,
            int (*run)(Session&, const ContactOptions&), bool reads_stdin = false) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  if (name == "add") {
    cmd->add_option("card", options->card, "The contact's card code (- reads it from stdin)")
        ->required();
    cmd->add_option("--name", options->name, "The name to give them (default: the card's)");
  } else {
    cmd->add_option("contact", options->contact, "Name, id or id prefix")->required();
  }
  if (name == "verify") {
    cmd->add_flag("--confirm", options->confirm, "You compared the numbers: mark as verified");
  }
  cmd->callback([&invocation, options, run, reads_stdin] {
    invocation.action.reads_stdin = reads_stdin && options->card == "-";
    invocation.action.run = [options, run](Session& s) { return run(s, *options); };
  });
}

}  // namespace

void AddContactCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* contact = app.add_subcommand("contact", "Add, list and verify contacts");
  contact->require_subcommand(1);
  auto options = std::make_shared<ContactOptions>();
  AddSub(contact, invocation, "add", "Import a contact's card", options, RunAdd, true);
  CLI::App* list = contact->add_subcommand("list", "List contacts");
  list->callback([&invocation] { invocation.action.run = [](Session& s) { return RunList(s); }; });
  AddSub(contact, invocation, "verify", "Show (and confirm) a contact's safety number", options,
         RunVerify);
  AddSub(contact, invocation, "remove", "Forget a contact (revokes its tokens)", options,
         RunRemove);
}

}  // namespace tocsin::cli
