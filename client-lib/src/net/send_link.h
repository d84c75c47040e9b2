// SendLink: a device's SEND connections to one relay (proto/SPEC.md sections 4, 5.6-5.8,
// 5.12). A connection is opened when a request needs one, carries every request made
// meanwhile (pipelined), and is closed once it has been idle for send_idle_close. It
// never authenticates and never resumes a TLS session, so the relay cannot link it to
// the device's owner connection.
//
// A connection that fails or ends fails every request on it (kUnavailable, or
// kUnauthorized "relay pin mismatch"); the next request opens a new one. Nothing is
// retried here: the caller's outbox does that.
//
// Thread-safety: confined to the io_context's thread.
#ifndef TOCSIN_NET_SEND_LINK_H_
#define TOCSIN_NET_SEND_LINK_H_

#include <memory>
#include <vector>

#include "net/link_env.h"
#include "net/relay_connection.h"

namespace tocsin::net {

class SendLink : public std::enable_shared_from_this<SendLink> {
 public:
  using ResponseCallback = RelayConnection::ResponseCallback;

  SendLink(std::shared_ptr<LinkEnv> env, RelayAddress relay);

  // One request (Send, GetPrekeyBundle, PutBlob, SendViews) on the send connection.
  void Call(wire::Request request, ResponseCallback done);
  // PutBlob, then SendViews in frames; see RelayPool::SendToMany.
  void SendToMany(std::string blob, std::uint32_t ttl_seconds, std::vector<OutgoingView> views,
                  Callback<std::vector<Code>> done);
  // Closes the connection; its requests fail with `reason`.
  void Shutdown(const Status& reason);

 private:
  using ConnPtr = std::shared_ptr<RelayConnection>;

  ConnPtr Connection();
  void OnOpened(const RelayConnection* conn, const Result<wire::HelloOk>& hello);
  void OnClosed(const RelayConnection* conn);
  void SendViews(const std::string& handle, std::shared_ptr<std::vector<OutgoingView>> views,
                 Callback<std::vector<Code>> done);
  void AfterAnswer();
  void OnIdle();

  std::shared_ptr<LinkEnv> env_;
  const RelayAddress relay_;
  ConnPtr conn_;
  asio::steady_timer idle_timer_;
};

}  // namespace tocsin::net

#endif  // TOCSIN_NET_SEND_LINK_H_
