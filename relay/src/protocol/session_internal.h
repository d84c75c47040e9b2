// Helpers shared by the session's source files (not a public interface).
#ifndef TOCSIN_RELAY_PROTOCOL_SESSION_INTERNAL_H_
#define TOCSIN_RELAY_PROTOCOL_SESSION_INTERNAL_H_

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "protocol/session.h"

namespace tocsin::relay {

// Index of a request type for metrics (RequestTypeName()).
inline std::size_t RequestType(wire::Request::BodyCase body) {
  const int n = static_cast<int>(body);
  return n >= 10 && n <= 23 ? static_cast<std::size_t>(n - 10) : kRequestTypes - 1;
}

// Copies `bytes` into an array of exactly N bytes; nullopt for any other size.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> FixedBytes(const std::string& bytes) {
  if (bytes.size() != N) return std::nullopt;
  std::array<std::uint8_t, N> out;
  std::memcpy(out.data(), bytes.data(), N);
  return out;
}

template <std::size_t N>
std::string ToBytes(const std::array<std::uint8_t, N>& a) {
  return std::string(reinterpret_cast<const char*>(a.data()), N);
}

template <typename T, typename Finish>
std::function<void(Result<T>)> ProtocolSession::Later(Finish finish) {
  ++inflight_;
  SessionDirectory* directory = env_.directory;
  const SessionId id = id_;
  return [directory, id, finish = std::move(finish)](Result<T> result) {
    directory->Post(id, [finish, result = std::move(result)](ProtocolSession& s) mutable {
      --s.inflight_;
      if (!s.closed_) finish(s, std::move(result));
    });
  };
}

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_PROTOCOL_SESSION_INTERNAL_H_
