// Relay request handling without sockets: one ProtocolSession over a fresh in-memory
// MailboxStore per input, fed the frames that the input decodes to, with the store's
// answers run as they come. The first byte picks the opening (an OWNER Hello, a SEND
// Hello, or none: the input must say Hello itself). Checked beyond "no crash": whatever
// the session writes is a sequence of well-formed frames, and a closed session writes
// nothing more.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "fuzz_common.h"
#include "protocol/session.h"
#include "store/kv_store.h"
#include "tocsin/frame_codec.h"

namespace tocsin::relay {
namespace {

using tocsin::fuzz::Require;

struct Output : SessionOutput {
  std::string bytes;
  bool closed = false;
  std::string& outbound() override { return bytes; }
  void Flush() override {}
  void Close() override { closed = true; }
  void IssueSessionTicket() override {}
  bool ResumedTlsSession() const override { return false; }
};

class Rig : public SessionDirectory {
 public:
  Rig() {
    config_.max_frame_bytes = 8192;
    StoreOptions options = config_.MakeStoreOptions();
    options.sweep_interval_ms = 0;
    options.now_ms = [] { return kNowMs; };
    auto store = MailboxStore::OpenOn(NewMemoryKv(), std::move(options));
    Require(store.ok());
    store_ = std::move(store).value();
    store_->SetStoredListener([this](std::span<const QueuedEntry> e) { fanout_.OnStored(e); });
    env_.config = &config_;
    env_.store = store_.get();
    env_.fanout = &fanout_;
    env_.delivery_limiter = &limiter_;
    env_.directory = this;
    env_.now_ms = [] { return kNowMs; };
    env_.random = [](std::span<std::uint8_t> out) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i);
    };
    session_ = std::make_unique<ProtocolSession>(kSession, env_, output_);
  }
  ~Rig() override {
    store_->Close();  // no store callback runs after this
    session_.reset();
  }

  void Post(SessionId id, std::function<void(ProtocolSession&)> fn) override {
    std::lock_guard lock(mu_);
    if (id == kSession) posted_.push_back(std::move(fn));
    cv_.notify_all();
  }
  void Deliver(std::shared_ptr<const std::vector<QueuedEntry>> entries,
               std::vector<PushTarget> targets) override {
    for (const PushTarget& t : targets) {
      Post(t.session, [entries, t](ProtocolSession& s) { s.OnStored((*entries)[t.index]); });
    }
  }

  void Feed(const wire::Frame& frame) {
    const std::size_t before = output_.bytes.size();
    const bool was_closed = output_.closed;
    session_->OnFrame(frame);
    RunUntilIdle();
    if (was_closed) Require(output_.bytes.size() == before);
  }
  void FeedError(const Status& status) {
    session_->OnDecodeError(status);
    RunUntilIdle();
  }
  bool closed() const { return output_.closed; }

  // Everything written must decode as frames, with nothing left over.
  void CheckOutput() const {
    FrameDecoder decoder(UINT32_MAX);
    std::span<const std::uint8_t> rest(reinterpret_cast<const std::uint8_t*>(output_.bytes.data()),
                                       output_.bytes.size());
    while (!rest.empty()) {
      wire::Frame frame;
      const auto step = decoder.Decode(rest, &frame);
      Require(step.state == FrameDecoder::State::kFrame);
      Require(frame.has_response() || frame.has_push());
      rest = rest.subspan(step.consumed);
    }
  }

 private:
  static constexpr SessionId kSession = 1 << 8;
  static constexpr std::uint64_t kNowMs = 1'700'000'000'000;

  void RunUntilIdle() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
      std::deque<std::function<void(ProtocolSession&)>> work;
      {
        std::unique_lock lock(mu_);
        if (posted_.empty() && session_->inflight() == 0) return;
        Require(cv_.wait_until(lock, until, [this] { return !posted_.empty(); }));
        work.swap(posted_);
      }
      for (auto& fn : work) fn(*session_);
    }
  }

  Config config_;
  std::unique_ptr<MailboxStore> store_;
  Fanout fanout_{*this};
  DeliveryRateLimiter limiter_{DeliveryRatesOf(config_)};
  ProtocolEnv env_;
  Output output_;
  std::unique_ptr<ProtocolSession> session_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(ProtocolSession&)>> posted_;
};

wire::Frame HelloFrame(wire::ConnectionKind kind) {
  wire::Frame frame;
  auto* request = frame.mutable_request();
  request->set_id(1);
  request->mutable_hello()->set_version(1);
  request->mutable_hello()->set_kind(kind);
  return frame;
}

}  // namespace
}  // namespace tocsin::relay

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tocsin::relay::Rig;
  if (size == 0) return 0;
  Rig rig;
  if (data[0] % 3 == 0) rig.Feed(tocsin::relay::HelloFrame(tocsin::wire::OWNER));
  if (data[0] % 3 == 1) rig.Feed(tocsin::relay::HelloFrame(tocsin::wire::SEND));
  tocsin::FrameDecoder decoder(8192);
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  while (!rest.empty() && !rig.closed()) {
    tocsin::wire::Frame frame;
    const auto step = decoder.Decode(rest, &frame);
    if (step.state == tocsin::FrameDecoder::State::kBad) {
      rig.FeedError(decoder.error());
      break;
    }
    if (step.state == tocsin::FrameDecoder::State::kNeedMore) break;
    rig.Feed(frame);
    rest = rest.subspan(step.consumed);
  }
  rig.CheckOutput();
  return 0;
}
