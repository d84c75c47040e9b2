#include "tocsin/status.h"

#include <catch2/catch.hpp>
#include <string>

#include "tocsin/relay.pb.h"

using tocsin::Code;
using tocsin::Result;
using tocsin::Status;

TEST_CASE("wire codes have the relay protocol's numbers", "[status]") {
  namespace w = tocsin::wire;
  CHECK(static_cast<int>(Code::kOk) == w::OK);
  CHECK(static_cast<int>(Code::kBadFrame) == w::BAD_FRAME);
  CHECK(static_cast<int>(Code::kUnauthorized) == w::UNAUTHORIZED);
  CHECK(static_cast<int>(Code::kNotFound) == w::NOT_FOUND);
  CHECK(static_cast<int>(Code::kQuotaExceeded) == w::QUOTA_EXCEEDED);
  CHECK(static_cast<int>(Code::kRateLimited) == w::RATE_LIMITED);
  CHECK(static_cast<int>(Code::kTooLarge) == w::TOO_LARGE);
  CHECK(static_cast<int>(Code::kExpired) == w::EXPIRED);
  CHECK(static_cast<int>(Code::kWrongConnectionKind) == w::WRONG_CONNECTION_KIND);
  CHECK(static_cast<int>(Code::kUnsupportedVersion) == w::UNSUPPORTED_VERSION);
  CHECK(static_cast<int>(Code::kInternal) == w::INTERNAL);
  CHECK(static_cast<int>(Code::kUnavailable) == w::UNAVAILABLE);
  for (int c = w::ErrorCode_MIN; c <= w::ErrorCode_MAX; ++c) {
    CHECK(tocsin::IsWireCode(static_cast<Code>(c)));
    CHECK(tocsin::CodeName(static_cast<Code>(c)) == w::ErrorCode_Name(c));
  }
  CHECK_FALSE(tocsin::IsWireCode(Code::kCryptoFailure));
}

TEST_CASE("a status carries its code and message", "[status]") {
  Status ok = Status::Ok();
  CHECK(ok.ok());
  CHECK(ok.ToString() == "OK");
  Status nf = Status::NotFound("blob handle");
  CHECK_FALSE(nf.ok());
  CHECK(nf.code() == Code::kNotFound);
  CHECK(nf.ToString() == "NOT_FOUND: blob handle");
  CHECK(nf.Annotate("send views").ToString() == "NOT_FOUND: send views: blob handle");
  CHECK(ok.Annotate("anything").ok());
  CHECK(Status(Code::kOk, "ignored").message().empty());
}

namespace {
Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd");
  return x / 2;
}
Status UseHalf(int x, int* out) {
  Result<int> r = Half(x);
  if (!r.ok()) return r.status();
  *out = *r;
  return Status::Ok();
}
Status Chain(int x) {
  int ignored = 0;
  TOCSIN_RETURN_IF_ERROR(UseHalf(x, &ignored));
  return Status::Unavailable("reached the end");
}
}  // namespace

TEST_CASE("a result holds a value or a failure", "[status]") {
  Result<int> good = Half(8);
  REQUIRE(good.ok());
  CHECK(*good == 4);
  Result<int> bad = Half(3);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == Code::kInvalidArgument);
  int out = 0;
  CHECK(UseHalf(10, &out).ok());
  CHECK(out == 5);
  CHECK(Chain(3).code() == Code::kInvalidArgument);
  CHECK(Chain(4).code() == Code::kUnavailable);
  Result<std::string> moved = std::string("abc");
  std::string taken = std::move(moved).value();
  CHECK(taken == "abc");
}
