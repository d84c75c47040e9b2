// tocsin send: a text message to a contact (pairwise, end to end).
#include <chrono>
#include <iterator>
#include <memory>
#include <thread>

#include "commands.h"
#include "contacts.h"
#include "linger.h"

namespace tocsin::cli {

namespace {

struct SendOptions {
  std::string contact;
  std::string text;
  bool from_stdin = false;
  int ttl_seconds = 0;
};

int RunSend(Session& session, const SendOptions& options) {
  std::string text = options.text;
  if (options.from_stdin) {
    text.assign(std::istreambuf_iterator<char>(session.in()), std::istreambuf_iterator<char>());
  }
  if (text.empty()) return session.Fail(kExitUsage, "nothing to send: give TEXT or --stdin");
  Result<Device*> device = session.Open();
  if (!device.ok()) return session.Fail(device.status());
  Client& client = *(*device)->client;
  Result<ContactInfo> contact = FindContact(client, options.contact);
  if (!contact.ok()) return session.Fail(contact.status());
  tocsin::SendOptions send_options;
  send_options.ttl = std::chrono::seconds(options.ttl_seconds);
  Result<MessageId> id = client.SendText(contact->id, text, send_options);
  if (!id.ok()) return session.Fail(id.status(), "send to " + contact->name);
  const std::optional<DeliveryState> state = LingerForMessage(session, client, *id);
  Json json = Json().Set("message_id", *id).Set("contact", contact->id);
  if (state) json.Set("recipients_waiting", static_cast<std::uint64_t>(state->recipients_waiting));
  return session.Done(json,
                      "Sent to " + OneLine(contact->name) + " (" + *id + ")." + QueuedNote(state));
}

}  // namespace

void AddSendCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* cmd = app.add_subcommand("send", "Send a text message to a contact");
  auto options = std::make_shared<SendOptions>();
  cmd->add_option("contact", options->contact, "Name, id or id prefix")->required();
  cmd->add_option("text", options->text, "The message");
  cmd->add_flag("--stdin", options->from_stdin, "Read the message from standard input");
  cmd->add_option("--ttl", options->ttl_seconds, "Seconds the relays keep it (default 72 h)");
  cmd->callback([&invocation, options] {
    invocation.action.reads_stdin = options->from_stdin;
    invocation.action.run = [options](Session& s) { return RunSend(s, *options); };
  });
}

}  // namespace tocsin::cli
