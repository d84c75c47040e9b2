#include "protocol/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/session_internal.h"
#include "protocol/wire_encoding.h"
#include "tocsin/frame_codec.h"

namespace tocsin::relay {

ProtocolSession::ProtocolSession(SessionId id, const ProtocolEnv& env, SessionOutput& output)
    : id_(id),
      env_(env),
      output_(output),
      request_bucket_(static_cast<double>(env.config->connection_requests_per_second),
                      static_cast<double>(env.config->connection_burst), env.now_ms()) {}

ProtocolSession::~ProtocolSession() = default;

void ProtocolSession::OnDecodeError(const Status& error) {
  FailAndClose(0, kRequestTypes - 1, error.code(), error.message());
}

void ProtocolSession::OnFrame(const wire::Frame& frame) {
  if (closed_) return;
  if (frame.kind_case() != wire::Frame::kRequest) {
    FailAndClose(0, kRequestTypes - 1, Code::kBadFrame, "clients send only requests");
    return;
  }
  HandleRequest(frame.request());
}

bool ProtocolSession::Allowed(Request::BodyCase body) const {
  switch (body) {
    case Request::kCreateMailbox:
    case Request::kAuthenticate:
    case Request::kSubscribe:
    case Request::kAck:
    case Request::kSetTokens:
    case Request::kRotateToken:
    case Request::kPutPrekeys:
    case Request::kDeleteMailbox:
      return kind_ == wire::OWNER;
    case Request::kSend:
    case Request::kPutBlob:
    case Request::kSendViews:
    case Request::kGetPrekeyBundle:
      return kind_ == wire::SEND;
    default:
      return true;
  }
}

void ProtocolSession::HandleRequest(const Request& request) {
  const std::size_t type = RequestType(request.body_case());
  if (!hello_done_) {
    if (request.body_case() == Request::kHello) return HandleHello(request);
    return FailAndClose(request.id(), type, Code::kBadFrame, "the first request must be Hello");
  }
  const std::uint32_t wait = request_bucket_.Take(1, env_.now_ms());
  if (wait != 0) return Fail(request.id(), type, Code::kRateLimited, "too many requests", wait);
  if (request.body_case() == Request::BODY_NOT_SET) {
    return Fail(request.id(), type, Code::kBadFrame, "unknown request");
  }
  if (!Allowed(request.body_case())) {
    return Fail(request.id(), type, Code::kWrongConnectionKind,
                kind_ == wire::OWNER ? "not allowed on an owner connection"
                                     : "not allowed on a send connection");
  }
  switch (request.body_case()) {
    case Request::kHello:
      return Fail(request.id(), type, Code::kBadFrame, "second Hello");
    case Request::kCreateMailbox:
      return HandleCreateMailbox(request);
    case Request::kAuthenticate:
      return HandleAuthenticate(request);
    case Request::kSubscribe:
      return HandleSubscribe(request);
    case Request::kAck:
      return HandleAck(request);
    case Request::kSetTokens:
      return HandleSetTokens(request);
    case Request::kRotateToken:
      return HandleRotateToken(request);
    case Request::kPutPrekeys:
      return HandlePutPrekeys(request);
    case Request::kDeleteMailbox:
      return HandleDeleteMailbox(request);
    case Request::kSend:
      return HandleSend(request);
    case Request::kPutBlob:
      return HandlePutBlob(request);
    case Request::kSendViews:
      return HandleSendViews(request);
    case Request::kGetPrekeyBundle:
      return HandleGetPrekeyBundle(request);
    case Request::kPing: {
      wire::Response response;
      response.mutable_pong()->set_server_time_ms(env_.now_ms());
      return Respond(request.id(), type, response);
    }
    default:
      return Fail(request.id(), type, Code::kBadFrame, "unknown request");
  }
}

void ProtocolSession::HandleHello(const Request& request) {
  const std::size_t type = RequestType(Request::kHello);
  const wire::Hello& hello = request.hello();
  if (hello.version() != wire::PROTOCOL_VERSION_1) {
    return FailAndClose(request.id(), type, Code::kUnsupportedVersion,
                        "this relay speaks version 1");
  }
  if (hello.kind() != wire::OWNER && hello.kind() != wire::SEND) {
    return FailAndClose(request.id(), type, Code::kBadFrame, "Hello needs a connection kind");
  }
  // A resumed session is linked to the connection its ticket came from (always an
  // owner connection): as a send connection it would tie the sender to that owner.
  if (hello.kind() == wire::SEND && output_.ResumedTlsSession()) {
    return FailAndClose(request.id(), type, Code::kWrongConnectionKind,
                        "a send connection must not resume a TLS session");
  }
  hello_done_ = true;
  kind_ = hello.kind();
  env_.random(nonce_);
  if (kind_ == wire::OWNER) {
    // Half the outbound bound: deliveries alone never close a reader that keeps up.
    subscriptions_.emplace(id_, *env_.store, *env_.fanout, env_.config->max_outbound_bytes / 2);
    output_.IssueSessionTicket();
  }
  const Config& c = *env_.config;
  wire::Response response;
  wire::HelloOk* ok = response.mutable_hello();
  ok->set_version(wire::PROTOCOL_VERSION_1);
  ok->set_server_nonce(ToBytes(nonce_));
  ok->set_server_time_ms(env_.now_ms());
  wire::Limits* limits = ok->mutable_limits();
  limits->set_max_frame_bytes(static_cast<std::uint32_t>(c.max_frame_bytes));
  limits->set_max_envelope_bytes(static_cast<std::uint32_t>(c.max_envelope_bytes));
  limits->set_max_blob_bytes(static_cast<std::uint32_t>(c.max_blob_bytes));
  limits->set_max_views_per_frame(static_cast<std::uint32_t>(c.max_views_per_frame));
  limits->set_max_views_per_blob(static_cast<std::uint32_t>(c.max_views_per_blob));
  limits->set_max_ttl_seconds(static_cast<std::uint32_t>(c.max_ttl_seconds));
  limits->set_max_window(static_cast<std::uint32_t>(c.max_window));
  limits->set_max_mailboxes_per_connection(
      static_cast<std::uint32_t>(c.max_mailboxes_per_connection));
  limits->set_max_prekeys_per_request(static_cast<std::uint32_t>(c.max_prekeys_per_request));
  Respond(request.id(), type, response);
}

void ProtocolSession::Respond(std::uint64_t id, std::size_t type, wire::Response& response) {
  if (closed_) return;
  response.set_id(id);
  const int code = response.has_error() ? static_cast<int>(response.error().code()) : 0;
  if (env_.metrics != nullptr) env_.metrics->CountRequest(type, code);
  wire::Frame frame;
  frame.unsafe_arena_set_allocated_response(&response);
  Status status = AppendFrame(frame, &output_.outbound(),
                              static_cast<std::uint32_t>(env_.config->max_frame_bytes));
  frame.unsafe_arena_release_response();
  if (!status.ok()) {
    wire::Response small;
    small.set_id(id);
    small.mutable_error()->set_code(wire::INTERNAL);
    small.mutable_error()->set_message("answer over the frame limit");
    frame.unsafe_arena_set_allocated_response(&small);
    (void)AppendFrame(frame, &output_.outbound(), UINT32_MAX);
    frame.unsafe_arena_release_response();
  }
  output_.Flush();
}

void ProtocolSession::SucceedQuietly(std::size_t type) {
  if (closed_) return;
  if (env_.metrics != nullptr) env_.metrics->CountRequest(type, 0);
}

void ProtocolSession::Fail(std::uint64_t id, std::size_t type, Code code, std::string_view message,
                           std::uint32_t retry_after_ms) {
  wire::Response response;
  wire::Error* error = response.mutable_error();
  error->set_code(ToWireCode(code));
  error->set_message(std::string(message));
  // Every UNAVAILABLE tells the client when to come back (proto/SPEC.md section 5).
  if (retry_after_ms == 0 && ToWireCode(code) == wire::UNAVAILABLE)
    retry_after_ms = kUnavailableRetryMs;
  if (retry_after_ms != 0) error->set_retry_after_ms(retry_after_ms);
  Respond(id, type, response);
}

void ProtocolSession::FailFromStore(std::uint64_t id, std::size_t type, const Status& status,
                                    const DeliveryRateKey* rate) {
  const Code code = status.code();
  if (code == Code::kRateLimited && rate != nullptr) {
    const std::uint32_t wait = env_.delivery_limiter->Check(*rate, env_.now_ms());
    return Fail(id, type, code, status.message(), std::max<std::uint32_t>(wait, 1));
  }
  if (IsWireCode(code) && code != Code::kUnavailable && code != Code::kInternal) {
    return Fail(id, type, code, status.message());  // a refusal of the request itself
  }
  const wire::ErrorCode wire_code = ToWireCode(code);
  spdlog::debug("{} failed in the store: {}", RequestTypeName(type), status.ToString());
  if (wire_code == wire::UNAVAILABLE) {
    return Fail(id, type, Code::kUnavailable, "the relay cannot store now; retry later");
  }
  if (wire_code == wire::BAD_FRAME) return Fail(id, type, Code::kBadFrame, "invalid request");
  Fail(id, type, Code::kInternal, "internal error");
}

void ProtocolSession::FailAndClose(std::uint64_t id, std::size_t type, Code code,
                                   std::string_view message) {
  Fail(id, type, code, message);
  closed_ = true;
  subscriptions_.reset();
  output_.Close();
}

void ProtocolSession::Deliver(const std::vector<QueuedEntry>& entries) {
  if (entries.empty() || closed_) return;
  for (const QueuedEntry& entry : entries) AppendDeliveryFrame(entry, &output_.outbound());
  if (env_.metrics != nullptr) RelayMetrics::Add(env_.metrics->envelopes_delivered, entries.size());
  output_.Flush();
}

void ProtocolSession::OnStored(const QueuedEntry& entry) {
  if (closed_ || !subscriptions_ || !subscriptions_->OnStored(entry)) return;
  AppendDeliveryFrame(entry, &output_.outbound());
  if (env_.metrics != nullptr) RelayMetrics::Add(env_.metrics->envelopes_delivered);
  output_.Flush();
}

void ProtocolSession::OnSubscriptionMoved(const MailboxId& mailbox) {
  if (subscriptions_) subscriptions_->Moved(mailbox);
}

}  // namespace tocsin::relay
