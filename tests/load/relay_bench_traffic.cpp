// Traffic shared by the relay benchmark's scenarios (relay_bench_rig.h): fan-out alerts
// and steady, stamped one-to-one envelopes.
#include <cstring>
#include <stdexcept>

#include "relay_bench_rig.h"

namespace tocsin::bench {
namespace {

constexpr std::size_t kBlobBytes = 1024 + 49;  // the smallest sealed v2 blob
constexpr std::size_t kPerFrame = 2000;        // max_views_per_frame
constexpr char kStampMark = 'S';

void PutU64(std::uint64_t v, char* out) { std::memcpy(out, &v, sizeof v); }

std::uint64_t GetU64(const char* in) {
  std::uint64_t v = 0;
  std::memcpy(&v, in, sizeof v);
  return v;
}

}  // namespace

std::vector<wire::Request> ViewFrames(const std::vector<Mailbox>& mailboxes) {
  std::vector<wire::Request> frames;
  for (std::size_t from = 0; from < mailboxes.size(); from += kPerFrame) {
    wire::Request& r = frames.emplace_back();
    for (std::size_t i = from; i < std::min(mailboxes.size(), from + kPerFrame); ++i) {
      wire::View* v = r.mutable_send_views()->add_views();
      v->set_mailbox_id(mailboxes[i].id);
      v->set_token(mailboxes[i].token);
      v->set_view(std::string(48, 'v'));
    }
  }
  return frames;
}

std::string AlertBlob(int alert) {
  std::string blob(kBlobBytes, 'a');
  blob[0] = '\x02';
  blob[1] = static_cast<char>(alert & 0xff);
  blob[2] = static_cast<char>((alert >> 8) & 0xff);
  return blob;
}

int AlertOf(const wire::Delivery& d) {
  if (!d.has_view()) return -1;
  const std::string& blob = d.view().blob();
  if (blob.size() < 3 || blob[0] != '\x02') return -1;
  return static_cast<unsigned char>(blob[1]) | (static_cast<unsigned char>(blob[2]) << 8);
}

awaitable<void> SendAlert(BenchConn& sender, int alert, std::vector<wire::Request>& frames,
                          std::uint32_t ttl_seconds) {
  wire::Request put;
  put.mutable_put_blob()->set_blob(AlertBlob(alert));
  put.mutable_put_blob()->set_ttl_seconds(ttl_seconds);
  const wire::Response stored = co_await sender.Call(put);
  if (!stored.has_blob_stored()) throw std::runtime_error("PutBlob refused");
  for (wire::Request& r : frames) {
    r.set_id(sender.NextId());
    r.mutable_send_views()->set_handle(stored.blob_stored().handle());
    sender.Queue(r);
  }
  co_await sender.Flush();
  std::size_t answers = 0;
  while (answers < frames.size()) {
    co_await sender.ReadSome([&](const wire::Frame& f) {
      if (!f.has_response()) return;
      if (!f.response().has_views_result()) throw std::runtime_error("SendViews refused");
      ++answers;
    });
  }
}

std::string StampedEnvelope(std::uint64_t number, Clock::time_point due) {
  std::string envelope(kEnvelopeBytes, 'e');
  envelope[0] = kStampMark;
  PutU64(number, &envelope[1]);
  PutU64(static_cast<std::uint64_t>(due.time_since_epoch().count()), &envelope[9]);
  return envelope;
}

bool ReadStamp(const std::string& envelope, std::uint64_t* number, Clock::time_point* due) {
  if (envelope.size() < 17 || envelope[0] != kStampMark) return false;
  *number = GetU64(&envelope[1]);
  *due = Clock::time_point(Clock::duration(static_cast<Clock::rep>(GetU64(&envelope[9]))));
  return true;
}

awaitable<void> PacedSend(Rig& rig, BenchConn& c, const std::vector<Mailbox>& to, PaceSpec pace,
                          std::uint64_t* next_number, OnAnswer on_answer) {
  const double per_s = pace.rate_per_s;
  const auto due_at = [&](std::uint64_t k) {
    return pace.start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(static_cast<double>(k) / per_s));
  };
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  for (;;) {
    const auto now = std::min(Clock::now(), pace.until);
    while (due_at(sent) <= now) {
      const std::uint64_t number = (*next_number)++;
      QueueSend(c, to[number % to.size()], StampedEnvelope(number, due_at(sent)));
      ++sent;
    }
    co_await c.Flush();
    const bool finished = due_at(sent) > pace.until;
    if (finished && answered == sent) co_return;
    if (answered < sent) {
      co_await c.ReadSome([&](const wire::Frame& f) {
        if (!f.has_response()) return;
        ++answered;
        on_answer(f.response());
      });
    } else {
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(due_at(sent) - Clock::now());
      co_await rig.Sleep(std::max(wait, std::chrono::milliseconds(1)));
    }
  }
}

}  // namespace tocsin::bench
