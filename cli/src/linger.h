// After a send, a one-shot command keeps the device open a moment so its outbox can
// reach the relays (the library retries from the outbox at the next start otherwise).
// Commands served by a running `listen` return at once: listen stays open.
#ifndef TOCSIN_CLI_LINGER_H_
#define TOCSIN_CLI_LINGER_H_

#include "session.h"

namespace tocsin::cli {

// Seconds to linger: $TOCSIN_LINGER_SECONDS, else 3.
void LingerForDelivery(Session& session);

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_LINGER_H_
