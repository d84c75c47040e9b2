// tocsin/contact_card.h: reading and drawing cards.
#include <qrencode.h>

#include <memory>
#include <string>

#include "core/card.h"
#include "core/hex.h"
#include "tocsin/contact_card.h"

namespace tocsin {

Result<ContactCardInfo> InspectContactCard(std::string_view text) {
  auto parsed = core::DecodeCard(core::SharedSignalContext(), text);
  if (!parsed.ok()) return parsed.status();
  ContactCardInfo info;
  info.identity_key = core::ToHex(parsed->identity);
  info.suggested_name = parsed->card.suggested_name();
  info.created_ms = parsed->card.created_ms();
  for (const auto& relay : parsed->relays) info.relays.push_back(relay.ToString());
  return info;
}

Result<QrCode> MakeQrCode(std::string_view text) {
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!code) return Status::InvalidArgument("the text does not fit a QR code");
  QrCode out;
  out.size = code->width;
  out.modules.resize(static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width));
  for (std::size_t i = 0; i < out.modules.size(); ++i) out.modules[i] = (code->data[i] & 1) != 0;
  return out;
}

Result<std::string> RenderQrForTerminal(std::string_view text) {
  auto code = MakeQrCode(text);
  if (!code.ok()) return code.status();
  constexpr int kQuiet = 2;
  const int size = code->size + 2 * kQuiet;
  // Light modules are drawn (the quiet zone too), so the code reads dark on light on a
  // terminal with a dark background, the usual case.
  auto light = [&](int row, int column) {
    const int r = row - kQuiet;
    const int c = column - kQuiet;
    if (r < 0 || c < 0 || r >= code->size || c >= code->size) return true;
    return !code->modules[static_cast<std::size_t>(r * code->size + c)];
  };
  std::string out;
  for (int row = 0; row < size; row += 2) {
    for (int column = 0; column < size; ++column) {
      const bool top = light(row, column);
      const bool bottom = row + 1 < size ? light(row + 1, column) : false;
      if (top && bottom) {
        out += "\u2588";
      } else if (top) {
        out += "\u2580";
      } else if (bottom) {
        out += "\u2584";
      } else {
        out += " ";
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace tocsin
