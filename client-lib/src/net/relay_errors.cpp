#include "net/relay_errors.h"

#include <string>

namespace tocsin::net {

Status StatusFromError(const wire::Error& error) {
  if (error.code() == wire::OK) return Status::Ok();
  const int number = static_cast<int>(error.code());
  Code code = static_cast<Code>(number);
  // SPEC.md section 5: a code this client does not know is a failure, as INTERNAL.
  if (!IsWireCode(code)) code = Code::kInternal;
  std::string message =
      error.message().empty() ? std::string("relay refused the request") : error.message();
  if (error.retry_after_ms() != 0) {
    message += " (retry after " + std::to_string(error.retry_after_ms()) + " ms)";
  }
  return Status(code, message);
}

Status CheckAnswer(const wire::Response& response, wire::Response::BodyCase expected) {
  if (response.has_error()) {
    Status status = StatusFromError(response.error());
    if (!status.ok()) return status;
  }
  if (response.body_case() != expected) return Status::BadFrame("unexpected answer from the relay");
  return Status::Ok();
}

Status ConnectionLost(std::string_view what) { return Status::Unavailable(what); }

}  // namespace tocsin::net
