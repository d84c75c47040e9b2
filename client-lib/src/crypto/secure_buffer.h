// SecretBytes: a fixed-size buffer for key material.
//
// Allocated with sodium_malloc (guard pages, MADV_DONTDUMP, mlock'd where allowed) and
// wiped by sodium_free on destruction. Not copyable; movable. No operator<< and no
// conversion to std::string, so a secret cannot reach a log by accident.
//
// WARNING: data() exposes the bytes; copy them nowhere but into another SecretBytes or
// straight into a library call.
#ifndef TOCSIN_CRYPTO_SECURE_BUFFER_H_
#define TOCSIN_CRYPTO_SECURE_BUFFER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tocsin::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  // A zero-filled secret of `size` bytes. Aborts when memory cannot be had (as
  // libsodium does on misuse): a secret in an unprotected buffer is worse than a crash.
  explicit SecretBytes(std::size_t size);
  // A copy of `bytes` (the caller wipes its source).
  static SecretBytes CopyOf(std::span<const std::uint8_t> bytes);
  ~SecretBytes();

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<std::uint8_t> span() { return {data_, size_}; }
  std::span<const std::uint8_t> span() const { return {data_, size_}; }

  // Constant-time comparison (sodium_memcmp); false when sizes differ.
  bool Equals(std::span<const std::uint8_t> other) const;

  // Wipes and frees now.
  void Reset();

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Wipes `size` bytes at `data` in a way the compiler cannot elide (sodium_memzero).
void Wipe(void* data, std::size_t size);

// WipedArray<N>: a fixed-size secret held inline (on the stack or inside another
// object), zero-filled at birth and wiped on destruction and on move. Not copyable.
//
// For short-lived intermediate values on hot paths (per-message DH outputs and derived
// keys): sodium_malloc's guard pages, mlock and munmap cost ~50 µs per SecretBytes here,
// more than the X25519 they would hold. Long-lived keys stay in SecretBytes, which also
// keeps them out of core dumps and swap.
template <std::size_t N>
class WipedArray {
 public:
  WipedArray() = default;
  ~WipedArray() { Wipe(bytes_.data(), N); }
  WipedArray(const WipedArray&) = delete;
  WipedArray& operator=(const WipedArray&) = delete;
  WipedArray(WipedArray&& other) noexcept : bytes_(other.bytes_) { Wipe(other.bytes_.data(), N); }
  WipedArray& operator=(WipedArray&& other) noexcept {
    if (this != &other) {
      bytes_ = other.bytes_;
      Wipe(other.bytes_.data(), N);
    }
    return *this;
  }

  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  static constexpr std::size_t size() { return N; }
  std::span<std::uint8_t, N> span() { return std::span<std::uint8_t, N>(bytes_); }
  std::span<const std::uint8_t, N> span() const { return std::span<const std::uint8_t, N>(bytes_); }

 private:
  std::array<std::uint8_t, N> bytes_{};
};

// Constant-time equality of two byte strings of the same length; false when the lengths
// differ (the length itself is not secret).
bool ConstantTimeEquals(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// True when every byte is zero, in constant time (sodium_is_zero).
bool IsAllZero(std::span<const std::uint8_t> bytes);

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SECURE_BUFFER_H_
