// tocsin tree create|add|remove|replace|show|push|admins|export-pending|cosign|
// import-signatures: the roster of an alert tree (admins), and
// what this device's signed view says (everyone).
#include <fstream>
#include <iterator>
#include <memory>

#include "alert_commands.h"
#include "alert_text.h"
#include "alerts_support.h"
#include "linger.h"

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
  std::vector<std::string> admins;  // create: the other admins; admins: the whole new set
  int threshold = 0;
  // cosign, import-signatures
  std::string bundle;
  bool confirm = false;
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
  spec.other_admins = o.admins;
  spec.threshold = o.threshold > 0 ? static_cast<std::uint32_t>(o.threshold) : 1;
  Result<TreeId> id = (*alerts)->CreateTree(spec);
  if (!id.ok()) return session.Fail(id.status(), "tree create");
  return session.Done(Json().Set("tree", *id).Set("name", o.name),
                      "Tree " + o.name + " created (" + *id + "); you are its admin.");
}

std::size_t PendingOf(AlertService& alerts, const TreeId& tree) {
  Result<TreeInfo> info = alerts.Tree(tree);
  return info.ok() ? info->pending : 0;
}

std::string PendingNote(std::size_t waiting) {
  if (waiting == 0) return "";
  return "\n" + std::to_string(waiting) +
         " signed update(s) wait for the other admins: `tocsin tree export-pending`.";
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
  const std::size_t waiting = PendingOf(**alerts, tree->id);
  json.Set("pending", static_cast<std::uint64_t>(waiting));
  return session.Done(json, "Added " + member->name + " as " + ToString(member->role) + " (" +
                                ShortId(member->key) + "); " + std::to_string(pushed) +
                                " view(s) sent." + PendingNote(waiting));
}

int RunPush(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  Result<std::size_t> sent = (*alerts)->PushViews(tree->id);
  if (!sent.ok()) return session.Fail(sent.status(), "push views");
  const std::size_t waiting = PendingOf(**alerts, tree->id);
  return session.Done(Json()
                          .Set("views_sent", static_cast<std::uint64_t>(*sent))
                          .Set("pending", static_cast<std::uint64_t>(waiting)),
                      std::to_string(*sent) + " signed view(s) sent." + PendingNote(waiting));
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

int RunAdmins(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  const std::uint32_t threshold =
      o.threshold > 0 ? static_cast<std::uint32_t>(o.threshold) : tree->threshold;
  Status changed = (*alerts)->ChangeAdmins(tree->id, o.admins, threshold);
  if (!changed.ok()) return session.Fail(changed, "tree admins");
  Result<TreeInfo> after = (*alerts)->Tree(tree->id);
  if (!after.ok()) return session.Fail(after.status());
  const bool applied = after->admin_set_version > tree->admin_set_version;
  Json json;
  json.Set("applied", applied).Set("admins", after->admins);
  json.Set("threshold", static_cast<std::int64_t>(after->threshold));
  json.Set("admin_set_version", after->admin_set_version);
  json.Set("pending", static_cast<std::uint64_t>(after->pending));
  return session.Done(
      json, applied
                ? "The tree's admins are now " + std::to_string(after->admins.size()) + ", " +
                      std::to_string(after->threshold) + " of them to sign." +
                      PendingNote(after->pending)
                : "The change needs the other admins' signatures." + PendingNote(after->pending));
}

Json ItemJson(const CosignItem& item) {
  Json json;
  json.Set("kind", item.kind).Set("tree", item.tree).Set("tree_name", item.tree_name);
  json.Set("version", item.version).Set("member", item.member);
  json.Set("member_name", item.member_name).Set("admins", item.admins);
  if (item.kind == "view") json.Set("role", ToString(item.role));
  json.Set("holds_roster", item.holds_roster);
  json.Set("threshold", static_cast<std::int64_t>(item.threshold));
  json.Set("signatures", static_cast<std::int64_t>(item.signatures));
  json.Set("needed", static_cast<std::int64_t>(item.needed));
  json.Set("signed_by_us", item.signed_by_us);
  return json;
}

std::string ItemText(const CosignItem& item) {
  std::string line = "  " + item.kind + " v" + std::to_string(item.version) + ": ";
  if (item.kind == "view") {
    line += item.member_name + " (" + ToString(item.role) + ", " + ShortId(item.member) + ")" +
            (item.holds_roster ? ", carries the whole roster" : "");
  } else if (item.kind == "revocation") {
    line += "revokes " + ShortId(item.member);
  } else {
    line += std::to_string(item.admins.size()) + " admin(s), " + std::to_string(item.threshold) +
            " to sign:";
    for (const auto& admin : item.admins) line += " " + ShortId(admin);
  }
  return line + "  [" + std::to_string(item.signatures) + "/" + std::to_string(item.needed) +
         " signatures]\n";
}

// A bundle given as its text, as a file, or on stdin ("-").
Result<std::string> ReadBundle(Session& session, const std::string& given) {
  if (given.rfind("TOCSINCOSIGN1:", 0) == 0) return given;
  std::string text;
  if (given == "-") {
    text.assign(std::istreambuf_iterator<char>(session.in()), {});
  } else {
    std::ifstream file(given);
    if (!file) return Status::NotFound("cannot read " + given);
    text.assign(std::istreambuf_iterator<char>(file), {});
  }
  return text;
}

int RunExportPending(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  if (tree->pending == 0) return session.Fail(Status::NotFound("nothing waits for co-signatures"));
  Result<std::string> bundle = (*alerts)->ExportPending(tree->id);
  if (!bundle.ok()) return session.Fail(bundle.status(), "tree export-pending");
  return session.Done(
      Json().Set("bundle", *bundle).Set("items", static_cast<std::uint64_t>(tree->pending)),
      *bundle);
}

int RunCosign(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<std::string> bundle = ReadBundle(session, o.bundle);
  if (!bundle.ok()) return session.Fail(bundle.status());
  Result<std::vector<CosignItem>> items = (*alerts)->InspectBundle(*bundle);
  if (!items.ok()) return session.Fail(items.status(), "tree cosign");
  std::vector<Json> listed;
  std::string text = "The bundle asks you to sign:\n";
  for (const CosignItem& item : *items) {
    listed.push_back(ItemJson(item));
    text += ItemText(item);
  }
  if (!o.confirm) {
    return session.Done(Json().Set("items", listed).Set("signed", false),
                        text + "Nothing signed: run again with --confirm once you agree.");
  }
  Result<std::string> cosigned = (*alerts)->CoSignBundle(*bundle);
  if (!cosigned.ok()) return session.Fail(cosigned.status(), "tree cosign");
  if (!session.json()) session.err() << text;
  return session.Done(Json().Set("items", listed).Set("signed", true).Set("bundle", *cosigned),
                      *cosigned);
}

int RunImportSignatures(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<std::string> bundle = ReadBundle(session, o.bundle);
  if (!bundle.ok()) return session.Fail(bundle.status());
  Result<std::size_t> done = (*alerts)->ImportSignatures(*bundle);
  if (!done.ok()) return session.Fail(done.status(), "tree import-signatures");
  Result<std::vector<TreeInfo>> trees = (*alerts)->Trees();
  std::size_t waiting = 0;
  if (trees.ok()) {
    for (const TreeInfo& tree : *trees) waiting += tree.pending;
  }
  LingerForDelivery(session);
  return session.Done(Json()
                          .Set("done", static_cast<std::uint64_t>(*done))
                          .Set("pending", static_cast<std::uint64_t>(waiting)),
                      std::to_string(*done) + " update(s) had enough signatures and went out." +
                          PendingNote(waiting));
}

int RunShow(Session& session, const TreeOptions& o) {
  Result<AlertService*> alerts = AlertsOf(session);
  if (!alerts.ok()) return session.Fail(alerts.status());
  Result<TreeInfo> tree = FindTree(**alerts, o.tree);
  if (!tree.ok()) return session.Fail(tree.status());
  return session.Done(TreeJson(*tree), TreeText(*tree));
}

using TreeRunner = int (*)(Session&, const TreeOptions&);

CLI::App* Sub(CLI::App* parent, Invocation& invocation, const char* name, const char* help,
              std::shared_ptr<TreeOptions> o, TreeRunner run) {
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
  create->add_option("--admin", o->admins, "Another admin's identity key (repeat)");
  create->add_option("--threshold", o->threshold,
                     "How many admins must sign each view (default 1)");
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
  CLI::App* admins =
      Sub(tree, invocation, "admins",
          "Change the tree's admins (m of the current admins must sign)", o, RunAdmins);
  admins->add_option("--admin", o->admins, "An admin's identity key, yours included (repeat)")
      ->required();
  admins->add_option("--threshold", o->threshold, "How many of them must sign (default: same)");
  CLI::App* export_pending =
      Sub(tree, invocation, "export-pending",
          "Print what waits for the other admins' signatures, as one bundle", o, RunExportPending);
  CLI::App* cosign =
      Sub(tree, invocation, "cosign",
          "Show a bundle from another admin and, with --confirm, sign it", o, RunCosign);
  cosign->add_option("bundle", o->bundle, "The bundle: its text, a file, or - for stdin")
      ->required();
  cosign->add_flag("--confirm", o->confirm, "Sign it (without: only show what it holds)");
  CLI::App* import =
      Sub(tree, invocation, "import-signatures",
          "Take a co-signed bundle back; send what has enough signatures", o, RunImportSignatures);
  import->add_option("bundle", o->bundle, "The co-signed bundle: its text, a file, or -")
      ->required();
  for (CLI::App* sub : {cosign, import}) {
    sub->callback([&invocation, o, sub] {
      invocation.action.reads_stdin = o->bundle == "-";
      const bool is_cosign = sub->get_name() == "cosign";
      invocation.action.run = [o, is_cosign](Session& s) {
        return is_cosign ? RunCosign(s, *o) : RunImportSignatures(s, *o);
      };
    });
  }
  Sub(tree, invocation, "push", "Send the changed signed views to their members", o, RunPush);
  for (CLI::App* sub : {add, remove, replace, tree->get_subcommand("show"),
                        tree->get_subcommand("push"), admins, export_pending}) {
    sub->add_option("--tree", o->tree, "The tree (name or id; default: the only one)");
  }
}

}  // namespace tocsin::cli
