#include "tocsin/status.h"

namespace tocsin {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kBadFrame:
      return "BAD_FRAME";
    case Code::kUnauthorized:
      return "UNAUTHORIZED";
    case Code::kNotFound:
      return "NOT_FOUND";
    case Code::kQuotaExceeded:
      return "QUOTA_EXCEEDED";
    case Code::kRateLimited:
      return "RATE_LIMITED";
    case Code::kTooLarge:
      return "TOO_LARGE";
    case Code::kExpired:
      return "EXPIRED";
    case Code::kWrongConnectionKind:
      return "WRONG_CONNECTION_KIND";
    case Code::kUnsupportedVersion:
      return "UNSUPPORTED_VERSION";
    case Code::kInternal:
      return "INTERNAL";
    case Code::kUnavailable:
      return "UNAVAILABLE";
    case Code::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case Code::kCryptoFailure:
      return "CRYPTO_FAILURE";
    case Code::kDuplicate:
      return "DUPLICATE";
    case Code::kUntrustedIdentity:
      return "UNTRUSTED_IDENTITY";
    case Code::kIoError:
      return "IO_ERROR";
    case Code::kCorruption:
      return "CORRUPTION";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  std::string out(CodeName(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

Status Status::Annotate(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, msg);
}

}  // namespace tocsin
