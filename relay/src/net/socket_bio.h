// An OpenSSL BIO over a non-blocking TCP socket whose reads first hand out the bytes
// that the connection's last wait for readability already received.
//
// Why: a connection that drives OpenSSL itself must wait for its socket between
// records. Asio re-arms the socket in epoll (one epoll_ctl) for every async_wait, and
// for no receive, so the wait is a receive into a small buffer: it costs no extra
// system call, and a short record (an Ack, most often) arrives whole in it.
//
// Thread-safety: none; used by one connection on one thread.
#ifndef TOCSIN_RELAY_NET_SOCKET_BIO_H_
#define TOCSIN_RELAY_NET_SOCKET_BIO_H_

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace tocsin::relay {

class SocketBio {
 public:
  // `buffer` receives a wait's bytes; it must outlive this object.
  explicit SocketBio(std::span<std::uint8_t> buffer) : buffer_(buffer) {}
  SocketBio(const SocketBio&) = delete;
  SocketBio& operator=(const SocketBio&) = delete;

  // Gives `ssl` one BIO for both directions over `fd`, reading through this object,
  // which must outlive `ssl`. False when OpenSSL could not make it.
  bool Attach(SSL* ssl, int fd);
  // Bytes received and not yet read by OpenSSL.
  std::size_t pending() const { return end_ - begin_; }
  // Where the next wait receives. REQUIRES: pending() == 0.
  std::span<std::uint8_t> room() const { return buffer_; }
  // The wait received `n` bytes into room().
  void Received(std::size_t n) {
    begin_ = 0;
    end_ = n;
    skip_recv_ = false;
  }
  // The next read that has no received bytes left says "would block" without a recv():
  // for a caller about to wait for the socket (which looks at it first). OpenSSL frees
  // its read buffer (SSL_MODE_RELEASE_BUFFERS) only after a read that found nothing, so
  // an idle connection keeps ~13 KiB more without that read.
  void SkipNextRecv() { skip_recv_ = true; }

 private:
  static int Read(BIO* bio, char* out, std::size_t len, std::size_t* got);
  static int Write(BIO* bio, const char* data, std::size_t len, std::size_t* put);
  static long Control(BIO* bio, int command, long number, void* pointer);
  static const BIO_METHOD* Method();

  std::span<std::uint8_t> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  int fd_ = -1;
  bool skip_recv_ = false;
};

// Before each TLS call on such a connection: SSL_get_error needs an empty error queue.
// It nearly always is empty, and looking costs a fraction of emptying its 16 slots
// (~600 instructions, once per record read or written).
inline void ClearTlsErrors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace tocsin::relay

#endif  // TOCSIN_RELAY_NET_SOCKET_BIO_H_
