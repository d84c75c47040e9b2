// relay.toml from arbitrary text (toml++ and the one config schema). Checked beyond "no
// crash": an accepted config has settings inside the schema's ranges that matter for
// safety (a frame limit, a TTL cap), and the commented relay.toml that `init` writes
// parses back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"
#include "fuzz_common.h"

namespace {

using tocsin::fuzz::Require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = tocsin::relay::ParseConfig(text, "fuzz.toml", "/nonexistent");
  if (config.ok()) {
    Require(config->max_frame_bytes >= 1024 && config->max_frame_bytes <= 16 * 1024 * 1024);
    Require(config->max_envelope_bytes + 1024 <= config->max_frame_bytes);
    Require(config->max_ttl_seconds > 0);
    const std::string generated =
        tocsin::relay::GenerateConfigText(config->listen, config->data_dir);
    Require(tocsin::relay::ParseConfig(generated, "generated.toml", "/nonexistent").ok());
  }
  return 0;
}
