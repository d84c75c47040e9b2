// After a send, a one-shot command keeps the device open a moment so its outbox can
// reach the relays (the library retries from the outbox at the next start otherwise).
// Commands served by a running `listen` return at once: listen stays open.
#ifndef TOCSIN_CLI_LINGER_H_
#define TOCSIN_CLI_LINGER_H_

#include <optional>
#include <string>

#include "safe_output.h"
#include "session.h"
#include "tocsin/client.h"

namespace tocsin::cli {

// Seconds to linger: $TOCSIN_LINGER_SECONDS, else 3.
void LingerForDelivery(Session& session);

// Lingers until every copy of `message` is stored on its relays, or the linger time
// passed; then says how far it got. nullopt when served by listen (which goes on
// sending) or when the client cannot tell.
std::optional<DeliveryState> LingerForMessage(Session& session, Client& client,
                                              const MessageId& message);

// What a one-shot send says about a message that no relay took for some recipients:
// empty when every recipient has a copy on a relay.
std::string QueuedNote(const std::optional<DeliveryState>& state);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_LINGER_H_
