// tocsin listen: keeps the device open and prints what arrives, as it arrives. It also
// serves other `tocsin` commands on the same data folder through its control socket
// (control.h), so a responder can ack from another terminal while it runs.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <ostream>
#include <sstream>

#include "commands.h"
#include "contacts.h"
#include "control.h"
#include "listen.h"

namespace tocsin::cli {

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string Clock(std::uint64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[16];
  std::strftime(text, sizeof(text), "%H:%M:%S", &local);
  return text;
}

const char* KindName(EventKind kind) {
  switch (kind) {
    case EventKind::kMessage:
      return "message";
    case EventKind::kContactRequest:
      return "contact_request";
    case EventKind::kUndelivered:
      return "undelivered";
    case EventKind::kIdentityChangeRefused:
      return "identity_change_refused";
    case EventKind::kGroupInvite:
      return "group_invite";
    case EventKind::kRelayState:
      return "relay_state";
  }
  return "unknown";
}

const char* LinkStateName(LinkState state) {
  switch (state) {
    case LinkState::kConnecting:
      return "connecting";
    case LinkState::kConnected:
      return "connected";
    case LinkState::kFailing:
      return "not reachable";
  }
  return "?";
}

// One line per event: a newline in a name or a text (shown as "⏎") cannot print a line
// that looks like another event.
std::string EventText(Client& client, const Event& event, const std::string& received_name) {
  const std::string name = OneLine(received_name);
  switch (event.kind) {
    case EventKind::kMessage:
      return name + ": " + OneLine(event.text.value_or("(a message this version cannot show)"));
    case EventKind::kContactRequest:
      return name + " wrote to you for the first time (new contact, unverified)";
    case EventKind::kUndelivered:
      return "NOT DELIVERED to " + name + " before it expired (message " + event.message_id + ")";
    case EventKind::kIdentityChangeRefused:
      return name + " has a NEW identity key: compare safety numbers (`tocsin contact verify`)";
    case EventKind::kGroupInvite:
      return name + " invites you to a group";
    case EventKind::kRelayState:
      return "relay " + event.relay + " " + LinkStateName(event.link_state) +
             (event.error.ok() ? "" : ": " + event.error.message());
  }
  (void)client;
  return "";
}

void OnClientEvent(Device& device, ListenOutput& output, const Event& event) {
  Client& client = *device.client;
  const bool relay = event.kind == EventKind::kRelayState;
  const std::string name = relay ? "" : ContactName(client, event.contact);
  Json json;
  json.Set("type", KindName(event.kind)).Set("time_ms", event.time_ms);
  if (!relay) json.Set("contact", event.contact).Set("from", name);
  if (!event.group.empty()) json.Set("group", event.group);
  if (!event.message_id.empty()) json.Set("message_id", event.message_id);
  if (event.text) json.Set("text", *event.text);
  if (relay) json.Set("relay", event.relay).Set("state", LinkStateName(event.link_state));
  std::string text =
      output.colours().Paint(Clock(event.time_ms), kDim) + " " + EventText(client, event, name);
  const bool message = event.kind == EventKind::kMessage;
  output.Emit(json, text, /*ring=*/message, /*counts=*/message, /*hook=*/message);
  if (event.id != 0) (void)client.Done(event.id);
}

int ServeForwarded(Device& device, const std::vector<std::string>& args, const std::string& input,
                   std::string* out, std::string* err) {
  std::istringstream in(input);
  std::ostringstream out_stream, err_stream;
  const int code = RunCommandLine(args, in, out_stream, err_stream, &device);
  *out = out_stream.str();
  *err = err_stream.str();
  return code;
}

bool Finished(const ListenOutput& output, std::chrono::steady_clock::time_point deadline) {
  const ListenOptions& options = output.options();
  if (g_stop) return true;
  if (options.count > 0 && output.shown() >= options.count) return true;
  return options.timeout_seconds > 0 && std::chrono::steady_clock::now() >= deadline;
}

void Loop(Device& device, ListenOutput& output) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(output.options().timeout_seconds);
  RawKeys keys;
  const bool use_keys = output.options().keys && keys.active();
  while (!Finished(output, deadline)) {
    std::optional<char> key = use_keys ? keys.Next(200) : std::nullopt;
    if (!use_keys) keys.Next(200);
    if (!key) continue;
    if (*key == 'q') break;
    HandleAlertKey(device, *key, output);
  }
}

int RunListen(Session& session, ListenOptions options) {
  Result<Device*> opened = session.Open();
  if (!opened.ok()) return session.Fail(opened.status());
  Device& device = **opened;
  ControlServer server;
  Status started =
      server.Start(ControlSocketPath(session.data_dir()),
                   [&device](const auto& args, const auto& input, auto* out, auto* err) {
                     return ServeForwarded(device, args, input, out, err);
                   });
  if (!started.ok()) return session.Fail(started);
  InstallSignalHandlers();
  options.colour = !options.json && IsTerminal(1);
  options.keys = !options.json && IsTerminal(0);
  ListenOutput output(session.out(), options);
  device.client->SetEventHandler(
      [&device, &output](const Event& event) { OnClientEvent(device, output, event); });
  if (Status alerts = StartAlertEvents(device, output); !alerts.ok()) {
    device.client->SetEventHandler(nullptr);
    return session.Fail(alerts);
  }
  output.Note("Listening as " + device.client->IdentityKey().substr(0, 16) +
              "... (Ctrl-C or q to stop)" + AlertKeyHelp());
  Loop(device, output);
  StopAlertEvents(device);
  device.client->SetEventHandler(nullptr);
  server.Stop();
  return kExitOk;
}

}  // namespace

ListenOutput::ListenOutput(std::ostream& out, ListenOptions options)
    : out_(out), options_(std::move(options)) {
  colours_.enabled = options_.colour;
}

void ListenOutput::Emit(const Json& json, const std::string& text, bool ring, bool counts,
                        bool hook) {
  const std::string line = json.ToString();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (options_.json) {
      out_ << line << "\n" << std::flush;
    } else {
      out_ << (ring && options_.bell ? kBellMarker : "") << text << "\n" << std::flush;
    }
    if (hook && !options_.exec.empty()) RunHook(line);
  }
  if (counts) ++shown_;
}

void ListenOutput::Note(const std::string& text) {
  if (options_.json) return;
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << colours_.Paint(text, kDim) << "\n" << std::flush;
}

// The hook runs through the shell, like a user's command line; the alert's JSON is its
// standard input. It inherits standard output and error only: no descriptor of the
// device (relay connections, store files, a --passphrase-fd). Listening does not wait
// for it: a slow hook holds up no event. Hooks that ended are reaped at the next one,
// and a failure is reported on standard error; listening goes on.
void ListenOutput::RunHook(const std::string& json_line) {
  ReapHooks();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::cerr << "tocsin: --exec could not start\n";
    return;
  }
  // Everything the child needs is made before fork: after it, only calls that are safe
  // in a child of a threaded process.
  std::string command = options_.exec;
  char sh[] = "sh";
  char dash_c[] = "-c";
  char* argv[] = {sh, dash_c, command.data(), nullptr};
  const long max_fd = ::sysconf(_SC_OPEN_MAX);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::dup2(fds[0], STDIN_FILENO) < 0) ::_exit(127);
    if (::close_range(3, ~0U, 0) != 0) {
      for (long fd = 3; fd < max_fd; ++fd) ::close(static_cast<int>(fd));
    }
    ::execve("/bin/sh", argv, environ);
    ::_exit(127);
  }
  ::close(fds[0]);
  if (pid < 0) {
    ::close(fds[1]);
    std::cerr << "tocsin: --exec could not start\n";
    return;
  }
  const std::string input = json_line + "\n";
  for (std::size_t written = 0; written < input.size();) {
    const ssize_t n = ::write(fds[1], input.data() + written, input.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the hook does not read its input (SIGPIPE is ignored)
    written += static_cast<std::size_t>(n);
  }
  ::close(fds[1]);
}

void ListenOutput::ReapHooks() {
  int status = 0;
  for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
    if (status != 0) std::cerr << "tocsin: --exec exited with " << status << "\n";
  }
}

void AddListenCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* cmd = app.add_subcommand(
      "listen", "Keep the device open and print alerts and messages as they arrive");
  auto options = std::make_shared<ListenOptions>();
  cmd->add_option("--exec", options->exec,
                  "Run this shell command for each alert/message, its JSON on stdin");
  auto no_bell = std::make_shared<bool>(false);
  cmd->add_flag("--no-bell", *no_bell, "Do not ring the terminal bell");
  cmd->add_option("--count", options->count, "Stop after this many alerts/messages");
  cmd->add_option("--timeout", options->timeout_seconds, "Stop after this many seconds");
  cmd->callback([&invocation, options, no_bell] {
    invocation.action.forwardable = false;
    invocation.action.run = [options, no_bell](Session& s) {
      ListenOptions chosen = *options;
      chosen.bell = !*no_bell;
      chosen.json = s.json();
      return RunListen(s, chosen);
    };
  });
}

}  // namespace tocsin::cli
