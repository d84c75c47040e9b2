#include "net/view_batches.h"

#include <algorithm>

#include "net/mailbox_auth.h"
#include "net/relay_errors.h"

namespace tocsin::net {

std::vector<wire::Request> SplitViews(std::string_view handle,
                                      const std::vector<OutgoingView>& views,
                                      std::size_t per_frame) {
  std::vector<wire::Request> requests;
  for (std::size_t start = 0; start < views.size(); start += per_frame) {
    wire::Request request;
    wire::SendViews* batch = request.mutable_send_views();
    batch->set_handle(std::string(handle));
    const std::size_t end = std::min(views.size(), start + per_frame);
    for (std::size_t i = start; i < end; ++i) {
      wire::View* v = batch->add_views();
      v->set_mailbox_id(std::string(AsBytes(views[i].mailbox)));
      v->set_token(std::string(AsBytes(views[i].token)));
      v->set_view(views[i].view);
    }
    requests.push_back(std::move(request));
  }
  return requests;
}

ViewBatchResults::ViewBatchResults(std::size_t total_views, std::size_t per_frame)
    : per_frame_(std::max<std::size_t>(per_frame, 1)),
      batch_count_((total_views + per_frame_ - 1) / per_frame_),
      codes_(total_views, Code::kInternal),
      seen_(batch_count_, false),
      whole_failures_(batch_count_) {}

void ViewBatchResults::Record(std::size_t batch, const Result<wire::Response>& answer) {
  if (batch >= batch_count_ || seen_[batch]) return;
  seen_[batch] = true;
  ++recorded_;
  const std::size_t start = batch * per_frame_;
  const std::size_t size = std::min(codes_.size(), start + per_frame_) - start;
  Status status =
      answer.ok() ? CheckAnswer(*answer, wire::Response::kViewsResult) : answer.status();
  if (status.ok() && static_cast<std::size_t>(answer->views_result().results_size()) != size) {
    status = Status::BadFrame("relay answered a wrong number of view results");
  }
  if (!status.ok()) {
    whole_failures_[batch] = status;
    std::fill_n(codes_.begin() + static_cast<std::ptrdiff_t>(start), size, status.code());
    return;
  }
  for (std::size_t i = 0; i < size; ++i) {
    const int number = static_cast<int>(answer->views_result().results(static_cast<int>(i)).code());
    const Code code = static_cast<Code>(number);
    codes_[start + i] = IsWireCode(code) ? code : Code::kInternal;
  }
}

Result<std::vector<Code>> ViewBatchResults::Finish() const {
  const bool all_failed =
      batch_count_ > 0 && std::all_of(whole_failures_.begin(), whole_failures_.end(),
                                      [](const Status& s) { return !s.ok(); });
  if (all_failed) return whole_failures_.front();
  return codes_;
}

}  // namespace tocsin::net
