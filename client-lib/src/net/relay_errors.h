// Relay answers as Status values (proto/SPEC.md section 5, "Error model"): a relay's
// Error becomes the tocsin::Code with the same number and its message; an unknown code
// is INTERNAL; an answer of the wrong type is BAD_FRAME.
//
// Thread-safety: free functions.
#ifndef TOCSIN_NET_RELAY_ERRORS_H_
#define TOCSIN_NET_RELAY_ERRORS_H_

#include "tocsin/relay.pb.h"
#include "tocsin/status.h"

namespace tocsin::net {

// The Status of a relay Error. OK (or an unset error) is reported as OK.
Status StatusFromError(const wire::Error& error);

// OK when `response` carries no error and its body is `expected`; else the error's
// Status, or BAD_FRAME "unexpected answer" for another body.
Status CheckAnswer(const wire::Response& response, wire::Response::BodyCase expected);

// kUnavailable with `what`: the connection failed or ended, the request may be retried.
Status ConnectionLost(std::string_view what);

}  // namespace tocsin::net

#endif  // TOCSIN_NET_RELAY_ERRORS_H_
