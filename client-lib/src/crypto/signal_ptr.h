// RAII for libsignal-protocol-c's objects.
//
// libsignal has three ownership schemes and each gets its own owner here:
//  - reference-counted objects (keys, records, messages, bundles: every type whose first
//    member is signal_type_base) are released with SIGNAL_UNREF; SignalRef<T> holds one
//    reference and releases it (signal_type_unref, which is what SIGNAL_UNREF calls; the
//    macro itself uses a C cast that our warnings refuse);
//  - builders and ciphers are freed with their *_free function (SignalOwned<T>);
//  - signal_buffer is freed with signal_buffer_free, or signal_buffer_bzero_free when it
//    held a secret (SignalBuffer wipes always: the cost is a memset).
// Contexts (signal_context, signal_protocol_store_context) are owned by SignalContext and
// SignalStoreContext, which destroy them in the order libsignal needs.
//
// Thread-safety: owners are values; distinct owners may be used from distinct threads.
#ifndef TOCSIN_CRYPTO_SIGNAL_PTR_H_
#define TOCSIN_CRYPTO_SIGNAL_PTR_H_

#include <signal/group_cipher.h>
#include <signal/group_session_builder.h>
#include <signal/key_helper.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/signal_protocol.h>

#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace tocsin::crypto {

// One reference to a reference-counted libsignal object.
template <typename T>
class SignalRef {
 public:
  SignalRef() = default;
  // Takes over the reference the caller holds (what libsignal's *_create functions give).
  static SignalRef Adopt(T* object) { return SignalRef(object); }
  // Adds a reference to an object the caller does not own (a getter's result).
  static SignalRef Share(T* object) {
    if (object != nullptr) signal_type_ref(Base(object));
    return SignalRef(object);
  }
  ~SignalRef() { Reset(); }

  SignalRef(const SignalRef& other) : object_(other.object_) {
    if (object_ != nullptr) signal_type_ref(Base(object_));
  }
  SignalRef& operator=(const SignalRef& other) {
    if (this != &other) *this = Share(other.object_);
    return *this;
  }
  SignalRef(SignalRef&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  SignalRef& operator=(SignalRef&& other) noexcept {
    if (this != &other) {
      Reset();
      object_ = std::exchange(other.object_, nullptr);
    }
    return *this;
  }

  T* get() const { return object_; }
  explicit operator bool() const { return object_ != nullptr; }
  // For libsignal's out-parameters: releases the current object first.
  T** out() {
    Reset();
    return &object_;
  }
  void Reset() {
    if (object_ != nullptr) signal_type_unref(Base(std::exchange(object_, nullptr)));
  }

 private:
  explicit SignalRef(T* object) : object_(object) {}
  static signal_type_base* Base(T* object) { return reinterpret_cast<signal_type_base*>(object); }
  T* object_ = nullptr;
};

// Builders, ciphers and lists, each with its own free function.
struct SignalFree {
  void operator()(session_builder* p) const { session_builder_free(p); }
  void operator()(session_cipher* p) const { session_cipher_free(p); }
  void operator()(group_session_builder* p) const { group_session_builder_free(p); }
  void operator()(group_cipher* p) const { group_cipher_free(p); }
  void operator()(signal_protocol_key_helper_pre_key_list_node* p) const {
    signal_protocol_key_helper_key_list_free(p);
  }
};
template <typename T>
using SignalOwned = std::unique_ptr<T, SignalFree>;

// A signal_buffer, wiped when freed.
class SignalBuffer {
 public:
  SignalBuffer() = default;
  explicit SignalBuffer(signal_buffer* buffer) : buffer_(buffer) {}
  ~SignalBuffer() { Reset(); }
  SignalBuffer(const SignalBuffer&) = delete;
  SignalBuffer& operator=(const SignalBuffer&) = delete;
  SignalBuffer(SignalBuffer&& other) noexcept : buffer_(std::exchange(other.buffer_, nullptr)) {}
  SignalBuffer& operator=(SignalBuffer&& other) noexcept {
    if (this != &other) {
      Reset();
      buffer_ = std::exchange(other.buffer_, nullptr);
    }
    return *this;
  }

  signal_buffer* get() const { return buffer_; }
  explicit operator bool() const { return buffer_ != nullptr; }
  // For libsignal's out-parameters: frees the current buffer first.
  signal_buffer** out() {
    Reset();
    return &buffer_;
  }
  // An empty span for a null buffer.
  std::span<const std::uint8_t> span() const {
    if (buffer_ == nullptr) return {};
    return {signal_buffer_const_data(buffer_), signal_buffer_len(buffer_)};
  }
  // Gives up ownership (to a libsignal function that takes it).
  signal_buffer* release() { return std::exchange(buffer_, nullptr); }
  void Reset() {
    if (buffer_ != nullptr) signal_buffer_bzero_free(std::exchange(buffer_, nullptr));
  }

 private:
  signal_buffer* buffer_ = nullptr;
};

}  // namespace tocsin::crypto

#endif  // TOCSIN_CRYPTO_SIGNAL_PTR_H_
