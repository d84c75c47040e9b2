// Plaintext: decrypted store values, in ordinary heap memory that is wiped when freed.
//
// Keys live in crypto::SecretBytes (sodium_malloc'd, guard pages, one mapping each).
// Store values are many and small (a session, a contact, a seen id): giving each its own
// sodium_malloc mapping would exhaust vm.max_map_count when a 10,000-member group is
// iterated. They live in a vector whose allocator wipes every buffer it frees, including
// the old buffer when the vector grows.
#ifndef TOCSIN_STORE_PLAINTEXT_H_
#define TOCSIN_STORE_PLAINTEXT_H_

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace tocsin::store {

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) {}  // NOLINT: allocator rebinding

  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) {
    sodium_memzero(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const {
    return true;
  }
};

using Plaintext = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

using ByteView = std::span<const std::uint8_t>;

inline Plaintext ToPlaintext(ByteView bytes) { return Plaintext(bytes.begin(), bytes.end()); }

inline ByteView View(const Plaintext& p) { return {p.data(), p.size()}; }

// The bytes of a string (names and values given as text).
inline ByteView AsByteView(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsStringView(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace tocsin::store

#endif  // TOCSIN_STORE_PLAINTEXT_H_
