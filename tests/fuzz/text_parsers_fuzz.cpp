// The text a person pastes or scans: relay addresses (tocsin://<pin>@host:port), base32,
// and contact card codes (TOCSIN1:..., signature-checked). Checked beyond "no crash": a
// parsed address prints back to text that parses to the same address, base32 decodes
// re-encode to the canonical form, and an accepted card has a 64-digit hex identity.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_common.h"
#include "tocsin/contact_card.h"
#include "tocsin/relay_address.h"

namespace {

using tocsin::fuzz::Require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto address = tocsin::ParseRelayAddress(text);
  if (address.ok()) {
    auto again = tocsin::ParseRelayAddress(address->ToString());
    Require(again.ok() && again->ToString() == address->ToString());
  }

  auto decoded = tocsin::Base32Decode(text);
  if (decoded.ok()) {
    auto round = tocsin::Base32Decode(tocsin::Base32Encode(*decoded));
    Require(round.ok() && *round == *decoded);
  }

  auto card = tocsin::InspectContactCard(text);
  if (card.ok()) {
    Require(card->identity_key.size() == 64);
    for (const auto& relay : card->relays) Require(tocsin::ParseRelayAddress(relay).ok());
  }
  return 0;
}
