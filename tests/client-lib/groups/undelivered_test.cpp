// What the sender of a group message is told when some members get no copy: every
// member that no relay stored a copy for is reported undelivered by name, and no member
// that got one (on any of its relays). Outbox rows an older version left keep their
// meaning.
#include <algorithm>
#include <thread>

#include "core/outbox.h"
#include "group_test_util.h"
#include "tocsin/client.pb.h"

namespace tocsin::testing {
namespace {

Device Make(const std::string& label, const std::filesystem::path& dir,
            const std::vector<RelaySpec>& relays) {
  Device device;
  device.client = Take(Client::Create(dir / label, TestPassphrase(), relays, FastOptions()));
  device.log = std::make_unique<EventLog>(*device.client);
  return device;
}

bool IsUndelivered(const Event& e, const MessageId& id) {
  return e.kind == EventKind::kUndelivered && e.message_id == id;
}

// The contacts named by the kUndelivered events of message `id`, sorted.
std::vector<ContactId> UndeliveredTo(const EventLog& log, const MessageId& id) {
  std::vector<ContactId> out;
  for (const Event& e : log.All()) {
    if (IsUndelivered(e, id)) out.push_back(e.contact);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("a group message is reported undelivered to the member whose only relay was down",
          "[groups][relay]") {
  auto x = StartRelay();
  auto z = StartRelay();
  TempFolder folder;
  const RelaySpec on_x = SpecOf(*x);
  const RelaySpec on_z = SpecOf(*z);
  Device s = Make("s", folder.path(), {on_x, on_z});  // the sender
  Device a = Make("a", folder.path(), {on_x});        // a mailbox on X only
  Device b = Make("b", folder.path(), {on_z});        // a mailbox on Z only
  Device c = Make("c", folder.path(), {on_x, on_z});  // a mailbox on each
  const Pair sa = Connect(*s.client, *s.log, *a.client, *a.log, "sa");
  const Pair sb = Connect(*s.client, *s.log, *b.client, *b.log, "sb");
  const Pair sc = Connect(*s.client, *s.log, *c.client, *c.log, "sc");
  const GroupId group = Take(s.client->CreateGroup("zone 4", {sa.b_at_a, sb.b_at_a, sc.b_at_a}));
  AcceptInvite(a, group, sa.a_at_b);
  AcceptInvite(b, group, sb.a_at_b);
  AcceptInvite(c, group, sc.a_at_b);
  Take(s.client->SendGroupText(group, "both relays up"));
  for (Device* member : {&a, &b, &c}) REQUIRE(member->log->WaitForText("both relays up"));
  REQUIRE(WaitOutboxEmpty(*s.client));

  // Z is down for the whole life of the next message: X stores the copies of A and C,
  // and nothing reaches B, whose only mailbox is on Z.
  z->Kill9();
  SendOptions options;
  options.ttl = 5s;
  const MessageId id = Take(s.client->SendGroupText(group, "Z is down", options));
  REQUIRE(a.log->WaitForText("Z is down"));
  REQUIRE(c.log->WaitForText("Z is down"));
  REQUIRE(s.log->WaitFor([&](const Event& e) { return IsUndelivered(e, id); }));
  REQUIRE(WaitOutboxEmpty(*s.client));
  // Every row of the message is settled: no further report can come.
  std::this_thread::sleep_for(5 * FastOptions().maintenance_interval);
  CHECK(UndeliveredTo(*s.log, id) == std::vector<ContactId>{sb.b_at_a});
  auto event = s.log->Find([&](const Event& e) { return IsUndelivered(e, id); });
  CHECK(event->group == group);
  CHECK_FALSE(event->stored_on_relay);
  CHECK(CountText(*b.log, "Z is down") == 0);
}

TEST_CASE("a member whose copy its relay refuses for good is reported undelivered at once",
          "[groups][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  const RelaySpec spec = SpecOf(*relay);
  Device s = Make("s", folder.path(), {spec});  // the sender
  Device a = Make("a", folder.path(), {spec});
  Device b = Make("b", folder.path(), {spec});
  const Pair sa = Connect(*s.client, *s.log, *a.client, *a.log, "sa");
  const Pair sb = Connect(*s.client, *s.log, *b.client, *b.log, "sb");
  const GroupId group = Take(s.client->CreateGroup("zone 4", {sa.b_at_a, sb.b_at_a}));
  AcceptInvite(a, group, sa.a_at_b);
  AcceptInvite(b, group, sb.a_at_b);
  Take(s.client->SendGroupText(group, "before"));
  REQUIRE(a.log->WaitForText("before"));
  REQUIRE(b.log->WaitForText("before"));
  REQUIRE(WaitOutboxEmpty(*s.client));

  // B drops S: the token S holds for B's mailbox is revoked at once (grace 0), so the
  // relay stores A's view of the next message and refuses B's for good.
  Check(b.client->RemoveContact(sb.a_at_b));
  SendOptions options;
  options.ttl = 1h;  // the refusal is reported when it comes, not at the TTL
  const MessageId id = Take(s.client->SendGroupText(group, "B refused", options));
  REQUIRE(a.log->WaitForText("B refused"));
  REQUIRE(s.log->WaitFor([&](const Event& e) { return IsUndelivered(e, id); }));
  REQUIRE(WaitOutboxEmpty(*s.client));
  std::this_thread::sleep_for(5 * FastOptions().maintenance_interval);
  CHECK(UndeliveredTo(*s.log, id) == std::vector<ContactId>{sb.b_at_a});
  auto event = s.log->Find([&](const Event& e) { return IsUndelivered(e, id); });
  CHECK(event->group == group);
  CHECK_FALSE(event->stored_on_relay);
}

// A fan-out row to `relay` for one member, `contact`, that expires in `ttl`; `delivered`:
// as an older version left a row of a message that another relay stored (on the row).
client::OutboxRecord FanOutRow(const std::string& relay, const std::string& contact,
                               std::chrono::milliseconds ttl, std::uint64_t now_ms,
                               bool delivered) {
  client::OutboxRecord row;
  row.set_message_id(std::string(15, 'm') + (delivered ? 'd' : 'u'));
  row.set_expires_ms(now_ms + static_cast<std::uint64_t>(ttl.count()));
  row.set_ttl_seconds(static_cast<std::uint32_t>(ttl.count() / 1000));
  row.set_relay(relay);
  row.set_group_id(std::string(16, 'g'));
  row.set_blob("a blob");
  row.set_report_undelivered(true);
  row.set_delivered(delivered);
  auto* view = row.add_views();
  view->set_mailbox_id(std::string(16, 'b'));
  view->set_token(std::string(16, 't'));
  view->set_view(std::string(48, 'v'));
  view->set_contact_id(contact);
  return row;
}

TEST_CASE("outbox rows of an older version load, and one it marked delivered is not reported",
          "[groups][relay]") {
  auto relay = StartRelay();
  TempFolder folder;
  const std::filesystem::path dir = folder.path() / "s";
  auto s = Take(Client::Create(dir, TestPassphrase(), {SpecOf(*relay)}, FastOptions()));
  const std::string address = relay->address().ToString();
  relay->Kill9();  // the rows wait for it until they expire
  const std::string contact(16, 'c');
  CHECK(OnWorker<bool>(*s, [&] {
    auto& context = s->core().context();
    const std::uint64_t now = context.env.NowMs();
    core::Batch batch(*context.store);
    return context.outbox
               ->Stage(batch, {FanOutRow(address, contact, 10s, now, true),
                               FanOutRow(address, contact, 10s, now, false)})
               .ok() &&
           batch.Commit().ok();
  }));
  s->Close();
  s = Take(Client::Open(dir, TestPassphrase(), FastOptions()));
  EventLog log(*s);
  CHECK(OutboxSize(*s) == 2);
  REQUIRE(WaitOutboxEmpty(*s));
  std::this_thread::sleep_for(5 * FastOptions().maintenance_interval);
  CHECK(UndeliveredTo(log, core::ToHex(std::string(15, 'm') + 'd')).empty());
  CHECK(UndeliveredTo(log, core::ToHex(std::string(15, 'm') + 'u')) ==
        std::vector<ContactId>{core::ToHex(contact)});
}

}  // namespace
}  // namespace tocsin::testing
