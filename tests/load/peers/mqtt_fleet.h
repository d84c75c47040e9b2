// Thousands of libmosquitto clients on one thread: libmosquitto's own loop
// (mosquitto_loop_start) costs a thread per client, so each client's socket goes into
// one epoll set and the fleet calls mosquitto_loop_read / _write / _misc itself, as
// mosquitto.h describes for external event loops.
#ifndef TOCSIN_TESTS_LOAD_PEERS_MQTT_FLEET_H_
#define TOCSIN_TESTS_LOAD_PEERS_MQTT_FLEET_H_

#include <mosquitto.h>
#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "peer_bench.h"

namespace tocsin::peers {

// One MQTT 3.1.1 client. Its callbacks run on the fleet's thread, inside Poll().
class MqttClient {
 public:
  // `tls` (may be null: plain TCP) is shared; libmosquitto takes its own reference.
  MqttClient(const std::string& id, bool clean_session, SSL_CTX* tls);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  mosquitto* handle() { return mosq_; }
  // Marks the client failed, keeping the first cause.
  void Fail(std::string why);

  bool connected = false;   // CONNACK accepted
  bool subscribed = false;  // SUBACK received
  bool failed = false;      // refused, or the connection dropped unasked
  std::string failure;      // why, when failed: the first cause seen
  std::string last_error;   // libmosquitto's last error log line before CONNACK
  bool closing = false;     // we asked to disconnect
  int fd = -1;              // the socket registered in the fleet's epoll set, or -1
  bool watching_write = false;
  long published = 0;        // PUBACKs received (QoS 1) for our publishes
  std::string subscribe_to;  // subscribed at QoS 1 on every CONNACK when not empty
  std::function<void(const mosquitto_message&)> on_message;

 private:
  mosquitto* mosq_;
};

class MqttFleet {
 public:
  MqttFleet(std::string host, int port);
  ~MqttFleet();
  MqttFleet(const MqttFleet&) = delete;
  MqttFleet& operator=(const MqttFleet&) = delete;

  // Starts connecting (TCP connect now; TLS handshake and CONNECT through Poll()).
  // Returns false (and marks the client failed) when the TCP connect fails.
  bool Connect(MqttClient* client);
  // Sends DISCONNECT; the client leaves the set when the server closes.
  void Disconnect(MqttClient* client);
  // Waits up to `timeout_ms` for socket events and handles them.
  void Poll(int timeout_ms);
  // Polls until `done()` or `limit`; returns done().
  bool RunUntil(const std::function<bool()>& done, std::chrono::seconds limit);
  // Polls for `duration`.
  void RunFor(std::chrono::milliseconds duration);
  // Watches the socket for writing while libmosquitto has output queued: call after
  // publishing outside a callback.
  void Refresh(MqttClient* client);
  // Forgets a client about to be destroyed.
  void Drop(MqttClient* client);

 private:
  void Handle(MqttClient* client, std::uint32_t events);
  void Forget(MqttClient* client);
  void Misc();

  std::string host_;
  int port_;
  int epoll_;
  std::vector<MqttClient*> clients_;  // every client ever connected (for loop_misc)
  Clock::time_point last_misc_ = Clock::now();
};

// Opens `count` clients `id_prefix`0.. (clean_session false) subscribed to the topic
// `topic_of(i)` at QoS 1, at most `parallel` in setup at once. Returns how many failed.
int OpenSubscribers(MqttFleet& fleet, std::vector<std::unique_ptr<MqttClient>>* clients, int count,
                    int parallel, SSL_CTX* tls, const std::string& id_prefix,
                    const std::function<std::string(int)>& topic_of,
                    const std::function<void(const mosquitto_message&)>& on_message,
                    std::chrono::seconds limit);

// "<count> x <cause>" for each distinct cause among the failed clients from `first` on.
std::string FailureCauses(const std::vector<std::unique_ptr<MqttClient>>& clients,
                          std::size_t first = 0);

// A TLS 1.3 client context without certificate verification (relay_bench.cpp's too:
// verification is not what is measured).
std::shared_ptr<SSL_CTX> MakeClientTls();

}  // namespace tocsin::peers

#endif  // TOCSIN_TESTS_LOAD_PEERS_MQTT_FLEET_H_
