// libtocsin example: two devices in one program become contacts and exchange a message.
//
//   send_receive <relay address> <invite> [<folder>]
//
// <relay address> is tocsin://<pin>@host:port and <invite> an operator invite (with at
// least two uses) from `tocsin-relay invite create`. The devices' data folders are made
// under <folder> (default: a new folder under /tmp).
#include <tocsin/client.h>
#include <tocsin/contact_card.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

using namespace std::chrono_literals;

template <typename T>
T OrDie(tocsin::Result<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, result.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

// Waits for the next message event and acknowledges it with Done.
std::string NextText(tocsin::Client& client) {
  for (;;) {
    std::optional<tocsin::Event> event = client.WaitEvent(60s);
    if (!event) {
      std::fprintf(stderr, "no message within a minute\n");
      std::exit(1);
    }
    const bool message = event->kind == tocsin::EventKind::kMessage && event->text.has_value();
    std::string text = message ? *event->text : "";
    (void)client.Done(event->id);  // handled: the client may forget it
    if (message) return text;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <relay address> <invite> [<folder>]\n", argv[0]);
    return 2;
  }
  const std::vector<tocsin::RelaySpec> relays{{argv[1], argv[2]}};
  std::filesystem::path folder = argc > 3 ? argv[3]
                                          : std::filesystem::temp_directory_path() /
                                                ("tocsin-example-" + std::to_string(std::rand()));
  // A real application asks the user (Passphrase::Prompt) or reads a file descriptor.
  auto passphrase = OrDie(tocsin::Passphrase::FromString("example passphrase"), "passphrase");
  tocsin::ClientOptions options;
  options.kdf = tocsin::KdfCost::kMinimum;  // an example: no need for a costly key derivation

  auto alice =
      OrDie(tocsin::Client::Create(folder / "alice", passphrase, relays, options), "create alice");
  auto bob =
      OrDie(tocsin::Client::Create(folder / "bob", passphrase, relays, options), "create bob");

  // Bob shows his card (text or QR); Alice imports it and writes first.
  const std::string card = OrDie(bob->MyCard("Bob"), "card");
  std::printf("Bob's card:\n%s\n", card.c_str());
  const tocsin::ContactId bob_id = OrDie(alice->AddContact(card), "add contact");
  std::printf("safety number: %s\n", OrDie(alice->SafetyNumber(bob_id), "safety number").c_str());
  OrDie(alice->SendText(bob_id, "Hello Bob, this is Alice."), "send");

  // Bob gets a contact request, then the message; he answers.
  std::printf("Bob received: %s\n", NextText(*bob).c_str());
  const tocsin::ContactId alice_id = OrDie(bob->Contacts(), "contacts").front().id;
  OrDie(bob->SendText(alice_id, "Hello Alice."), "reply");
  std::printf("Alice received: %s\n", NextText(*alice).c_str());

  alice->Close();
  bob->Close();
  std::error_code ignored;
  if (argc <= 3) std::filesystem::remove_all(folder, ignored);
  return 0;
}
