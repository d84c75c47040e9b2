// SendToMany's frames: splitting by max_views_per_frame and merging the answers in order.
#include <catch2/catch.hpp>

#include "net/view_batches.h"

namespace tocsin::net {
namespace {

std::vector<OutgoingView> Views(std::size_t n) {
  std::vector<OutgoingView> views(n);
  for (std::size_t i = 0; i < n; ++i) {
    views[i].mailbox[0] = static_cast<std::uint8_t>(i);
    views[i].mailbox[1] = static_cast<std::uint8_t>(i >> 8);
    views[i].view = std::string(48, 'v');
  }
  return views;
}

wire::Response Answer(std::vector<wire::ErrorCode> codes) {
  wire::Response r;
  wire::ViewsResult* result = r.mutable_views_result();
  for (wire::ErrorCode c : codes) result->add_results()->set_code(c);
  return r;
}

TEST_CASE("views are split in order into frames of at most max_views_per_frame", "[net][views]") {
  const std::vector<OutgoingView> views = Views(2500);
  const std::vector<wire::Request> requests = SplitViews("handle0123456789", views, 2000);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].send_views().views_size() == 2000);
  CHECK(requests[1].send_views().views_size() == 500);
  CHECK(requests[1].send_views().handle() == "handle0123456789");
  // The first view of the second frame is view 2000.
  const std::string& id = requests[1].send_views().views(0).mailbox_id();
  CHECK(static_cast<std::uint8_t>(id[0]) == (2000 & 0xff));
  CHECK(static_cast<std::uint8_t>(id[1]) == (2000 >> 8));
  CHECK(SplitViews("h", Views(4000), 2000).size() == 2);
  CHECK(SplitViews("h", Views(1), 2000).size() == 1);
}

TEST_CASE("answers merge into one code per view whatever order they come in", "[net][views]") {
  ViewBatchResults results(5, 2);  // frames of 2, 2, 1
  REQUIRE(results.batches() == 3);
  results.Record(2, Answer({wire::NOT_FOUND}));
  CHECK_FALSE(results.complete());
  results.Record(0, Answer({wire::OK, wire::UNAUTHORIZED}));
  results.Record(1, Answer({wire::EXPIRED, wire::OK}));
  REQUIRE(results.complete());
  Result<std::vector<Code>> codes = results.Finish();
  REQUIRE(codes.ok());
  CHECK(*codes == std::vector<Code>{Code::kOk, Code::kUnauthorized, Code::kExpired, Code::kOk,
                                    Code::kNotFound});
}

TEST_CASE("a frame that fails as a whole gives its code to each of its views", "[net][views]") {
  ViewBatchResults results(3, 2);
  results.Record(0, Answer({wire::OK, wire::OK}));
  results.Record(1, Status::Unavailable("connection lost"));
  results.Record(1, Answer({wire::OK}));  // a second answer for a frame is ignored
  Result<std::vector<Code>> codes = results.Finish();
  REQUIRE(codes.ok());
  CHECK(*codes == std::vector<Code>{Code::kOk, Code::kOk, Code::kUnavailable});
}

TEST_CASE("when every frame fails as a whole the call fails", "[net][views]") {
  ViewBatchResults results(3, 2);
  results.Record(1, Status::TooLarge("too many views for this blob"));
  results.Record(0, Status::Unavailable("connection lost"));
  Result<std::vector<Code>> codes = results.Finish();
  CHECK(codes.status().code() == Code::kUnavailable);  // the first frame's failure
}

TEST_CASE("a wrong number of results or an unknown code is not taken at face value",
          "[net][views]") {
  ViewBatchResults results(4, 2);
  results.Record(0, Answer({wire::OK}));  // one result for two views
  results.Record(1, Answer({static_cast<wire::ErrorCode>(77), wire::OK}));
  Result<std::vector<Code>> codes = results.Finish();
  REQUIRE(codes.ok());
  CHECK(*codes == std::vector<Code>{Code::kBadFrame, Code::kBadFrame, Code::kInternal, Code::kOk});
}

}  // namespace
}  // namespace tocsin::net
