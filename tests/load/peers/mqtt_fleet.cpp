#include "mqtt_fleet.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>

namespace tocsin::peers {
namespace {

constexpr int kKeepAliveSeconds = 600;  // no pings during a run
constexpr int kPacketsPerWakeup = 64;

MqttClient* Self(void* obj) { return static_cast<MqttClient*>(obj); }

void OnConnect(mosquitto* mosq, void* obj, int rc) {
  MqttClient* c = Self(obj);
  if (rc != 0) {
    c->Fail("CONNACK refused: " + std::string(mosquitto_connack_string(rc)));
    return;
  }
  c->connected = true;
  // The log callback makes libmosquitto format every line, a debug line per packet
  // included: only the connection's errors are wanted.
  mosquitto_log_callback_set(mosq, nullptr);
  if (!c->subscribe_to.empty() &&
      mosquitto_subscribe(mosq, nullptr, c->subscribe_to.c_str(), 1) != MOSQ_ERR_SUCCESS) {
    c->Fail("subscribe could not be queued");
  }
}

void OnSubscribe(mosquitto*, void* obj, int, int, const int*) { Self(obj)->subscribed = true; }

// libmosquitto says what went wrong (an OpenSSL error, say) only through its log. Set
// until CONNACK.
void OnLog(mosquitto*, void* obj, int level, const char* text) {
  if (level == MOSQ_LOG_ERR) Self(obj)->last_error = text;
}

void OnPublish(mosquitto*, void* obj, int) { ++Self(obj)->published; }

void OnMessage(mosquitto*, void* obj, const mosquitto_message* message) {
  MqttClient* c = Self(obj);
  if (c->on_message) c->on_message(*message);
}

}  // namespace

MqttClient::MqttClient(const std::string& id, bool clean_session, SSL_CTX* tls)
    : mosq_(mosquitto_new(id.c_str(), clean_session, this)) {
  if (mosq_ == nullptr) throw std::runtime_error("mosquitto_new failed");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  if (tls != nullptr) {
    mosquitto_void_option(mosq_, MOSQ_OPT_SSL_CTX, tls);
    mosquitto_int_option(mosq_, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
  }
  mosquitto_connect_callback_set(mosq_, OnConnect);
  mosquitto_subscribe_callback_set(mosq_, OnSubscribe);
  mosquitto_publish_callback_set(mosq_, OnPublish);
  mosquitto_message_callback_set(mosq_, OnMessage);
  mosquitto_log_callback_set(mosq_, OnLog);
}

MqttClient::~MqttClient() { mosquitto_destroy(mosq_); }

void MqttClient::Fail(std::string why) {
  if (!failed) failure = std::move(why);
  failed = true;
}

std::string FailureCauses(const std::vector<std::unique_ptr<MqttClient>>& clients,
                          std::size_t first) {
  std::map<std::string, int> causes;
  for (std::size_t i = first; i < clients.size(); ++i) {
    if (clients[i]->failed) ++causes[clients[i]->failure];
  }
  std::string out;
  for (const auto& [cause, count] : causes) {
    out += (out.empty() ? "" : "; ") + std::to_string(count) + " x " + cause;
  }
  return out;
}

MqttFleet::MqttFleet(std::string host, int port)
    : host_(std::move(host)), port_(port), epoll_(epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
}

MqttFleet::~MqttFleet() { close(epoll_); }

bool MqttFleet::Connect(MqttClient* c) {
  // Asynchronous: a connect that waits for a full accept queue must not stop the others.
  if (const int rc = mosquitto_connect_async(c->handle(), host_.c_str(), port_, kKeepAliveSeconds);
      rc != MOSQ_ERR_SUCCESS) {
    c->Fail("connect: " + std::string(mosquitto_strerror(rc)));
    return false;
  }
  c->fd = mosquitto_socket(c->handle());
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT;  // EPOLLOUT: the connect completes
  event.data.ptr = c;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c->fd, &event) != 0) {
    c->Fail("epoll_ctl: " + std::string(std::strerror(errno)));
    return false;
  }
  c->watching_write = true;
  clients_.push_back(c);
  return true;
}

void MqttFleet::Disconnect(MqttClient* c) {
  c->closing = true;
  mosquitto_disconnect(c->handle());
  if (mosquitto_socket(c->handle()) < 0) {
    Forget(c);
  } else {
    Refresh(c);
  }
}

void MqttFleet::Refresh(MqttClient* c) {
  if (c->fd < 0) return;
  const bool want = mosquitto_want_write(c->handle());
  if (want == c->watching_write) return;
  epoll_event event{};
  event.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  event.data.ptr = c;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c->fd, &event);
  c->watching_write = want;
}

void MqttFleet::Forget(MqttClient* c) {
  // libmosquitto closed the socket already, which took it out of the epoll set.
  c->fd = -1;
  c->connected = false;
}

void MqttFleet::Handle(MqttClient* c, std::uint32_t events) {
  int rc = MOSQ_ERR_SUCCESS;
  int error = 0;  // errno right after the call (its closing the socket may have changed it)
  const char* step = "read";
  // libmosquitto 2.0 drives its TLS handshake only from loop_read, and its loop_write
  // sends nothing until the handshake is done: a handshake whose ClientHello met a TCP
  // connect still in progress waits for a writable socket, and without this read the
  // server would see nothing and drop the connection at its timeout.
  const bool handshaking = !c->connected && (events & EPOLLOUT) != 0;
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 || handshaking) {
    rc = mosquitto_loop_read(c->handle(), kPacketsPerWakeup);
    error = errno;
  }
  if (rc == MOSQ_ERR_SUCCESS && (events & EPOLLOUT) != 0) {
    step = "write";
    rc = mosquitto_loop_write(c->handle(), kPacketsPerWakeup);
    error = errno;
  }
  if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(c->handle()) < 0) {
    if (!c->closing) {
      const std::string why = rc == MOSQ_ERR_SUCCESS ? "the connection was closed"
                              : rc == MOSQ_ERR_ERRNO ? std::strerror(error)
                                                     : mosquitto_strerror(rc);
      c->Fail(std::string(step) + (c->connected ? " after CONNACK: " : " before CONNACK: ") + why +
              (c->last_error.empty() ? "" : " (" + c->last_error + ")"));
    }
    Forget(c);
    return;
  }
  Refresh(c);
}

void MqttFleet::Misc() {
  if (Clock::now() - last_misc_ < std::chrono::seconds(1)) return;
  last_misc_ = Clock::now();
  for (MqttClient* c : clients_) {
    if (c->fd >= 0) mosquitto_loop_misc(c->handle());
  }
}

void MqttFleet::Poll(int timeout_ms) {
  std::array<epoll_event, 1024> events;
  const int count = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
  for (int i = 0; i < count; ++i) {
    Handle(static_cast<MqttClient*>(events[static_cast<std::size_t>(i)].data.ptr),
           events[static_cast<std::size_t>(i)].events);
  }
  Misc();
}

bool MqttFleet::RunUntil(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto until = Clock::now() + limit;
  while (!done() && Clock::now() < until) Poll(1);
  return done();
}

void MqttFleet::RunFor(std::chrono::milliseconds duration) {
  const auto until = Clock::now() + duration;
  while (Clock::now() < until) Poll(1);
}

void MqttFleet::Drop(MqttClient* c) { std::erase(clients_, c); }

int OpenSubscribers(MqttFleet& fleet, std::vector<std::unique_ptr<MqttClient>>* clients, int count,
                    int parallel, SSL_CTX* tls, const std::string& id_prefix,
                    const std::function<std::string(int)>& topic_of,
                    const std::function<void(const mosquitto_message&)>& on_message,
                    std::chrono::seconds limit) {
  const std::size_t first = clients->size();
  int launched = 0;
  auto settled = [&] {
    int done = 0;
    for (std::size_t i = first; i < clients->size(); ++i) {
      done += ((*clients)[i]->subscribed || (*clients)[i]->failed) ? 1 : 0;
    }
    return done;
  };
  int done = 0;
  fleet.RunUntil(
      [&] {
        done = settled();
        while (launched < count && launched - done < parallel) {
          auto c = std::make_unique<MqttClient>(id_prefix + std::to_string(launched), false, tls);
          c->subscribe_to = topic_of(launched++);
          c->on_message = on_message;
          fleet.Connect(c.get());
          clients->push_back(std::move(c));
        }
        return done >= count;
      },
      limit);
  int failed = 0;
  for (std::size_t i = first; i < clients->size(); ++i) failed += (*clients)[i]->failed ? 1 : 0;
  return failed + (count - launched);
}

std::shared_ptr<SSL_CTX> MakeClientTls() {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  return ctx;
}

}  // namespace tocsin::peers
