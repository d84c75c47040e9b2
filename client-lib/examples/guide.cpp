// The C++ snippets of docs/client.md, each inside a function that gives it what it
// uses, so that they are compiled: tocsin_client_install_tests builds this file against
// the installed package, and tocsin_client_docs_tests checks that every C++ block of
// the guide is found here, line for line. Not a program: send_receive.cpp is one.
#include <tocsin/client.h>
#include <tocsin/contact_card.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace guide {

// Stand-ins for the application's own code.
void Show(const tocsin::ContactId& from, const std::string& text) {
  std::printf("%s: %s\n", from.c_str(), text.c_str());
}
void Handle(const tocsin::Event& event) {
  std::printf("event %llu\n", (unsigned long long)event.id);
}

tocsin::Result<std::unique_ptr<tocsin::Client>> Lifecycle(bool first_run) {
  auto passphrase = tocsin::Passphrase::Prompt("Passphrase: ");  // or FromFd, FromFile
  if (!passphrase.ok()) return passphrase.status();
  std::vector<tocsin::RelaySpec> relays = {{"tocsin://<pin>@relay1.example.org:7443", "<invite>"},
                                           {"tocsin://<pin>@relay2.example.org:7443", "<invite>"}};

  // First run: makes the device (identity, mailboxes, keys); needs the relays' invites.
  // Later runs: opens it, and connects in the background.
  tocsin::Result<std::unique_ptr<tocsin::Client>> client =
      first_run ? tocsin::Client::Create("/var/lib/myapp/tocsin", *passphrase, relays)
                : tocsin::Client::Open("/var/lib/myapp/tocsin", *passphrase);
  if (!client.ok()) return client.status();  // kUnauthorized: a wrong passphrase
  return client;
}

void Closing(std::unique_ptr<tocsin::Client>& client) {
  client->Close();  // or let it go out of scope
}

tocsin::Status Contacts(std::unique_ptr<tocsin::Client>& client, const std::string& bobs_card) {
  tocsin::Result<std::string> card = client->MyCard("Ana");  // show it, or draw it:
  if (!card.ok()) return card.status();  // kUnavailable: no relay took an intro token
  tocsin::Result<std::string> qr = tocsin::RenderQrForTerminal(*card);
  if (qr.ok()) std::printf("%s\n", qr->c_str());

  tocsin::Result<tocsin::ContactId> bob = client->AddContact(bobs_card);  // unverified
  if (!bob.ok()) return bob.status();  // kCryptoFailure: a mistyped card
  tocsin::Result<std::string> number = client->SafetyNumber(*bob);  // compare with Bob's
  if (number.ok()) std::printf("%s\n", number->c_str());
  return client->MarkVerified(*bob);  // once Ana and Bob read the same number
}

tocsin::Status Sending(std::unique_ptr<tocsin::Client>& client, const tocsin::ContactId& bob,
                       const std::string& payload) {
  tocsin::Result<tocsin::MessageId> id = client->SendText(bob, "Agents at 5th and Main");
  if (!id.ok()) return id.status();  // kUntrustedIdentity, kUnavailable, ...
  // `payload`: a serialized tocsin::app::Payload, such as an Alert (alert.proto).
  tocsin::Result<tocsin::MessageId> alert =
      client->Send(bob, payload, {.ttl = std::chrono::hours(2)});
  return alert.status();
}

void Undelivered(const tocsin::Event& e) {
  if (e.kind == tocsin::EventKind::kUndelivered) {
    // e.message_id did not reach e.contact's device before its TTL passed:
    // e.stored_on_relay tells whether a relay had it (then no receipt came back).
    std::printf("not delivered: %s\n", e.message_id.c_str());
  }
}

void Callback(std::unique_ptr<tocsin::Client>& client) {
  client->SetEventHandler([&client](const tocsin::Event& e) {
    if (e.kind == tocsin::EventKind::kMessage && e.text) Show(e.contact, *e.text);
    (void)client->Done(e.id);  // handled: the client may forget it
  });
}

void Loop(std::unique_ptr<tocsin::Client>& client) {
  while (std::optional<tocsin::Event> e = client->WaitEvent(std::chrono::seconds(30))) {
    Handle(*e);
    (void)client->Done(e->id);
  }
}

tocsin::Status Groups(std::unique_ptr<tocsin::Client>& client, const tocsin::ContactId& ana,
                      const tocsin::ContactId& bob, const tocsin::ContactId& chen,
                      const tocsin::ContactId& dee) {
  // The sender:
  tocsin::Result<tocsin::GroupId> zone = client->CreateGroup("zone 4", {ana, bob, chen});
  if (!zone.ok()) return zone.status();
  auto sent = client->SendGroupText(*zone, "Verified: checkpoint at Pine St, observers needed");
  tocsin::Status added = client->AddMembers(*zone, {dee});  // Dee gets the current key
  // Bob is removed: a new key, which Bob never gets, and the group's other senders
  // (told by this device) start new keys too.
  tocsin::Status removed = client->RemoveMembers(*zone, {bob});
  return removed.ok() ? added : removed;
}

tocsin::Status Joining(std::unique_ptr<tocsin::Client>& client, const tocsin::Event& e) {
  // A member, when the invite comes (kGroupInvite, with e.group and e.contact):
  return client->JoinGroup(e.group, "zone 4", {e.contact});
}

}  // namespace guide
