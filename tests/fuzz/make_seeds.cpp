// Writes the seed corpus of every fuzz target into tests/fuzz/corpus/<target>/:
// well-formed inputs that reach deep into each parser (valid frames and request
// sequences, envelopes that open, Signal messages that decrypt, a signed contact card,
// the relay.toml that `init` writes). Usage: tocsin_fuzz_make_seeds <corpus folder>
#include <sodium.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/card.h"
#include "crypto/padding.h"
#include "crypto/sealed_sender.h"
#include "crypto/signal_padding.h"
#include "crypto/signal_xeddsa.h"
#include "fuzz_keys.h"
#include "signal_rig.h"
#include "tocsin/alert.pb.h"
#include "tocsin/client.pb.h"
#include "tocsin/contact_card.h"
#include "tocsin/envelope.pb.h"
#include "tocsin/frame_codec.h"

namespace tocsin::fuzz {
namespace {

std::filesystem::path g_root;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const auto folder = g_root / target;
  std::filesystem::create_directories(folder);
  std::ofstream(folder / name, std::ios::binary) << bytes;
}

std::string Str(std::span<const std::uint8_t> bytes) { return {bytes.begin(), bytes.end()}; }

std::string Framed(const std::vector<wire::Request>& requests) {
  std::string out;
  for (const auto& request : requests) {
    wire::Frame frame;
    *frame.mutable_request() = request;
    OrAbort(AppendFrame(frame, &out));
  }
  return out;
}

wire::Request Numbered(std::uint64_t id) {
  wire::Request r;
  r.set_id(id);
  return r;
}

std::vector<wire::Request> OwnerRequests() {
  std::vector<wire::Request> out;
  auto create = Numbered(2);
  create.mutable_create_mailbox()->set_invite(std::string(16, 'i'));
  create.mutable_create_mailbox()->set_auth_public_key(std::string(32, 'k'));
  create.mutable_create_mailbox()->set_signature(std::string(64, 's'));
  out.push_back(create);
  auto auth = Numbered(3);
  auth.mutable_authenticate()->set_mailbox_id(std::string(16, 'm'));
  auth.mutable_authenticate()->set_signature(std::string(64, 's'));
  out.push_back(auth);
  auto subscribe = Numbered(4);
  subscribe.mutable_subscribe()->set_mailbox_id(std::string(16, 'm'));
  subscribe.mutable_subscribe()->set_window(4);
  out.push_back(subscribe);
  auto ack = Numbered(5);
  ack.mutable_ack()->set_mailbox_id(std::string(16, 'm'));
  ack.mutable_ack()->add_seqs(1);
  out.push_back(ack);
  auto ping = Numbered(6);
  ping.mutable_ping();
  out.push_back(ping);
  return out;
}

std::vector<wire::Request> SendRequests() {
  std::vector<wire::Request> out;
  auto send = Numbered(2);
  send.mutable_send()->set_mailbox_id(std::string(16, 'm'));
  send.mutable_send()->set_token(std::string(16, 't'));
  send.mutable_send()->set_envelope(std::string(200, 'e'));
  send.mutable_send()->set_ttl_seconds(3600);
  out.push_back(send);
  auto blob = Numbered(3);
  blob.mutable_put_blob()->set_blob(std::string(300, 'b'));
  blob.mutable_put_blob()->set_ttl_seconds(3600);
  out.push_back(blob);
  auto views = Numbered(4);
  views.mutable_send_views()->set_handle(std::string(16, 'h'));
  auto* view = views.mutable_send_views()->add_views();
  view->set_mailbox_id(std::string(16, 'm'));
  view->set_token(std::string(16, 't'));
  view->set_view(std::string(48, 'v'));
  out.push_back(views);
  auto bundle = Numbered(5);
  bundle.mutable_get_prekey_bundle()->set_mailbox_id(std::string(16, 'm'));
  bundle.mutable_get_prekey_bundle()->set_token(std::string(16, 't'));
  out.push_back(bundle);
  return out;
}

wire::Request HelloRequest(wire::ConnectionKind kind) {
  auto hello = Numbered(1);
  hello.mutable_hello()->set_version(1);
  hello.mutable_hello()->set_kind(kind);
  return hello;
}

void RelaySeeds() {
  const std::string owner = Framed(OwnerRequests());
  const std::string send = Framed(SendRequests());
  Write("relay_session", "owner", std::string(1, '\0') + owner);
  Write("relay_session", "send", std::string(1, '\1') + send);
  Write("relay_session", "hello_owner",
        std::string(1, '\2') + Framed({HelloRequest(wire::OWNER)}) + owner);
  Write("relay_session", "send_on_owner", std::string(1, '\0') + send);
  Write("frame_decoder", "owner_chunks_1", std::string(1, '\0') + owner);
  Write("frame_decoder", "send_chunks_7", std::string(1, '\6') + send);
  Write("frame_decoder", "hello_whole", std::string(1, '\77') + Framed({HelloRequest(wire::SEND)}));
}

void SealedSeeds() {
  const auto& keys = Keys();
  crypto::DeterministicRng rng(std::uint8_t{7});
  const std::string text = "Verified: agents at 5th and Main. Observers needed.";
  const std::span<const std::uint8_t> content(reinterpret_cast<const std::uint8_t*>(text.data()),
                                              text.size());
  const auto v1 = OrAbort(crypto::SealV1(keys.sender, keys.recipient.public_key(), content, rng));
  Write("sealed_open", "v1", std::string(1, '\0') + Str(v1));
  const auto v1_old = OrAbort(crypto::SealV1(keys.sender, keys.older.public_key(), content, rng));
  Write("sealed_open", "v1_older_key", std::string(1, '\0') + Str(v1_old));
  const crypto::PublicKey recipients[] = {keys.older.public_key(), keys.recipient.public_key()};
  const auto v2 = OrAbort(crypto::SealV2(keys.sender, recipients, content, rng));
  Write("sealed_open", "v2", std::string(1, '\1') + Str(v2.blob) + Str(v2.views[1]));
  Write("sealed_open", "v2_older_key", std::string(1, '\1') + Str(v2.blob) + Str(v2.views[0]));
}

void SignalSeeds() {
  SignalRig rig;
  app::Payload payload;
  payload.mutable_text()->set_body("Checkpoint at Pine St: observers needed");
  const std::string bytes = payload.SerializeAsString();
  const std::span<const std::uint8_t> plain(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            bytes.size());
  Write("signal_content", "padded_payload", Str(crypto::PadContent(plain)));

  auto pairwise = OrAbort(crypto::PairwiseCipher::Create(*rig.alice.signal, rig.bob.address));
  const auto first = OrAbort(pairwise.Encrypt(plain));
  envelope::SealedContent content;
  content.set_sender_identity_key(Str(rig.alice.store->GetIdentityKeyPair().public_key()));
  content.set_sender_device_id(1);
  content.set_message_id(std::string(16, 'i'));
  content.set_type(envelope::PREKEY_SIGNAL_MESSAGE);
  content.set_ciphertext(Str(first.bytes));
  Write("signal_content", "prekey_message", content.SerializeAsString());
  content.set_type(envelope::SIGNAL_MESSAGE);
  Write("signal_content", "prekey_bytes_as_signal", content.SerializeAsString());

  auto group = OrAbort(crypto::GroupCipher::Create(*rig.alice.signal, rig.AliceGroup()));
  const auto message = OrAbort(group.Encrypt(plain));
  content.set_type(envelope::SENDER_KEY_MESSAGE);
  content.set_group_id(kGroupId);
  content.set_ciphertext(Str(message.bytes));
  Write("signal_content", "group_message", content.SerializeAsString());
  const auto distribution =
      OrAbort(crypto::CreateSenderKeyDistribution(*rig.alice.signal, rig.AliceGroup()));
  content.set_type(envelope::SENDER_KEY_DISTRIBUTION);
  content.set_ciphertext(Str(distribution));
  Write("signal_content", "distribution", content.SerializeAsString());
}

void TextSeeds() {
  crypto::DeterministicRng rng(std::uint8_t{9});
  const auto& context = core::SharedSignalContext();
  const auto identity = crypto::X25519KeyPair::Generate(rng);
  const auto envelope_key = crypto::X25519KeyPair::Generate(rng);
  client::ContactCard card;
  const auto serialized = crypto::SerializePublicKey(identity.public_key());
  card.set_identity_key(Str(serialized));
  card.set_registration_id(1234);
  auto* key = card.mutable_envelope_key();
  key->set_key_id(1);
  key->set_public_key(Str(envelope_key.public_key()));
  key->set_created_ms(1'700'000'000'000);
  key->set_signature(Str(OrAbort(crypto::SignEnvelopeKey(context, identity, 1, 1'700'000'000'000,
                                                         envelope_key.public_key()))));
  RelayAddress relay;
  relay.host = "relay1.example.org";
  relay.port = 7443;
  relay.pin.fill(0x5a);
  auto* address = card.add_addresses();
  address->set_relay(relay.ToString());
  address->set_mailbox_id(std::string(16, 'm'));
  address->set_token(std::string(16, 't'));
  card.set_suggested_name("Ana");
  card.set_created_ms(1'700'000'000'000);
  const std::string text = OrAbort(core::EncodeCard(context, identity, card));
  OrAbort(InspectContactCard(text));
  Write("text_parsers", "card", text);
  Write("text_parsers", "relay_address", relay.ToString());
  relay.host = "::1";
  Write("text_parsers", "relay_address_v6", relay.ToString());
  Write("text_parsers", "base32", Base32Encode(serialized));
}

void ConfigSeeds() {
  const std::string small =
      "[server]\nlisten = \"[::1]:9000\"\ndata_dir = \"data\"\ndurability = \"wal\"\n"
      "[limits]\nmax_frame_bytes = 131072\nmax_envelope_bytes = 1024\n";
  OrAbort(relay::ParseConfig(small, "small", "/"));  // a seed that does not parse is wasted
  Write("relay_config", "small", small);
  Write("relay_config", "generated",
        relay::GenerateConfigText("127.0.0.1:7443", "/var/lib/tocsin"));
}

}  // namespace
}  // namespace tocsin::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
    return 2;
  }
  if (sodium_init() < 0) return 1;
  tocsin::fuzz::g_root = argv[1];
  tocsin::fuzz::RelaySeeds();
  tocsin::fuzz::SealedSeeds();
  tocsin::fuzz::SignalSeeds();
  tocsin::fuzz::TextSeeds();
  tocsin::fuzz::ConfigSeeds();
  return 0;
}
