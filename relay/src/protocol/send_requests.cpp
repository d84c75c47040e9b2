// Send-connection requests: Send, PutBlob, SendViews, GetPrekeyBundle
// (proto/SPEC.md sections 5, 7, 9).
#include "protocol/session.h"
#include "protocol/session_internal.h"
#include "protocol/wire_encoding.h"

namespace tocsin::relay {

std::optional<std::uint32_t> ProtocolSession::CheckTtl(const Request& request, std::size_t type,
                                                       std::uint32_t ttl) {
  const std::uint64_t cap = env_.config->max_ttl_seconds;
  if (ttl > cap) {
    Fail(request.id(), type, Code::kTooLarge, "ttl_seconds over the relay's cap");
    return std::nullopt;
  }
  return ttl == 0 ? static_cast<std::uint32_t>(cap) : ttl;
}

bool ProtocolSession::CheckDeliveryRate(const Request& request, std::size_t type,
                                        const DeliveryRateKey& key) {
  const std::uint32_t wait = env_.delivery_limiter->Check(key, env_.now_ms());
  if (wait == 0) return true;
  Fail(request.id(), type, Code::kRateLimited, "mailbox or token is receiving too fast", wait);
  return false;
}

void ProtocolSession::HandleSend(const Request& request) {
  const std::size_t type = RequestType(Request::kSend);
  const wire::Send& m = request.send();
  auto mailbox = FixedBytes<kMailboxIdSize>(m.mailbox_id());
  auto token = FixedBytes<kTokenSize>(m.token());
  if (!mailbox || !token) {
    return Fail(request.id(), type, Code::kBadFrame, "mailbox_id and token must be 16 bytes");
  }
  if (m.envelope().empty()) return Fail(request.id(), type, Code::kBadFrame, "empty envelope");
  if (m.envelope().size() > env_.config->max_envelope_bytes) {
    return Fail(request.id(), type, Code::kTooLarge, "envelope over max_envelope_bytes");
  }
  auto ttl = CheckTtl(request, type, m.ttl_seconds());
  if (!ttl) return;
  const DeliveryRateKey rate_key = env_.delivery_limiter->KeyFor(*mailbox, *token);
  if (!CheckDeliveryRate(request, type, rate_key)) return;
  const std::uint64_t id = request.id();
  env_.store->Append(
      *mailbox, *token, m.envelope(), *ttl,
      Later<std::uint64_t>([id, type, rate_key](ProtocolSession& s, Result<std::uint64_t> r) {
        if (!r.ok()) return s.FailFromStore(id, type, r.status(), &rate_key);
        wire::Response response;
        response.mutable_stored();
        s.Respond(id, type, response);
      }),
      rate_key);
}

void ProtocolSession::HandlePutBlob(const Request& request) {
  const std::size_t type = RequestType(Request::kPutBlob);
  const wire::PutBlob& m = request.put_blob();
  if (m.blob().empty()) return Fail(request.id(), type, Code::kBadFrame, "empty blob");
  if (m.blob().size() > env_.config->max_blob_bytes) {
    return Fail(request.id(), type, Code::kTooLarge, "blob over max_blob_bytes");
  }
  auto ttl = CheckTtl(request, type, m.ttl_seconds());
  if (!ttl) return;
  const std::uint64_t id = request.id();
  env_.store->PutBlob(m.blob(), *ttl,
                      Later<BlobHandle>([id, type](ProtocolSession& s, Result<BlobHandle> r) {
                        if (!r.ok()) return s.FailFromStore(id, type, r.status());
                        wire::Response response;
                        response.mutable_blob_stored()->set_handle(ToBytes(*r));
                        s.Respond(id, type, response);
                      }));
}

void ProtocolSession::HandleSendViews(const Request& request) {
  const std::size_t type = RequestType(Request::kSendViews);
  const wire::SendViews& m = request.send_views();
  auto handle = FixedBytes<kBlobHandleSize>(m.handle());
  if (!handle) return Fail(request.id(), type, Code::kBadFrame, "handle must be 16 bytes");
  if (static_cast<std::uint64_t>(m.views_size()) > env_.config->max_views_per_frame) {
    return Fail(request.id(), type, Code::kTooLarge, "more views than max_views_per_frame");
  }
  // Views refused here keep their code; the others go to the store, and `sent[i]` says
  // which result of the store's answer belongs to view i.
  std::vector<Code> codes(static_cast<std::size_t>(m.views_size()), Code::kOk);
  std::vector<int> sent(codes.size(), -1);
  std::vector<ViewRequest> views;
  views.reserve(codes.size());
  const std::uint64_t now = env_.now_ms();
  for (int i = 0; i < m.views_size(); ++i) {
    const wire::View& v = m.views(i);
    auto mailbox = FixedBytes<kMailboxIdSize>(v.mailbox_id());
    auto token = FixedBytes<kTokenSize>(v.token());
    if (!mailbox || !token) {
      codes[static_cast<std::size_t>(i)] = Code::kBadFrame;
      continue;
    }
    const DeliveryRateKey rate_key = env_.delivery_limiter->KeyFor(*mailbox, *token);
    if (env_.delivery_limiter->Check(rate_key, now) != 0) {
      codes[static_cast<std::size_t>(i)] = Code::kRateLimited;
    } else {
      sent[static_cast<std::size_t>(i)] = static_cast<int>(views.size());
      views.push_back(ViewRequest{*mailbox, *token, v.view(), rate_key});
    }
  }
  const std::uint64_t id = request.id();
  env_.store->AppendViews(
      *handle, std::move(views),
      Later<std::vector<Code>>([id, type, codes = std::move(codes), sent = std::move(sent)](
                                   ProtocolSession& s, Result<std::vector<Code>> r) {
        if (!r.ok()) return s.FailFromStore(id, type, r.status());
        wire::Response response;
        wire::ViewsResult* result = response.mutable_views_result();
        std::uint32_t stored = 0;
        for (std::size_t i = 0; i < codes.size(); ++i) {
          Code code = codes[i];
          if (sent[i] >= 0) {
            const auto k = static_cast<std::size_t>(sent[i]);
            code = k < r->size() ? (*r)[k] : Code::kInternal;
          }
          if (code == Code::kOk) ++stored;
          result->add_results()->set_code(ToWireCode(code));
        }
        result->set_stored(stored);
        s.Respond(id, type, response);
      }));
}

void ProtocolSession::HandleGetPrekeyBundle(const Request& request) {
  const std::size_t type = RequestType(Request::kGetPrekeyBundle);
  const wire::GetPrekeyBundle& m = request.get_prekey_bundle();
  auto mailbox = FixedBytes<kMailboxIdSize>(m.mailbox_id());
  auto token = FixedBytes<kTokenSize>(m.token());
  if (!mailbox || !token) {
    return Fail(request.id(), type, Code::kBadFrame, "mailbox_id and token must be 16 bytes");
  }
  const DeliveryRateKey rate_key = env_.delivery_limiter->KeyFor(*mailbox, *token);
  if (!CheckDeliveryRate(request, type, rate_key)) return;
  const std::uint64_t id = request.id();
  env_.store->TakePrekeyBundle(
      *mailbox, *token,
      Later<PrekeyBundle>([id, type, rate_key](ProtocolSession& s, Result<PrekeyBundle> r) {
        if (!r.ok()) return s.FailFromStore(id, type, r.status(), &rate_key);
        wire::Response response;
        wire::PrekeyBundle* b = response.mutable_prekey_bundle();
        b->set_registration_id(r->registration_id);
        b->set_device_id(r->device_id);
        b->mutable_signed_prekey()->set_id(r->signed_prekey.id);
        b->mutable_signed_prekey()->set_public_key(r->signed_prekey.public_key);
        b->mutable_signed_prekey()->set_signature(r->signed_prekey.signature);
        if (r->one_time) {
          b->mutable_one_time_prekey()->set_id(r->one_time->id);
          b->mutable_one_time_prekey()->set_public_key(r->one_time->public_key);
        }
        s.Respond(id, type, response);
      }),
      rate_key);
}

}  // namespace tocsin::relay
