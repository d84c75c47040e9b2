// SocketBio (relay/src/net/socket_bio.h) on a real socket pair, without TLS: what a wait
// received comes first, then the socket; an empty socket asks for a retry, a closed one
// does not; a skipped recv() asks for a retry and loses nothing; writes reach the peer.
#include "net/socket_bio.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>

namespace tocsin::relay {
namespace {

struct SocketPair {
  SocketPair() {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds.data()) == 0);
    REQUIRE(::fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
  }
  ~SocketPair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  void Send(const std::string& bytes) const {
    REQUIRE(::send(fds[1], bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
  }
  std::array<int, 2> fds{-1, -1};  // [0]: under the BIO, non-blocking; [1]: the peer
};

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

// Reads up to `n` bytes through `bio`; "" and sets *retry / *closed when nothing came.
std::string ReadSome(BIO* bio, std::size_t n, bool* retry) {
  std::string out(n, '\0');
  std::size_t got = 0;
  *retry = false;
  if (BIO_read_ex(bio, out.data(), n, &got) != 1) {
    *retry = BIO_should_retry(bio) != 0;
    return "";
  }
  out.resize(got);
  return out;
}

TEST_CASE("SocketBio reads what the wait received first, then the socket, and writes to the peer") {
  SocketPair pair;
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  std::array<std::uint8_t, 8> buffer{};
  SocketBio socket_bio(buffer);
  REQUIRE(socket_bio.Attach(ssl.get(), pair.fds[0]));
  BIO* bio = SSL_get_rbio(ssl.get());
  REQUIRE(bio == SSL_get_wbio(ssl.get()));

  // A wait received "abcde"; "fgh" came after it.
  std::memcpy(socket_bio.room().data(), "abcde", 5);
  socket_bio.Received(5);
  pair.Send("fgh");
  CHECK(socket_bio.pending() == 5);
  bool retry = false;
  CHECK(ReadSome(bio, 3, &retry) == "abc");
  CHECK(socket_bio.pending() == 2);
  CHECK(ReadSome(bio, 100, &retry) == "de");  // the received bytes alone, then...
  CHECK(socket_bio.pending() == 0);
  CHECK(ReadSome(bio, 100, &retry) == "fgh");  // ...the socket

  // Empty: a retry, as a non-blocking socket BIO gives.
  CHECK(ReadSome(bio, 100, &retry).empty());
  CHECK(retry);

  // SkipNextRecv: the next read says "would block" without taking what the socket has;
  // the one after reads it.
  pair.Send("ij");
  socket_bio.SkipNextRecv();
  CHECK(ReadSome(bio, 100, &retry).empty());
  CHECK(retry);
  CHECK(ReadSome(bio, 100, &retry) == "ij");
  // Bytes a wait received cancel it: they are read first, then the socket.
  socket_bio.SkipNextRecv();
  std::memcpy(socket_bio.room().data(), "k", 1);
  socket_bio.Received(1);
  pair.Send("l");
  CHECK(ReadSome(bio, 100, &retry) == "k");
  CHECK(ReadSome(bio, 100, &retry) == "l");

  std::size_t put = 0;
  REQUIRE(BIO_write_ex(bio, "xyz", 3, &put) == 1);
  CHECK(put == 3);
  std::array<char, 8> peer{};
  CHECK(::recv(pair.fds[1], peer.data(), peer.size(), 0) == 3);
  CHECK(std::string(peer.data(), 3) == "xyz");
  CHECK(BIO_flush(bio) == 1);

  // The peer gone: end of stream, no retry.
  ::close(pair.fds[1]);
  pair.fds[1] = -1;
  CHECK(ReadSome(bio, 100, &retry).empty());
  CHECK_FALSE(retry);
  CHECK(BIO_write_ex(bio, "x", 1, &put) != 1);  // EPIPE, without SIGPIPE
  CHECK_FALSE(BIO_should_retry(bio));
}

}  // namespace
}  // namespace tocsin::relay
