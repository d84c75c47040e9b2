// tocsin card [--qr]: this device's contact card, as a text code and a QR code.
#include <memory>

#include "commands.h"
#include "tocsin/contact_card.h"

namespace tocsin::cli {

namespace {

int RunCard(Session& session, bool qr, const std::string& name_option) {
  Result<Device*> device = session.Open();
  if (!device.ok()) return session.Fail(device.status());
  const std::string name = name_option.empty() ? (*device)->settings.name : name_option;
  Result<std::string> card = (*device)->client->MyCard(name);
  if (!card.ok()) return session.Fail(card.status(), "card (are the relays reachable?)");
  Json json;
  json.Set("card", *card).Set("identity_key", (*device)->client->IdentityKey());
  json.Set("name", name);
  std::string text;
  if (qr) {
    Result<std::string> drawn = RenderQrForTerminal(*card);
    if (!drawn.ok()) return session.Fail(drawn.status(), "QR code");
    text = *drawn + "\n";
  }
  text += *card + "\n";
  return session.Done(json, text);
}

}  // namespace

void AddCardCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* cmd = app.add_subcommand("card", "Show this device's contact card (code and QR)");
  auto qr = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();
  cmd->add_flag("--qr", *qr, "Also draw the card as a QR code in the terminal");
  cmd->add_option("--name", *name, "The name the card suggests (default: the one from init)");
  cmd->callback([&invocation, qr, name] {
    invocation.action.run = [qr, name](Session& s) { return RunCard(s, *qr, *name); };
  });
}

}  // namespace tocsin::cli
