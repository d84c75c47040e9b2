// SPEC.md's relay protocol vectors (proto/vectors/relay.txt), made by an independent
// generator (tests/vectors/gen_relay_vectors.py) and checked here against libsodium,
// OpenSSL and tocsin::proto.
//
// Each section has a checker that answers what does not hold ("" when all does). The
// tamper test changes every byte of every field and expects each change to be caught, so
// no byte of the vector file goes unchecked.
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_bytes.h"
#include "tocsin/frame_codec.h"
#include "tocsin/relay_address.h"
#include "vector_file.h"

namespace {

using tocsin::testing::Bytes;
using tocsin::testing::FromHex;
using tocsin::testing::ToBytes;

// One block of relay.txt. Keys ending in "_text" hold ASCII text, the others hex.
using Case = tocsin::testing::VectorBlock;

Bytes Concat(std::initializer_list<std::span<const std::uint8_t>> parts) {
  Bytes out;
  for (auto part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

std::vector<Case> ReadVectors() {
  return tocsin::testing::ReadVectorFile(std::string(TOCSIN_VECTORS_DIR) + "/relay.txt");
}

bool Same(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// ---------------------------------------------------------------- Ed25519 (sections 1 and 6)

// The key pair of c["seed"] must be c["public_key"], and libsodium's signature of
// `message` must be c["signature"] byte for byte (Ed25519 is deterministic).
std::string CheckEd25519(const Case& c, const Bytes& message) {
  const Bytes& seed = c.Get("seed");
  if (seed.size() != crypto_sign_SEEDBYTES) return "seed size";
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(public_key, secret_key, seed.data());
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, message.data(), message.size(), secret_key);
  sodium_memzero(secret_key, sizeof secret_key);
  if (!Same(public_key, c.Get("public_key"))) return "public key";
  if (!Same(signature, c.Get("signature"))) return "signature";
  if (crypto_sign_verify_detached(signature, message.data(), message.size(), public_key) != 0) {
    return "verification";
  }
  return "";
}

std::string CheckRfc8032(const Case& c) { return CheckEd25519(c, c.Get("message")); }

std::string CheckAuth(const Case& c) {
  const Bytes& nonce = c.Get("server_nonce");
  const Bytes& mailbox = c.Get("mailbox_id");
  if (nonce.size() != 32 || mailbox.size() != 16) return "field sizes";
  if (!Same(c.Get("signed"), Concat({ToBytes("tocsin/relay/auth/v1"), nonce, mailbox}))) {
    return "signed bytes";
  }
  return CheckEd25519(c, c.Get("signed"));
}

std::string CheckCreateMailbox(const Case& c) {
  const Bytes& nonce = c.Get("server_nonce");
  const Bytes& key = c.Get("public_key");
  if (nonce.size() != 32 || key.size() != 32) return "field sizes";
  if (!Same(c.Get("signed"), Concat({ToBytes("tocsin/relay/create-mailbox/v1"), nonce, key}))) {
    return "signed bytes";
  }
  return CheckEd25519(c, c.Get("signed"));
}

// ---------------------------------------------------------------- hashes (sections 6 and 7)

Bytes Blake2b256(const Bytes& data) {
  Bytes out(32);
  crypto_generichash(out.data(), out.size(), data.data(), data.size(), nullptr, 0);
  return out;
}

std::string CheckTokenHash(const Case& c) {
  const Bytes& token = c.Get("token");
  if (token.size() != 16) return "token size";
  return Same(Blake2b256(token), c.Get("hash")) ? "" : "hash";
}

std::string CheckInvite(const Case& c) {
  const Bytes& invite = c.Get("invite");
  if (invite.size() != 16) return "invite size";
  if (!Same(Blake2b256(invite), c.Get("hash"))) return "hash";
  const std::string text = c.Text("invite_text");
  if (text.size() != 26 || tocsin::Base32Encode(invite) != text) return "text form";
  auto decoded = tocsin::Base32Decode(text);
  return decoded.ok() && Same(*decoded, invite) ? "" : "text form does not decode";
}

// ---------------------------------------------------------------- relay pins (section 1)

// The DER SubjectPublicKeyInfo OpenSSL writes for a raw Ed25519 public key.
Bytes OpenSslSpki(const Bytes& public_key) {
  EVP_PKEY* key =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size());
  if (key == nullptr) return {};
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  Bytes out;
  if (length > 0) out.assign(der, der + length);
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  return out;
}

std::string CheckRelayPin(const Case& c) {
  const Bytes& public_key = c.Get("public_key");
  const Bytes& spki = c.Get("spki");
  const Bytes prefix = FromHex("302a300506032b6570032100");
  if (!Same(spki, Concat({prefix, public_key})) || !Same(spki, OpenSslSpki(public_key))) {
    return "spki";
  }
  Bytes pin(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(pin.data(), spki.data(), spki.size());
  if (!Same(pin, c.Get("pin"))) return "pin";
  const std::string pin_text = c.Text("pin_text");
  if (tocsin::Base32Encode(pin) != pin_text) return "pin text";
  const std::string host = c.Text("host_text");
  const std::string port = c.Text("port_text");
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::string address = c.Text("address_text");
  if (address != "tocsin://" + pin_text + "@" + shown + ":" + port) return "address text";
  auto parsed = tocsin::ParseRelayAddress(address);
  if (!parsed.ok()) return "address does not parse: " + parsed.status().ToString();
  if (!Same(parsed->pin, pin) || parsed->host != host || std::to_string(parsed->port) != port) {
    return "parsed address";
  }
  return parsed->ToString() == address ? "" : "address does not format back";
}

std::string CheckRelayPinKey(const Case& c) {
  const Bytes& seed = c.Get("seed");
  if (seed.size() != crypto_sign_SEEDBYTES) return "seed size";
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(public_key, secret_key, seed.data());
  sodium_memzero(secret_key, sizeof secret_key);
  return Same(public_key, c.Get("public_key")) ? CheckRelayPin(c) : "public key";
}

// ---------------------------------------------------------------- envelope keys (section 10.4)

using Scalar = std::array<std::uint8_t, 32>;

Scalar ReduceWide(std::span<const std::uint8_t> bytes) {  // bytes (<= 64) as an integer mod L
  std::uint8_t wide[64] = {};
  std::copy(bytes.begin(), bytes.end(), wide);
  Scalar out;
  crypto_core_ed25519_scalar_reduce(out.data(), wide);
  return out;
}

Scalar HashToScalar(std::initializer_list<std::span<const std::uint8_t>> parts) {
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  for (auto part : parts) crypto_hash_sha512_update(&state, part.data(), part.size());
  std::uint8_t digest[64];
  crypto_hash_sha512_final(&state, digest);
  return ReduceWide(digest);
}

// libsignal-protocol-c's curve_calculate_signature with its random bytes given:
// r = SHA-512(0xFE || 0xFF*31 || a || M || Z), s = r + SHA-512(R || A || M) a, and A's
// sign bit in the top bit of the signature.
Bytes SignalSign(const Bytes& private_key, const Bytes& edwards, const Bytes& message,
                 const Bytes& random) {
  Bytes prefix(32, 0xff);
  prefix[0] = 0xfe;
  const Scalar a = ReduceWide(private_key);
  const Scalar r = HashToScalar({prefix, private_key, message, random});
  Bytes signature(64);
  if (crypto_scalarmult_ed25519_base_noclamp(signature.data(), r.data()) != 0) return {};
  const Scalar h = HashToScalar({std::span(signature).first(32), edwards, message});
  Scalar ha;
  crypto_core_ed25519_scalar_mul(ha.data(), h.data(), a.data());
  crypto_core_ed25519_scalar_add(signature.data() + 32, ha.data(), r.data());
  signature[63] |= edwards[31] & 0x80;
  return signature;
}

// libsignal-protocol-c's curve_verify_signature: the Edwards key from the X25519 key,
// its sign bit from the signature, then plain Ed25519.
bool SignalVerify(const Bytes& edwards, const Bytes& message, const Bytes& signature) {
  Bytes key = edwards;
  Bytes sig = signature;
  key[31] = static_cast<std::uint8_t>((key[31] & 0x7f) | (sig[63] & 0x80));
  sig[63] &= 0x7f;
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

std::string CheckEnvelopeKeyIdentity(const Case& c) {
  const Bytes& private_key = c.Get("identity_private");
  const Bytes& edwards = c.Get("identity_ed25519");
  if (private_key.size() != 32 || edwards.size() != 32) return "identity sizes";
  Bytes x25519(32);
  crypto_scalarmult_base(x25519.data(), private_key.data());
  if (!Same(x25519, c.Get("identity_public"))) return "identity public key";
  const Scalar a = ReduceWide(private_key);
  Bytes point(32);
  if (crypto_scalarmult_ed25519_base_noclamp(point.data(), a.data()) != 0 ||
      !Same(point, edwards)) {
    return "identity Edwards key";
  }
  Bytes montgomery(32);
  if (crypto_sign_ed25519_pk_to_curve25519(montgomery.data(), edwards.data()) != 0 ||
      !Same(montgomery, x25519)) {
    return "Edwards and X25519 forms differ";
  }
  return "";
}

std::string CheckEnvelopeKey(const Case& c) {
  if (auto problem = CheckEnvelopeKeyIdentity(c); !problem.empty()) return problem;
  const Bytes& key_id = c.Get("key_id");
  const Bytes& created_ms = c.Get("created_ms");
  const Bytes& public_key = c.Get("public_key");
  const Bytes& random = c.Get("random");
  if (key_id.size() != 4 || created_ms.size() != 8 || public_key.size() != 32 ||
      random.size() != 64) {
    return "field sizes";
  }
  const Bytes& signed_bytes = c.Get("signed");
  if (!Same(signed_bytes,
            Concat({ToBytes("tocsin/envelope-key/v1"), key_id, created_ms, public_key}))) {
    return "signed bytes";
  }
  const Bytes& edwards = c.Get("identity_ed25519");
  const Bytes& signature = c.Get("signature");
  if (!Same(SignalSign(c.Get("identity_private"), edwards, signed_bytes, random), signature)) {
    return "signature";
  }
  return SignalVerify(edwards, signed_bytes, signature) ? "" : "verification";
}

// ---------------------------------------------------------------- frames (section 3)

void SetDefaultLimits(tocsin::wire::Limits* limits) {
  limits->set_max_frame_bytes(tocsin::kDefaultMaxFrameBytes);
  limits->set_max_envelope_bytes(65792);
  limits->set_max_blob_bytes(65792);
  limits->set_max_views_per_frame(2000);
  limits->set_max_views_per_blob(20000);
  limits->set_max_ttl_seconds(259200);
  limits->set_max_window(1024);
  limits->set_max_mailboxes_per_connection(16);
  limits->set_max_prekeys_per_request(200);
}

std::string AsString(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

// The frame a [frame] case describes, or nothing for an unknown kind.
std::optional<tocsin::wire::Frame> DescribedFrame(const Case& c) {
  using namespace tocsin::wire;
  const std::string kind = c.Text("kind_text");
  Frame frame;
  if (kind == "hello-owner" || kind == "hello-send") {
    frame.mutable_request()->set_id(1);
    Hello* hello = frame.mutable_request()->mutable_hello();
    hello->set_version(PROTOCOL_VERSION_1);
    hello->set_kind(kind == "hello-owner" ? OWNER : SEND);
  } else if (kind == "hello-ok") {
    frame.mutable_response()->set_id(1);
    HelloOk* hello = frame.mutable_response()->mutable_hello();
    hello->set_version(PROTOCOL_VERSION_1);
    hello->set_server_nonce(AsString(c.Get("server_nonce")));
    SetDefaultLimits(hello->mutable_limits());
    hello->set_server_time_ms(1767225600000);
  } else if (kind == "authenticate") {
    frame.mutable_request()->set_id(2);
    Authenticate* auth = frame.mutable_request()->mutable_authenticate();
    auth->set_mailbox_id(AsString(c.Get("mailbox_id")));
    auth->set_signature(AsString(c.Get("signature")));
  } else if (kind == "stream-error") {
    frame.mutable_response()->set_id(0);
    frame.mutable_response()->mutable_error()->set_code(TOO_LARGE);
    frame.mutable_response()->mutable_error()->set_message(c.Text("message_text"));
  } else {
    return std::nullopt;
  }
  return frame;
}

// Feeds `bytes` one at a time: exactly one frame, ending on the last byte.
std::optional<tocsin::wire::Frame> DecodeOneByOne(const Bytes& bytes) {
  tocsin::FrameDecoder decoder;
  tocsin::wire::Frame frame;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto step = decoder.Decode(std::span(bytes).subspan(i, 1), &frame);
    const bool last = i + 1 == bytes.size();
    const auto wanted =
        last ? tocsin::FrameDecoder::State::kFrame : tocsin::FrameDecoder::State::kNeedMore;
    if (step.state != wanted || step.consumed != 1) return std::nullopt;
  }
  if (!decoder.at_boundary()) return std::nullopt;
  return frame;
}

std::string CheckFrame(const Case& c) {
  const auto described = DescribedFrame(c);
  if (!described) return "unknown frame kind";
  auto encoded = tocsin::EncodeFrame(*described);
  if (!encoded.ok()) return "encode: " + encoded.status().ToString();
  const Bytes& wire_bytes = c.Get("frame");
  if (!Same(ToBytes(*encoded), wire_bytes)) return "encoded bytes";
  const auto decoded = DecodeOneByOne(wire_bytes);
  if (!decoded || decoded->SerializeAsString() != described->SerializeAsString()) {
    return "decoded frame";
  }
  return "";
}

// ---------------------------------------------------------------- all together

using Checker = std::string (*)(const Case&);

const std::map<std::string, Checker>& Checkers() {
  static const std::map<std::string, Checker> checkers = {
      {"ed25519", CheckRfc8032},
      {"auth", CheckAuth},
      {"create_mailbox", CheckCreateMailbox},
      {"token_hash", CheckTokenHash},
      {"invite", CheckInvite},
      {"relay_pin", CheckRelayPinKey},
      {"envelope_key", CheckEnvelopeKey},
      {"frame", CheckFrame},
  };
  return checkers;
}

std::string Check(const Case& c) {
  const auto it = Checkers().find(c.section);
  if (it == Checkers().end()) return "unknown section [" + c.section + "]";
  try {
    return it->second(c);
  } catch (const std::exception& e) {
    return e.what();
  }
}

void CheckSection(const std::string& section, std::size_t count) {
  std::size_t seen = 0;
  for (const Case& c : ReadVectors()) {
    if (c.section != section) continue;
    ++seen;
    INFO("[" << section << "] case " << seen);
    CHECK(Check(c) == "");
  }
  CHECK(seen == count);
}

}  // namespace

TEST_CASE("the vector file holds every case and nothing unknown", "[vectors][spec]") {
  std::map<std::string, std::size_t> counts;
  for (const Case& c : ReadVectors()) ++counts[c.section];
  const std::map<std::string, std::size_t> expected = {
      {"ed25519", 2}, {"auth", 1},      {"create_mailbox", 1}, {"token_hash", 2},
      {"invite", 2},  {"relay_pin", 2}, {"envelope_key", 2},   {"frame", 5}};
  CHECK(counts == expected);
}

TEST_CASE("Ed25519 signs as RFC 8032 says", "[vectors][spec]") { CheckSection("ed25519", 2); }

TEST_CASE("Authenticate signs label, server nonce and mailbox id", "[vectors][spec]") {
  CheckSection("auth", 1);
}

TEST_CASE("CreateMailbox signs label, server nonce and auth key", "[vectors][spec]") {
  CheckSection("create_mailbox", 1);
}

TEST_CASE("token and invite hashes are BLAKE2b-256, invites base32", "[vectors][spec]") {
  CheckSection("token_hash", 2);
  CheckSection("invite", 2);
}

TEST_CASE("a relay pin is SHA-256 of the SPKI and its address parses back", "[vectors][spec]") {
  CheckSection("relay_pin", 2);
}

TEST_CASE("envelope keys carry libsignal identity signatures of either sign bit",
          "[vectors][spec]") {
  CheckSection("envelope_key", 2);
}

TEST_CASE("frames encode to the exact vector bytes and decode back", "[vectors][spec]") {
  CheckSection("frame", 5);
}

TEST_CASE("changing any byte of any vector makes its check fail", "[vectors][spec][tamper]") {
  std::size_t mutations = 0;
  for (const Case& original : ReadVectors()) {
    REQUIRE(Check(original) == "");
    for (std::size_t f = 0; f < original.fields.size(); ++f) {
      for (std::size_t i = 0; i < original.fields[f].second.size(); ++i) {
        for (std::uint8_t flip : {0x01, 0x80}) {
          Case changed = original;
          changed.fields[f].second[i] ^= flip;
          INFO("[" << original.section << "] " << original.fields[f].first << " byte " << i);
          CHECK(Check(changed) != "");
          ++mutations;
        }
      }
    }
  }
  CHECK(mutations > 2000);
}
