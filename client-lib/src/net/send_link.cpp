#include "net/send_link.h"

#include "net/relay_errors.h"
#include "net/view_batches.h"

namespace tocsin::net {

SendLink::SendLink(std::shared_ptr<LinkEnv> env, RelayAddress relay)
    : env_(std::move(env)), relay_(std::move(relay)), idle_timer_(env_->io) {}

SendLink::ConnPtr SendLink::Connection() {
  if (conn_ && !conn_->is_closed()) return conn_;
  if (!env_->tls) return nullptr;
  ConnectionOptions options;
  options.kind = wire::SEND;
  options.connect_timeout = env_->options.connect_timeout;
  options.request_timeout = env_->options.request_timeout;
  options.wall_clock = env_->options.wall_clock;
  conn_ = RelayConnection::Create(env_->io, *env_->tls, relay_, std::move(options));
  const RelayConnection* raw = conn_.get();
  std::weak_ptr<SendLink> weak = weak_from_this();
  conn_->SetClosedHandler([weak, raw](const Status&) {
    if (auto self = weak.lock()) self->OnClosed(raw);
  });
  conn_->Open([weak, raw](Result<wire::HelloOk> hello) {
    if (auto self = weak.lock()) self->OnOpened(raw, hello);
  });
  return conn_;
}

void SendLink::OnOpened(const RelayConnection* conn, const Result<wire::HelloOk>& hello) {
  if (conn_.get() != conn) return;
  if (!hello.ok()) {
    conn_ = nullptr;  // its requests fail with the same reason
    return;
  }
  env_->board.SetHello(relay_, hello->limits(), conn_->clock_skew_ms(), /*own_relay=*/false);
}

void SendLink::OnClosed(const RelayConnection* conn) {
  if (conn_.get() == conn) conn_ = nullptr;
}

void SendLink::Call(wire::Request request, ResponseCallback done) {
  ConnPtr conn = Connection();
  if (!conn) return done(Status::Internal("TLS could not be set up"));
  conn->Call(std::move(request),
             [weak = weak_from_this(), done = std::move(done)](Result<wire::Response> answer) {
               done(std::move(answer));
               if (auto self = weak.lock()) self->AfterAnswer();
             });
}

void SendLink::SendToMany(std::string blob, std::uint32_t ttl_seconds,
                          std::vector<OutgoingView> views, Callback<std::vector<Code>> done) {
  if (views.empty()) return done(std::vector<Code>{});
  wire::Request request;
  request.mutable_put_blob()->set_blob(std::move(blob));
  request.mutable_put_blob()->set_ttl_seconds(ttl_seconds);
  auto shared_views = std::make_shared<std::vector<OutgoingView>>(std::move(views));
  Call(std::move(request),
       [weak = weak_from_this(), shared_views, done](Result<wire::Response> answer) {
         Status status =
             answer.ok() ? CheckAnswer(*answer, wire::Response::kBlobStored) : answer.status();
         if (!status.ok()) return done(status);
         auto self = weak.lock();
         if (!self) return done(Status::Unavailable("relay pool closed"));
         self->SendViews(answer->blob_stored().handle(), shared_views, done);
       });
}

// Frames of the relay's max_views_per_frame, pipelined; `done` runs once all answered.
void SendLink::SendViews(const std::string& handle,
                         std::shared_ptr<std::vector<OutgoingView>> views,
                         Callback<std::vector<Code>> done) {
  std::uint32_t per_frame = 0;
  if (conn_ && conn_->is_open()) per_frame = conn_->hello().limits().max_views_per_frame();
  if (per_frame == 0) per_frame = kDefaultMaxViewsPerFrame;
  auto results = std::make_shared<ViewBatchResults>(views->size(), per_frame);
  std::vector<wire::Request> requests = SplitViews(handle, *views, per_frame);
  views.reset();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    Call(std::move(requests[i]), [results, i, done](Result<wire::Response> answer) {
      results->Record(i, answer);
      if (results->complete()) done(results->Finish());
    });
  }
}

// A connection with nothing in flight closes after send_idle_close.
void SendLink::AfterAnswer() {
  if (!conn_ || conn_->pending() != 0) return;
  idle_timer_.expires_after(env_->options.send_idle_close);
  idle_timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (auto self = weak.lock()) self->OnIdle();
  });
}

void SendLink::OnIdle() {
  if (!conn_ || conn_->pending() != 0) return;
  const auto idle_since = conn_->last_request();
  if (RelayConnection::Clock::now() - idle_since < env_->options.send_idle_close) return;
  ConnPtr conn = std::exchange(conn_, nullptr);
  conn->Close(Status::Unavailable("send connection idle"));
}

void SendLink::Shutdown(const Status& reason) {
  idle_timer_.cancel();
  if (ConnPtr conn = std::exchange(conn_, nullptr)) conn->Close(reason);
}

}  // namespace tocsin::net
