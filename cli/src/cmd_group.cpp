// tocsin group create|join|send|list: broadcast groups (sender keys) without a tree:
// one encryption per message, sealed once for every member.
#include <iomanip>
#include <iterator>
#include <memory>
#include <sstream>

#include "commands.h"
#include "contacts.h"
#include "linger.h"

namespace tocsin::cli {

namespace {

struct GroupOptions {
  std::string name;
  std::string group;
  std::vector<std::string> contacts;
  std::string text;
  bool from_stdin = false;
};

Result<std::vector<ContactId>> Resolve(Client& client, const std::vector<std::string>& names) {
  std::vector<ContactId> ids;
  for (const std::string& name : names) {
    Result<ContactInfo> contact = FindContact(client, name);
    if (!contact.ok()) return contact.status();
    ids.push_back(contact->id);
  }
  return ids;
}

Result<GroupInfo> FindGroup(Client& client, const std::string& reference) {
  Result<std::vector<GroupInfo>> groups = client.Groups();
  if (!groups.ok()) return groups.status();
  for (const GroupInfo& group : *groups) {
    if (group.id == reference || group.name == reference) return group;
  }
  return Status::NotFound("unknown group: " + reference);
}

int RunCreate(Session& session, const GroupOptions& o) {
  Result<Device*> device = session.Open();
  if (!device.ok()) return session.Fail(device.status());
  Client& client = *(*device)->client;
  Result<std::vector<ContactId>> members = Resolve(client, o.contacts);
  if (!members.ok()) return session.Fail(members.status());
  Result<GroupId> id = client.CreateGroup(o.name, *members);
  if (!id.ok()) return session.Fail(id.status(), "group create");
  LingerForDelivery(session);
  return session.Done(
      Json().Set("group", *id).Set("members", *members),
      "Group " + o.name + " (" + *id + ") with " + std::to_string(members->size()) + " member(s).");
}

int RunJoin(Session& session, const GroupOptions& o) {
  Result<Device*> device = session.Open();
  if (!device.ok()) return session.Fail(device.status());
  Client& client = *(*device)->client;
  Result<std::vector<ContactId>> senders = Resolve(client, o.contacts);
  if (!senders.ok()) return session.Fail(senders.status());
  if (Status joined = client.JoinGroup(o.group, o.name, *senders); !joined.ok()) {
    return session.Fail(joined, "group join");
  }
  return session.Done(Json().Set("group", o.group), "Joined " + o.group + ".");
}

int RunSend(Session& session, const GroupOptions& o) {
  std::string text = o.text;
  if (o.from_stdin) text.assign(std::istreambuf_iterator<char>(session.in()), {});
  if (text.empty()) return session.Fail(kExitUsage, "nothing to send: give TEXT or --stdin");
  Result<Device*> device = session.Open();
  if (!device.ok()) return session.Fail(device.status());
  Client& client = *(*device)->client;
  Result<GroupInfo> group = FindGroup(client, o.group);
  if (!group.ok()) return session.Fail(group.status());
  Result<MessageId> id = client.SendGroupText(group->id, text);
  if (!id.ok()) return session.Fail(id.status(), "group send");
  const std::optional<DeliveryState> state = LingerForMessage(session, client, *id);
  Json json = Json().Set("message_id", *id).Set("group", group->id);
  if (state) json.Set("recipients_waiting", static_cast<std::uint64_t>(state->recipients_waiting));
  return session.Done(json, "Sent to " + std::to_string(group->members.size()) + " member(s) of " +
                                OneLine(group->name) + "." + QueuedNote(state));
}

int RunList(Session& session, const GroupOptions&) {
  Result<Device*> device = session.Open();
  if (!device.ok()) return session.Fail(device.status());
  Result<std::vector<GroupInfo>> groups = (*device)->client->Groups();
  if (!groups.ok()) return session.Fail(groups.status());
  std::vector<Json> list;
  std::ostringstream text;
  for (const GroupInfo& g : *groups) {
    list.push_back(Json()
                       .Set("id", g.id)
                       .Set("name", g.name)
                       .Set("members", g.members)
                       .Set("accepted_senders", g.accepted_senders));
    text << std::left << std::setw(34) << g.id << std::setw(20) << g.name << g.members.size()
         << " member(s)\n";
  }
  if (groups->empty()) text << "No groups.\n";
  return session.Done(Json().Set("groups", list), text.str());
}

using GroupRunner = int (*)(Session&, const GroupOptions&);

CLI::App* Sub(CLI::App* parent, Invocation& invocation, const char* name, const char* help,
              std::shared_ptr<GroupOptions> o, GroupRunner run) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  cmd->callback([&invocation, o, run] {
    invocation.action.reads_stdin = o->from_stdin;
    invocation.action.run = [o, run](Session& s) { return run(s, *o); };
  });
  return cmd;
}

}  // namespace

void AddGroupCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* group = app.add_subcommand("group", "Broadcast groups of contacts (without a tree)");
  group->require_subcommand(1);
  auto o = std::make_shared<GroupOptions>();
  CLI::App* create = Sub(group, invocation, "create", "Make a group you send to", o, RunCreate);
  create->add_option("name", o->name, "The group's name")->required();
  create->add_option("members", o->contacts, "Its members (contact names or ids)")->required();
  CLI::App* join = Sub(group, invocation, "join", "Accept a group's messages", o, RunJoin);
  join->add_option("group", o->group, "The group id (from the invite)")->required();
  join->add_option("--sender", o->contacts, "Whose messages to accept (repeat)")->required();
  join->add_option("--name", o->name, "A name for it");
  CLI::App* send = Sub(group, invocation, "send", "Send a text to a group", o, RunSend);
  send->add_option("group", o->group, "The group (name or id)")->required();
  send->add_option("text", o->text, "The message");
  send->add_flag("--stdin", o->from_stdin, "Read the message from standard input");
  Sub(group, invocation, "list", "List groups", o, RunList);
}

}  // namespace tocsin::cli
