#include "net/socket_bio.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tocsin::relay {
namespace {

bool WouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

}  // namespace

bool SocketBio::Attach(SSL* ssl, int fd) {
  const BIO_METHOD* method = Method();
  BIO* bio = method != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) return false;
  fd_ = fd;
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // one reference, for both directions
  return true;
}

int SocketBio::Read(BIO* bio, char* out, std::size_t len, std::size_t* got) {
  BIO_clear_retry_flags(bio);
  auto* self = static_cast<SocketBio*>(BIO_get_data(bio));
  if (self->pending() > 0) {
    const std::size_t n = std::min(len, self->pending());
    std::memcpy(out, self->buffer_.data() + self->begin_, n);
    self->begin_ += n;
    *got = n;
    return 1;
  }
  if (self->skip_recv_) {
    self->skip_recv_ = false;
    BIO_set_retry_read(bio);
    return 0;
  }
  const ssize_t n = ::recv(self->fd_, out, len, 0);
  if (n > 0) {
    *got = static_cast<std::size_t>(n);
    return 1;
  }
  if (n < 0 && WouldBlock()) BIO_set_retry_read(bio);
  return 0;  // 0 bytes: the peer closed; otherwise an error OpenSSL reports
}

int SocketBio::Write(BIO* bio, const char* data, std::size_t len, std::size_t* put) {
  BIO_clear_retry_flags(bio);
  const auto* self = static_cast<const SocketBio*>(BIO_get_data(bio));
  const ssize_t n = ::send(self->fd_, data, len, MSG_NOSIGNAL);
  if (n > 0) {
    *put = static_cast<std::size_t>(n);
    return 1;
  }
  if (n < 0 && WouldBlock()) BIO_set_retry_write(bio);
  return 0;
}

// Only a flush means anything to a socket; OpenSSL takes 0 as "not supported" for the
// rest (kTLS, datagram and peer queries).
long SocketBio::Control(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

const BIO_METHOD* SocketBio::Method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tocsin socket");
    if (m != nullptr) {
      BIO_meth_set_read_ex(m, Read);
      BIO_meth_set_write_ex(m, Write);
      BIO_meth_set_ctrl(m, Control);
    }
    return m;
  }();
  return method;
}

}  // namespace tocsin::relay
