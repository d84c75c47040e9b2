// Owner-connection requests: CreateMailbox, Authenticate, Subscribe, Ack, SetTokens,
// RotateToken, PutPrekeys, DeleteMailbox (proto/SPEC.md sections 5-9).
#include <algorithm>

#include "protocol/session.h"
#include "protocol/session_internal.h"

namespace tocsin::relay {
namespace {

constexpr std::size_t kPrekeyPublicKeySize = 33;

std::optional<TokenEntry> ToTokenEntry(const wire::TokenEntry& in) {
  const int c = static_cast<int>(in.token_class());
  auto hash = FixedBytes<kTokenHashSize>(in.token_hash());
  if (c < 1 || c > 3 || !hash) return std::nullopt;
  TokenEntry out;
  out.token_class = static_cast<TokenClass>(c);
  out.token_hash = *hash;
  out.ttl_seconds = in.ttl_seconds();
  return out;
}

// A libsignal public key as pre-keys carry it: the type byte 0x05 (Curve25519), then
// 32 bytes (proto/SPEC.md section 9).
bool IsPrekeyPublicKey(const std::string& key) {
  return key.size() == kPrekeyPublicKeySize && static_cast<std::uint8_t>(key[0]) == 0x05;
}

}  // namespace

bool ProtocolSession::IsAuthenticated(const MailboxId& mailbox) const {
  return std::find(authenticated_.begin(), authenticated_.end(), mailbox) != authenticated_.end();
}

std::optional<MailboxId> ProtocolSession::ParseMailboxId(const Request& request, std::size_t type,
                                                         const std::string& bytes) {
  auto mailbox = FixedBytes<kMailboxIdSize>(bytes);
  if (!mailbox) Fail(request.id(), type, Code::kBadFrame, "mailbox_id must be 16 bytes");
  return mailbox;
}

bool ProtocolSession::CheckOwned(const Request& request, std::size_t type,
                                 const MailboxId& mailbox) {
  if (IsAuthenticated(mailbox)) return true;
  Fail(request.id(), type, Code::kUnauthorized, "mailbox not authenticated on this connection");
  return false;
}

std::optional<MailboxId> ProtocolSession::OwnedMailbox(const Request& request, std::size_t type,
                                                       const std::string& bytes) {
  auto mailbox = ParseMailboxId(request, type, bytes);
  if (!mailbox || !CheckOwned(request, type, *mailbox)) return std::nullopt;
  return mailbox;
}

void ProtocolSession::HandleCreateMailbox(const Request& request) {
  const std::size_t type = RequestType(Request::kCreateMailbox);
  const wire::CreateMailbox& m = request.create_mailbox();
  auto key = FixedBytes<kAuthKeySize>(m.auth_public_key());
  if (!key || m.signature().size() != kSignatureSize) {
    return Fail(request.id(), type, Code::kBadFrame, "auth key must be 32 bytes, signature 64");
  }
  if (!VerifySignature(kCreateMailboxLabel, nonce_, *key, m.signature(), *key)) {
    return Fail(request.id(), type, Code::kUnauthorized, "bad signature");
  }
  // The quota comes after the signature (proto/SPEC.md section 5, "Which error wins"),
  // but before the invite: a refused request spends no use of it.
  if (authenticated_.size() + pending_mailboxes_ >= env_.config->max_mailboxes_per_connection) {
    return Fail(request.id(), type, Code::kQuotaExceeded, "too many mailboxes on this connection");
  }
  if (m.invite().size() != kInviteSize) {
    return Fail(request.id(), type, Code::kUnauthorized, "missing or unknown invite");
  }
  ++pending_mailboxes_;
  const std::uint64_t id = request.id();
  env_.store->CreateMailbox(m.invite(), *key,
                            Later<MailboxId>([id, type](ProtocolSession& s, Result<MailboxId> r) {
                              --s.pending_mailboxes_;
                              if (!r.ok()) return s.FailFromStore(id, type, r.status());
                              s.authenticated_.push_back(*r);
                              wire::Response response;
                              response.mutable_mailbox_created()->set_mailbox_id(ToBytes(*r));
                              s.Respond(id, type, response);
                            }));
}

void ProtocolSession::HandleAuthenticate(const Request& request) {
  const std::size_t type = RequestType(Request::kAuthenticate);
  const wire::Authenticate& m = request.authenticate();
  auto mailbox = FixedBytes<kMailboxIdSize>(m.mailbox_id());
  if (!mailbox || m.signature().size() != kSignatureSize) {
    return Fail(request.id(), type, Code::kBadFrame, "mailbox_id must be 16 bytes, signature 64");
  }
  Result<MailboxInfo> info = env_.store->GetMailbox(*mailbox);
  if (!info.ok() && info.status().code() != Code::kNotFound) {
    return FailFromStore(request.id(), type, info.status());
  }
  // An unknown mailbox and a bad signature get the same answer.
  if (!info.ok() || !VerifySignature(kAuthLabel, nonce_, *mailbox, m.signature(), info->auth_key)) {
    return Fail(request.id(), type, Code::kUnauthorized, "unknown mailbox or bad signature");
  }
  // Quotas last (proto/SPEC.md section 5): a bad signature is UNAUTHORIZED even here.
  const bool known = IsAuthenticated(*mailbox);
  if (!known &&
      authenticated_.size() + pending_mailboxes_ >= env_.config->max_mailboxes_per_connection) {
    return Fail(request.id(), type, Code::kQuotaExceeded, "too many mailboxes on this connection");
  }
  if (!known) authenticated_.push_back(*mailbox);
  wire::Response response;
  wire::Authenticated* a = response.mutable_authenticated();
  a->set_mailbox_id(m.mailbox_id());
  a->set_queued(info->queued);
  a->set_one_time_prekeys_left(info->one_time_prekeys_left);
  Respond(request.id(), type, response);
}

void ProtocolSession::HandleSubscribe(const Request& request) {
  const std::size_t type = RequestType(Request::kSubscribe);
  auto mailbox = OwnedMailbox(request, type, request.subscribe().mailbox_id());
  if (!mailbox) return;
  const Config& c = *env_.config;
  std::uint64_t window = request.subscribe().window();
  if (window == 0) window = c.default_window;
  window = std::min<std::uint64_t>(window, c.max_window);
  std::vector<QueuedEntry> ready;
  Status status = subscriptions_->Subscribe(*mailbox, static_cast<std::uint32_t>(window), &ready);
  if (!status.ok()) return FailFromStore(request.id(), type, status);
  wire::Response response;
  response.mutable_subscribed()->set_mailbox_id(request.subscribe().mailbox_id());
  response.mutable_subscribed()->set_window(static_cast<std::uint32_t>(window));
  Respond(request.id(), type, response);
  Deliver(ready);
}

void ProtocolSession::HandleAck(const Request& request) {
  const std::size_t type = RequestType(Request::kAck);
  auto mailbox = ParseMailboxId(request, type, request.ack().mailbox_id());
  if (!mailbox) return;
  // No more than a window's worth: each seq may cost the store writer a read.
  if (static_cast<std::uint64_t>(request.ack().seqs_size()) > env_.config->max_window) {
    return Fail(request.id(), type, Code::kTooLarge, "more seqs than max_window");
  }
  if (!CheckOwned(request, type, *mailbox)) return;
  std::vector<std::uint64_t> seqs(request.ack().seqs().begin(), request.ack().seqs().end());
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  std::vector<QueuedEntry> ready;
  subscriptions_->OnAcked(*mailbox, seqs, &ready);
  const std::uint64_t id = request.id();
  const bool quiet = request.ack().quiet();
  env_.store->Ack(
      *mailbox, std::move(seqs),
      Later<std::uint32_t>([id, type, quiet](ProtocolSession& s, Result<std::uint32_t> r) {
        if (!r.ok()) return s.FailFromStore(id, type, r.status());
        if (quiet) return s.SucceedQuietly(type);  // proto/SPEC.md 5.5: no Acked
        wire::Response response;
        response.mutable_acked()->set_deleted(*r);
        s.Respond(id, type, response);
      }));
  Deliver(ready);
}

// Field sizes, then ownership, then quotas: proto/SPEC.md section 5, "Which error wins".
void ProtocolSession::HandleSetTokens(const Request& request) {
  const std::size_t type = RequestType(Request::kSetTokens);
  auto mailbox = ParseMailboxId(request, type, request.set_tokens().mailbox_id());
  if (!mailbox) return;
  std::vector<TokenEntry> tokens;
  for (const wire::TokenEntry& t : request.set_tokens().tokens()) {
    auto entry = ToTokenEntry(t);
    if (!entry) return Fail(request.id(), type, Code::kBadFrame, "bad token class or hash size");
    tokens.push_back(*entry);
  }
  if (!CheckOwned(request, type, *mailbox)) return;
  if (tokens.size() > env_.config->max_tokens_per_mailbox) {
    return Fail(request.id(), type, Code::kQuotaExceeded, "too many tokens");
  }
  const std::uint64_t id = request.id();
  env_.store->SetTokens(
      *mailbox, std::move(tokens),
      Later<std::uint32_t>([id, type](ProtocolSession& s, Result<std::uint32_t> r) {
        if (!r.ok()) return s.FailFromStore(id, type, r.status());
        wire::Response response;
        response.mutable_tokens_set()->set_count(*r);
        s.Respond(id, type, response);
      }));
}

void ProtocolSession::HandleRotateToken(const Request& request) {
  const std::size_t type = RequestType(Request::kRotateToken);
  const wire::RotateToken& m = request.rotate_token();
  auto mailbox = ParseMailboxId(request, type, m.mailbox_id());
  if (!mailbox) return;
  auto old_hash = FixedBytes<kTokenHashSize>(m.old_token_hash());
  auto entry = ToTokenEntry(m.new_token());
  if (!old_hash || !entry) {
    return Fail(request.id(), type, Code::kBadFrame, "bad token hash size or class");
  }
  if (!CheckOwned(request, type, *mailbox)) return;
  std::optional<std::uint32_t> grace;
  if (m.has_grace_seconds()) grace = m.grace_seconds();
  const std::uint64_t id = request.id();
  env_.store->RotateToken(
      *mailbox, *old_hash, *entry, grace,
      Later<std::uint64_t>([id, type](ProtocolSession& s, Result<std::uint64_t> r) {
        if (!r.ok()) return s.FailFromStore(id, type, r.status());
        wire::Response response;
        response.mutable_token_rotated()->set_old_valid_until_ms(*r);
        s.Respond(id, type, response);
      }));
}

void ProtocolSession::HandlePutPrekeys(const Request& request) {
  const std::size_t type = RequestType(Request::kPutPrekeys);
  const wire::PutPrekeys& m = request.put_prekeys();
  auto mailbox = ParseMailboxId(request, type, m.mailbox_id());
  if (!mailbox) return;
  PrekeyUpload upload;
  upload.registration_id = m.registration_id();
  upload.device_id = m.device_id();
  if (m.has_signed_prekey()) {
    const wire::SignedPrekey& sp = m.signed_prekey();
    if (!IsPrekeyPublicKey(sp.public_key()) || sp.signature().size() != kSignatureSize) {
      return Fail(request.id(), type, Code::kBadFrame,
                  "signed pre-key: key 33 bytes starting 0x05, signature 64 bytes");
    }
    upload.signed_prekey = SignedPrekey{sp.id(), sp.public_key(), sp.signature()};
  }
  for (const wire::OneTimePrekey& k : m.one_time()) {
    if (!IsPrekeyPublicKey(k.public_key())) {
      return Fail(request.id(), type, Code::kBadFrame, "one-time pre-key: 33 bytes starting 0x05");
    }
  }
  if (static_cast<std::uint64_t>(m.one_time_size()) > env_.config->max_prekeys_per_request) {
    return Fail(request.id(), type, Code::kTooLarge, "too many pre-keys in one request");
  }
  if (!CheckOwned(request, type, *mailbox)) return;
  upload.one_time.reserve(static_cast<std::size_t>(m.one_time_size()));
  for (const wire::OneTimePrekey& k : m.one_time()) {
    upload.one_time.push_back(OneTimePrekey{k.id(), k.public_key()});
  }
  const std::uint64_t id = request.id();
  env_.store->PutPrekeys(
      *mailbox, std::move(upload),
      Later<std::uint32_t>([id, type](ProtocolSession& s, Result<std::uint32_t> r) {
        if (!r.ok()) return s.FailFromStore(id, type, r.status());
        wire::Response response;
        response.mutable_prekeys_stored()->set_one_time_prekeys_left(*r);
        s.Respond(id, type, response);
      }));
}

void ProtocolSession::HandleDeleteMailbox(const Request& request) {
  const std::size_t type = RequestType(Request::kDeleteMailbox);
  auto mailbox = OwnedMailbox(request, type, request.delete_mailbox().mailbox_id());
  if (!mailbox) return;
  const std::uint64_t id = request.id();
  const MailboxId m = *mailbox;
  auto done = Later<bool>([id, type, m](ProtocolSession& s, Result<bool> r) {
    if (!r.ok()) return s.FailFromStore(id, type, r.status());
    std::erase(s.authenticated_, m);
    if (s.subscriptions_) s.subscriptions_->Remove(m);
    wire::Response response;
    response.mutable_mailbox_deleted();
    s.Respond(id, type, response);
  });
  env_.store->DeleteMailbox(m, [done](Status status) {
    if (status.ok()) return done(true);
    done(std::move(status));
  });
}

}  // namespace tocsin::relay
