// Status and Result<T>: errors as values at every module boundary.
//
// The first codes are the relay protocol's ErrorCode values (proto/tocsin/relay.proto)
// with the same numbers, so a relay error travels to the application unchanged. Codes
// from 100 up are local to a process and never sent on the wire.
//
// Thread-safety: values; a const Status / Result may be read from any thread.
#ifndef TOCSIN_STATUS_H_
#define TOCSIN_STATUS_H_

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tocsin {

enum class Code : int {
  kOk = 0,
  // Wire codes (relay.proto ErrorCode).
  kBadFrame = 1,             // malformed, truncated or unparseable input
  kUnauthorized = 2,         // missing or wrong signature, token or invite
  kNotFound = 3,             // unknown mailbox, blob handle, pre-key, ...
  kQuotaExceeded = 4,        // a mailbox or token class is over its quota
  kRateLimited = 5,          // too many requests; retry later
  kTooLarge = 6,             // over a size limit (frame, envelope, views, TTL cap)
  kExpired = 7,              // an invite, token or envelope past its lifetime
  kWrongConnectionKind = 8,  // request not allowed on this kind of connection
  kUnsupportedVersion = 9,   // protocol version not spoken
  kInternal = 10,            // a bug or an unexpected failure
  kUnavailable = 11,         // cannot serve now (disk full, shutting down): retry
  // Local codes.
  kInvalidArgument = 100,    // a caller broke a documented precondition
  kCryptoFailure = 101,      // authentication failed: bad MAC, tag or signature
  kDuplicate = 102,          // a message already seen (replay); drop silently
  kUntrustedIdentity = 103,  // a contact's identity key changed and is not verified
  kIoError = 104,            // file or socket failure
  kCorruption = 105,         // stored data fails its checks
};

// The name of a code as written in SPEC.md ("BAD_FRAME", "CRYPTO_FAILURE", ...).
std::string_view CodeName(Code code);

// True for codes that may appear in a relay Error frame.
constexpr bool IsWireCode(Code code) {
  return static_cast<int>(code) >= 0 && static_cast<int>(code) <= 11;
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status BadFrame(std::string_view msg) { return Status(Code::kBadFrame, msg); }
  static Status Unauthorized(std::string_view msg) { return Status(Code::kUnauthorized, msg); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status QuotaExceeded(std::string_view msg) { return Status(Code::kQuotaExceeded, msg); }
  static Status RateLimited(std::string_view msg) { return Status(Code::kRateLimited, msg); }
  static Status TooLarge(std::string_view msg) { return Status(Code::kTooLarge, msg); }
  static Status Expired(std::string_view msg) { return Status(Code::kExpired, msg); }
  static Status WrongConnectionKind(std::string_view msg) {
    return Status(Code::kWrongConnectionKind, msg);
  }
  static Status UnsupportedVersion(std::string_view msg) {
    return Status(Code::kUnsupportedVersion, msg);
  }
  static Status Internal(std::string_view msg) { return Status(Code::kInternal, msg); }
  static Status Unavailable(std::string_view msg) { return Status(Code::kUnavailable, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status CryptoFailure(std::string_view msg) { return Status(Code::kCryptoFailure, msg); }
  static Status Duplicate(std::string_view msg) { return Status(Code::kDuplicate, msg); }
  static Status UntrustedIdentity(std::string_view msg) {
    return Status(Code::kUntrustedIdentity, msg);
  }
  static Status IoError(std::string_view msg) { return Status(Code::kIoError, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }

  // REQUIRES: for kOk the message is ignored.
  Status(Code code, std::string_view msg) : code_(code), message_(code == Code::kOk ? "" : msg) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NOT_FOUND: mailbox" or "OK".
  std::string ToString() const;

  // Prefixes the message with context: "open store: " + message. OK stays OK.
  Status Annotate(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  // REQUIRES: !status.ok().
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok());
    if (status_.ok()) status_ = Status::Internal("Result built from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace tocsin

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define TOCSIN_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::tocsin::Status tocsin_status_ = (expr);        \
    if (!tocsin_status_.ok()) return tocsin_status_; \
  } while (0)

#endif  // TOCSIN_STATUS_H_
