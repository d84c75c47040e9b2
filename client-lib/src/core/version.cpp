#include "tocsin/client.h"

namespace tocsin {

const char* LibraryVersion() { return TOCSIN_VERSION; }

}  // namespace tocsin
