// tocsin tree create|add|remove|replace|show|push: the roster of an alert tree (admins), and
// what this device's signed view says (everyone).
#include <iterator>
#include <memory>

#include "alert_commands.h"
#include "alert_text.h"
#include "alerts_support.h"

namespace tocsin::cli {

namespace {

struct TreeOptions {
  std::string tree;
  // create
  std::string name;
  std::string my_name;
  std::vector<std::string> zones;
  int ack_timeout = 120;
  int verify_timeout = 120;
  int turnout_cap = 0;
  // add
  std::string card;
  std::string role = "responder";
  std::string parent;
  std::string backup;
  std::vector<std::string> languages;
  std::vector<std::string> skills;
  bool no_push = false;
  // remove
  std::string member;
};

int RunCreate(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  TreeSpec spec;
  spec.name = o.name;
  spec.policy.ack_timeout = std::chrono::seconds(o.ack_timeout);
  spec.policy.verify_timeout = std::chrono::seconds(o.verify_timeout);
  spec.policy.turnout_cap = static_cast<std::uint32_t>(o.turnout_cap);
  if (!o.my_name.empty()) spec.my_name = o.my_name;
  spec.my_zones = o.zones;
  Result<TreeId> id = (*alerts)->CreateTree(spec);
  if (!id.ok()) return session.Fail(id.status(), "tree create");
  return session.Done(Json().Set("tree", *id).Set("name", o.name),
                      "Tree " + o.name + " created (" + *id + "); you are its admin.");
}

Result<MemberKey> OptionalMember(const TreeInfo& tree, const std::string& reference) {
  if (reference.empty()) return MemberKey();
  Result<MemberInfo> member = FindMember(tree, reference);
  if (!member.ok()) return member.status();
  return member->key;
}

Result<MemberSpec> BuildMemberSpec(Session& session, const TreeInfo& tree, const TreeOptions& o) {
  MemberSpec spec;
  spec.card = o.card;
  if (spec.card == "-") {
    spec.card.assign(std::istreambuf_iterator<char>(session.in()), {});
  }
  spec.name = o.name;
  std::optional<MemberRole> role = ParseMemberRole(o.role);
  if (!role) return Status::InvalidArgument("unknown role: " + o.role);
  spec.role = *role;
  Result<MemberKey> parent = OptionalMember(tree, o.parent);
  if (!parent.ok()) return parent.status().Annotate("--parent");
  Result<MemberKey> backup = OptionalMember(tree, o.backup);
  if (!backup.ok()) return backup.status().Annotate("--backup");
  spec.parent = *parent;
  spec.backup = *backup;
  spec.zones = o.zones;
  spec.languages = o.languages.empty() ? std::vector<std::string>{"es", "en"} : o.languages;
  spec.skills = o.skills;
  return spec;
}

int RunAdd(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  Result<MemberSpec> spec = BuildMemberSpec(session, *tree, o);
  if (!spec.ok()) return session.Fail(spec.status());
  Result<MemberInfo> member = (*alerts)->AddMember(tree->id, *spec);
  if (!member.ok()) return session.Fail(member.status(), "tree add");
  std::size_t pushed = 0;
  if (!o.no_push) {
    Result<std::size_t> sent = (*alerts)->PushViews(tree->id);
    if (!sent.ok()) return session.Fail(sent.status(), "push views");
    pushed = *sent;
  }
  Json json = MemberJson(*member);
  json.Set("views_sent", static_cast<std::uint64_t>(pushed));
  return session.Done(json, "Added " + member->name + " as " + ToString(member->role) + " (" +
                                ShortId(member->key) + "); " + std::to_string(pushed) +
                                " view(s) sent.");
}

int RunPush(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  Result<std::size_t> sent = (*alerts)->PushViews(tree->id);
  if (!sent.ok()) return session.Fail(sent.status(), "push views");
  return session.Done(Json().Set("views_sent", static_cast<std::uint64_t>(*sent)),
                      std::to_string(*sent) + " signed view(s) sent.");
}

int RunRemove(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  Result<MemberInfo> member = FindMember(*tree, o.member);
  if (!member.ok()) return session.Fail(member.status());
  if (Status removed = (*alerts)->RemoveMember(tree->id, member->key); !removed.ok()) {
    return session.Fail(removed, "tree remove");
  }
  return session.Done(
      Json().Set("revoked", member->key),
      "Revoked " + member->name + ": the revocation went to everyone who knew them.");
}

int RunReplace(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  Result<MemberInfo> member = FindMember(*tree, o.member);
  if (!member.ok()) return session.Fail(member.status());
  std::string card = o.card;
  if (card == "-") card.assign(std::istreambuf_iterator<char>(session.in()), {});
  Result<MemberInfo> replaced = (*alerts)->ReplaceMemberKey(tree->id, member->key, card);
  if (!replaced.ok()) return session.Fail(replaced.status(), "tree replace");
  Json json = MemberJson(*replaced);
  json.Set("revoked", member->key);
  return session.Done(json, "Replaced " + replaced->name + "'s phone: new key " +
                                ShortId(replaced->key) + ", the old one (" + ShortId(member->key) +
                                ") is revoked; views sent.");
}

int RunShow(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  return session.Done(TreeJson(*tree), TreeText(*tree));
}

using Runner = int (*)(Session&, const TreeOptions&);

CLI::App* Sub(CLI::App* parent, Invocation& invocation, const char* name, const char* help,
              std::shared_ptr<TreeOptions> o, Runner run) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  cmd->callback([&invocation, o, run] {
    invocation.action.reads_stdin = o->card == "-";
    invocation.action.run = [o, run](Session& s) { return run(s, *o); };
  });
  return cmd;
}

void AddMemberOptions(CLI::App* cmd, TreeOptions& o) {
  cmd->add_option("card", o.card, "The member's contact card (- reads it from stdin)")->required();
  cmd->add_option("--name", o.name, "The member's name in the roster")->required();
  cmd->add_option("--role", o.role,
                  "dispatcher, coordinator, verifier, responder (default) or subscriber");
  cmd->add_option("--parent", o.parent, "Their parent in the tree (name or key)");
  cmd->add_option("--backup", o.backup, "Who takes over their branch (name or key)");
  cmd->add_option("--zone", o.zones, "A zone they cover (repeat)");
  cmd->add_option("--language", o.languages, "A language they read, preferred first (repeat)");
  cmd->add_option("--skill", o.skills, "legal_observer, documenter, medic, ... (repeat)");
  cmd->add_flag("--no-push", o.no_push, "Do not send the signed views now (`tree push` later)");
}

}  // namespace

void AddTreeCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* tree =
      app.add_subcommand("tree", "Alert trees: create, add, remove and replace members, show");
  tree->require_subcommand(1);
  auto o = std::make_shared<TreeOptions>();
  CLI::App* create =
      Sub(tree, invocation, "create", "Create a tree (you are its admin)", o, RunCreate);
  create->add_option("name", o->name, "The tree's name")->required();
  create->add_option("--my-name", o->my_name, "Your name in the roster (default dispatcher)");
  create->add_option("--zone", o->zones, "Your zones (repeat)");
  create->add_option("--ack-timeout", o->ack_timeout, "Seconds before escalation (default 120)");
  create->add_option("--verify-timeout", o->verify_timeout, "Seconds before the backup verifier");
  create->add_option("--turnout-cap", o->turnout_cap, "Responders that are enough (0: no cap)");
  CLI::App* add = Sub(tree, invocation, "add", "Add a member from their card (admins)", o, RunAdd);
  AddMemberOptions(add, *o);
  CLI::App* remove = Sub(tree, invocation, "remove", "Revoke a member (admins)", o, RunRemove);
  remove->add_option("member", o->member, "Name or key")->required();
  CLI::App* replace =
      Sub(tree, invocation, "replace",
          "A member's new phone: their new card takes the old key's place (admins)", o, RunReplace);
  replace->add_option("member", o->member, "Name or key")->required();
  replace->add_option("--card", o->card, "The new phone's contact card (- reads it from stdin)")
      ->required();
  Sub(tree, invocation, "show", "Show the tree as this device holds it", o, RunShow);
  Sub(tree, invocation, "push", "Send the changed signed views to their members", o, RunPush);
  for (CLI::App* sub :
       {add, remove, replace, tree->get_subcommand("show"), tree->get_subcommand("push")}) {
    sub->add_option("--tree", o->tree, "The tree (name or id; default: the only one)");
  }
}

}  // namespace tocsin::cli
