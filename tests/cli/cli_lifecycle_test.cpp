// One alert's whole life through the `tocsin` binary, every step's --json output parsed:
// tree create/add/push/show, report, verify request/answer, alert send with a listener's
// --exec hook, ack, alert status (and --watch), update, cancel, list, a false alarm, and
// tree remove.
#include <catch2/catch.hpp>
#include <optional>
#include <set>

#include "cli_fixture.h"
#include "cli_json.h"

namespace tocsin::testing {
namespace {

#ifdef TOCSIN_CLI_ALERTS

// `tocsin --json ARGS` on `device`, which must succeed; its one JSON object.
JsonObject Ok(const TestDevice& device, std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  CliResult r = device.Run(args);
  INFO(device.name() << ":" << [&] {
    std::string joined;
    for (const auto& a : args) joined += " " + a;
    return joined;
  }() << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = JsonLines(r.out);
  REQUIRE(lines.size() == 1);
  return lines[0];
}

// The first event of `type` about `alert` that `listener` printed, once there is one.
JsonObject WaitEvent(CliProcess& listener, const std::string& type, const std::string& alert) {
  auto match = [&](const JsonObject& e) { return alert.empty() || Str(e, "alert") == alert; };
  INFO("waiting for " << type << " " << alert);
  REQUIRE(Eventually([&] { return !Events(listener.Output(), type, match).empty(); }));
  return Events(listener.Output(), type, match).front();
}

std::set<std::string> MemberNames(const JsonObject& tree) {
  std::set<std::string> names;
  for (const auto& member : List(tree, "members")) {
    names.insert(member.struct_value().fields().at("name").string_value());
  }
  return names;
}

// The alert `id` of a `tocsin alert list --json` answer (a copy: the list is a value).
std::optional<JsonObject> AlertIn(const JsonObject& list, const std::string& id) {
  for (const auto& alert : List(list, "alerts")) {
    if (alert.struct_value().fields().at("id").string_value() == id) return alert.struct_value();
  }
  return std::nullopt;
}

TEST_CASE("an alert's whole life through the binary, every --json output parsed", "[cli]") {
  auto relay = StartedRelay();
  TestDevice dispatcher("Dispatch"), coordinator("Coord"), verifier("Vero"), rosa("Rosa");
  for (TestDevice* d : {&dispatcher, &coordinator, &verifier, &rosa}) d->Init({relay.get()});
  CliProcess& d_listen = dispatcher.Listen();
  CliProcess& c_listen = coordinator.Listen();
  CliProcess& v_listen = verifier.Listen();
  const std::string hooked = rosa.data() + "/../hooked.jsonl";
  CliProcess& r_listen = rosa.Listen({"--json", "--exec", "cat >> " + hooked});

  // The tree.
  const JsonObject created =
      Ok(dispatcher, {"tree", "create", "eastside", "--zone", "bh", "--ack-timeout", "60"});
  CHECK(Str(created, "tree").size() == 64);
  CHECK(Str(created, "name") == "eastside");
  const JsonObject coord =
      Ok(dispatcher, {"tree", "add", coordinator.Card(), "--name", "Coord", "--role", "coordinator",
                      "--parent", "dispatcher", "--zone", "bh", "--no-push"});
  CHECK(Str(coord, "role") == "coordinator");
  CHECK(Num(coord, "views_sent") == 0);
  Ok(dispatcher, {"tree", "add", verifier.Card(), "--name", "Vero", "--role", "verifier",
                  "--parent", "dispatcher", "--zone", "bh", "--no-push"});
  const JsonObject added =
      Ok(dispatcher, {"tree", "add", rosa.Card(), "--name", "Rosa", "--parent", "Coord", "--zone",
                      "bh", "--skill", "legal_observer", "--no-push"});
  CHECK(Str(added, "parent") == Str(coord, "key"));
  const std::string rosa_key = Str(added, "key");
  CHECK(Num(Ok(dispatcher, {"tree", "push"}), "views_sent") >= 3);
  for (CliProcess* listener : {&c_listen, &v_listen, &r_listen}) {
    WaitEvent(*listener, "view_accepted", "");
  }
  const JsonObject roster = Ok(dispatcher, {"tree", "show"});
  CHECK(Bool(roster, "holds_roster"));
  CHECK(MemberNames(roster) == std::set<std::string>{"dispatcher", "Coord", "Vero", "Rosa"});
  const JsonObject rosa_view = Ok(rosa, {"tree", "show"});
  CHECK_FALSE(Bool(rosa_view, "holds_roster"));
  CHECK(MemberNames(rosa_view) == std::set<std::string>{"dispatcher", "Coord"});  // need to know

  // Report -> verification.
  const JsonObject reported =
      Ok(rosa, {"report", "--zone", "bh", "--source", "member", "vans at the car wash"});
  const std::string id = Str(reported, "alert");
  REQUIRE(id.size() == 32);
  const JsonObject report = WaitEvent(d_listen, "report", id);
  CHECK_FALSE(Bool(report, "info.verified"));
  CHECK(Strings(report, "info.banners") == std::vector<std::string>{"UNVERIFIED"});
  CHECK(Str(report, "info.report_text") == "vans at the car wash");
  const auto listed = AlertIn(Ok(dispatcher, {"alert", "list"}), id);
  REQUIRE(listed);
  CHECK(Str(*listed, "state") == "reported");
  CHECK(Bool(Ok(dispatcher, {"verify", "request", id}), "requested"));
  CHECK(Str(WaitEvent(v_listen, "verify_request", id), "info.report_text") ==
        "vans at the car wash");
  CHECK(Str(Ok(verifier, {"verify", "answer", "confirmed", id, "--note", "two vans"}), "outcome") ==
        "confirmed");
  const JsonObject answered = WaitEvent(d_listen, "verify_result", id);
  CHECK(Str(answered, "outcome") == "confirmed");
  CHECK(Str(answered, "text") == "two vans");
  CHECK(Str(answered, "info.state") == "confirmed");

  // The alert: Rosa's listener prints it and its hook gets it as JSON on stdin.
  const JsonObject sent = Ok(
      dispatcher, {"alert", "send", "--from-report", id, "--zone", "bh", "--role", "legal_observer",
                   "--es", "ALERTA", "--en", "ALERT", "--en-instructions", "Bring a camera"});
  CHECK(Str(sent, "alert") == id);
  const JsonObject arrived = WaitEvent(r_listen, "alert", id);
  CHECK(Bool(arrived, "info.verified"));
  CHECK(Bool(arrived, "info.asked_to_respond"));
  REQUIRE(
      Eventually([&] { return !Events(RunProgram("/bin/cat", {hooked}).out, "alert").empty(); }));
  const JsonObject hook = Events(RunProgram("/bin/cat", {hooked}).out, "alert").front();
  CHECK(Str(hook, "alert") == id);
  CHECK(Str(hook, "info.state") == "dispatched");
  CHECK(List(hook, "info.texts").size() == 2);

  // Acks roll up: the coordinator sees its responder, the dispatcher both.
  CHECK(Str(Ok(coordinator, {"ack", id}), "kind") == "received");
  CHECK(Str(Ok(rosa, {"ack", id, "--kind", "responding", "--eta", "9"}), "kind") == "responding");
  CHECK(Str(WaitEvent(c_listen, "ack", id), "ack.name") == "Rosa");
  REQUIRE(Eventually([&] {
    return Num(Ok(dispatcher, {"alert", "status", id}), "totals.responding") == 1;
  }));
  const JsonObject status = Ok(dispatcher, {"alert", "status", id});
  REQUIRE(List(status, "branches").size() == 1);
  const JsonObject branch = List(status, "branches")[0].struct_value();
  CHECK(Str(branch, "coordinator_name") == "Coord");
  CHECK(Bool(branch, "coordinator_acked"));
  CHECK(Num(branch, "responding") == 1);
  CHECK(Num(branch, "no_answer") == 0);
  CHECK(Num(Ok(coordinator, {"alert", "status", id}), "totals.responding") == 1);

  // --watch redraws until --watch-for runs out, one JSON object per redraw.
  CliResult watched = dispatcher.Run(
      {"--json", "alert", "status", id, "--watch", "--interval", "0.5", "--watch-for", "2"});
  INFO(watched.err);
  CHECK(watched.exit_code == 0);
  const auto redraws = JsonLines(watched.out);
  CHECK(redraws.size() >= 2);
  for (const auto& redraw : redraws) {
    CHECK(Str(redraw, "alert.id") == id);
    CHECK(Num(redraw, "totals.responding") == 1);
  }

  // Update, then cancel: resolved on Rosa's screen and in her list.
  CHECK(
      Str(Ok(dispatcher, {"alert", "update", id, "--es", "dos detenidos", "--en", "two detained"}),
          "sent") == "update");
  CHECK(Str(WaitEvent(r_listen, "update", id), "info.state") == "updated");
  CHECK(Str(Ok(dispatcher,
               {"alert", "cancel", id, "--reason", "they left", "--es", "fin", "--en", "over"}),
            "sent") == "cancel");
  const JsonObject cancelled = WaitEvent(r_listen, "cancel", id);
  CHECK(Str(cancelled, "info.cancel_reason") == "they left");
  CHECK(Bool(cancelled, "info.resolved"));
  const auto mine = AlertIn(Ok(rosa, {"alert", "list"}), id);
  REQUIRE(mine);
  CHECK(Str(*mine, "state") == "cancelled");

  // A false alarm: the verifier's answer closes the report on the reporter's device too.
  const std::string second = Str(Ok(rosa, {"report", "--zone", "bh", "a film crew?"}), "alert");
  WaitEvent(d_listen, "report", second);
  Ok(dispatcher, {"verify", "request", second});
  WaitEvent(v_listen, "verify_request", second);
  Ok(verifier, {"verify", "answer", "false_alarm", second, "--note", "a film crew"});
  CHECK(Str(WaitEvent(r_listen, "cancel", second), "info.cancel_reason") == "false alarm");
  const auto closed = AlertIn(Ok(verifier, {"alert", "list"}), second);
  REQUIRE(closed);
  CHECK(Str(*closed, "state") == "cancelled");

  // Removing Rosa: her coordinator hears of it, the roster no longer has her.
  CHECK(Str(Ok(dispatcher, {"tree", "remove", "Rosa"}), "revoked") == rosa_key);
  CHECK(Str(WaitEvent(c_listen, "revoked", ""), "from") == rosa_key);
  CHECK(MemberNames(Ok(dispatcher, {"tree", "show"})) ==
        std::set<std::string>{"dispatcher", "Coord", "Vero"});
  CHECK(MemberNames(Ok(coordinator, {"tree", "show"})).count("Rosa") == 0);
}

#endif  // TOCSIN_CLI_ALERTS

}  // namespace
}  // namespace tocsin::testing
