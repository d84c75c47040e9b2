// Encoding helpers of the protocol layer (no I/O).
#ifndef TOCSIN_RELAY_PROTOCOL_WIRE_ENCODING_H_
#define TOCSIN_RELAY_PROTOCOL_WIRE_ENCODING_H_

#include <string>

#include "store/mailbox_store.h"
#include "tocsin/relay.pb.h"
#include "tocsin/status.h"

namespace tocsin::relay {

// Appends Frame{push: Delivery{...}} for `entry`, with its 4-byte length, to `out`.
// Byte-for-byte what protobuf would serialize, but the envelope or blob is copied once,
// straight from the shared store buffer into the outbound queue: a fan-out writes one
// blob to thousands of sessions and must not build a message per session to do it.
void AppendDeliveryFrame(const QueuedEntry& entry, std::string* out);

// The wire ErrorCode for a Status code; local codes become INTERNAL, except
// kInvalidArgument (BAD_FRAME) and kIoError (UNAVAILABLE).
wire::ErrorCode ToWireCode(Code code);

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_PROTOCOL_WIRE_ENCODING_H_
