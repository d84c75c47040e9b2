// A device process for the client kill loop (client_kill_loop_test.cpp): it runs until
// it is killed, and writes what its application saw to a log that survives the kill
// (each line written with O_APPEND and fsync'd before the client is told anything).
//
//   tocsin_fault_device <dir> send <contact id> <prefix> <log>
//       sends "<prefix><n>" every few milliseconds, n going on from the log's last
//       attempt; logs "attempt <text>" before SendText and "accepted <text>" once the
//       client took it (committed to its outbox).
//   tocsin_fault_device <dir> flush
//       only opens the device, so that its outbox drains; sends nothing new.
//   tocsin_fault_device <dir> receive <log>
//       logs "<event id> <message id> <text>" for each message event, then calls Done,
//       as an application that records an event before it lets the library forget it.
//
// Exits 2 on a usage or open error; otherwise runs until killed.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "tocsin/client.h"

namespace {

// Appends one line and makes it durable.
bool AppendLine(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const std::string text = line + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// The number after `prefix` in the log's last "attempt" line, or -1.
long LastAttempt(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  long last = -1;
  const std::string head = "attempt " + prefix;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(head, 0) == 0) last = std::stol(line.substr(head.size()));
  }
  return last;
}

[[noreturn]] void Send(tocsin::Client& client, const std::string& contact,
                       const std::string& prefix, const std::string& log) {
  for (long n = LastAttempt(log, prefix) + 1;; ++n) {
    const std::string text = prefix + std::to_string(n);
    if (!AppendLine(log, "attempt " + text)) std::_Exit(2);
    if (client.SendText(contact, text).ok() && !AppendLine(log, "accepted " + text)) {
      std::_Exit(2);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

[[noreturn]] void Receive(tocsin::Client& client, const std::string& log) {
  client.SetEventHandler([&client, log](const tocsin::Event& event) {
    if (event.kind == tocsin::EventKind::kMessage && event.text) {
      if (!AppendLine(log, std::to_string(event.id) + " " + event.message_id + " " + *event.text)) {
        std::_Exit(2);
      }
    }
    (void)client.Done(event.id);
  });
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(60));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <dir> send|flush|receive ...\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[2];
  auto passphrase = tocsin::Passphrase::FromString("test passphrase");
  tocsin::ClientOptions options;
  options.kdf = tocsin::KdfCost::kMinimum;
  options.retry_min = std::chrono::milliseconds(200);
  options.retry_max = std::chrono::milliseconds(2000);
  options.maintenance_interval = std::chrono::milliseconds(200);
  options.reconnect_min = std::chrono::milliseconds(100);
  options.reconnect_max = std::chrono::milliseconds(1000);
  auto client = tocsin::Client::Open(argv[1], *passphrase, options);
  if (!client.ok()) {
    std::fprintf(stderr, "open: %s\n", client.status().ToString().c_str());
    return 2;
  }
  if (mode == "send" && argc == 6) Send(**client, argv[3], argv[4], argv[5]);
  if (mode == "receive" && argc == 4) Receive(**client, argv[3]);
  if (mode == "flush" && argc == 3) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(60));
  }
  std::fprintf(stderr, "usage: %s <dir> send|flush|receive ...\n", argv[0]);
  return 2;
}
