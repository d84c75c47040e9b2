// SendToMany's views in frames (proto/SPEC.md section 5.8): split into SendViews
// requests of at most max_views_per_frame, and the answers merged back into one code
// per view, in the callers' order. No I/O.
//
// Thread-safety: values; one thread at a time.
#ifndef TOCSIN_NET_VIEW_BATCHES_H_
#define TOCSIN_NET_VIEW_BATCHES_H_

#include <string_view>
#include <vector>

#include "net/relay_pool.h"

namespace tocsin::net {

// Used when a relay announces no max_views_per_frame (SPEC.md section 11's default).
inline constexpr std::uint32_t kDefaultMaxViewsPerFrame = 2000;

// SendViews requests for `views` of the blob `handle`, `per_frame` views each at most,
// in order. REQUIRES: per_frame > 0.
std::vector<wire::Request> SplitViews(std::string_view handle,
                                      const std::vector<OutgoingView>& views,
                                      std::size_t per_frame);

class ViewBatchResults {
 public:
  // One batch per request of SplitViews(..., per_frame) over `total_views` views.
  ViewBatchResults(std::size_t total_views, std::size_t per_frame);

  std::size_t batches() const { return batch_count_; }
  // Records the answer to batch `batch`: its ViewsResult, or a failure of the whole
  // request (its code goes to each of its views). A ViewsResult with the wrong number
  // of results counts as a failure (BAD_FRAME). A batch recorded twice keeps the first.
  void Record(std::size_t batch, const Result<wire::Response>& answer);
  bool complete() const { return recorded_ == batch_count_; }
  // One code per view; or, when every batch failed as a whole (nothing was queued), the
  // first batch's failure. REQUIRES: complete().
  Result<std::vector<Code>> Finish() const;

 private:
  std::size_t per_frame_;
  std::size_t batch_count_;
  std::size_t recorded_ = 0;
  std::vector<Code> codes_;
  std::vector<bool> seen_;
  std::vector<Status> whole_failures_;  // per batch; OK when answered per view
};

}  // namespace tocsin::net

#endif  // TOCSIN_NET_VIEW_BATCHES_H_
