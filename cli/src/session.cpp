#include "session.h"

#include <cstdlib>
#include <istream>
#include <ostream>

#include "passphrase_source.h"

namespace tocsin::cli {

int ExitCodeFor(const Status& status, bool opening) {
  switch (status.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
    case Code::kBadFrame:
    case Code::kCryptoFailure:
    case Code::kTooLarge:
      return kExitUsage;
    case Code::kUnauthorized:
      // Unlocking the device or joining a relay: the passphrase or the invite. After
      // that: the tree (or a relay) does not let this device do it.
      return opening ? kExitAuth : kExitRefused;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kUnavailable:
    case Code::kIoError:
      return kExitNetwork;
    case Code::kUntrustedIdentity:
    case Code::kQuotaExceeded:
    case Code::kRateLimited:
    case Code::kExpired:
    case Code::kWrongConnectionKind:
    case Code::kUnsupportedVersion:
    case Code::kDuplicate:
      return kExitRefused;
    default:
      return kExitInternal;
  }
}

std::filesystem::path ResolveDataDir(const std::string& option) {
  if (!option.empty()) return std::filesystem::absolute(option);
  if (const char* home = std::getenv("TOCSIN_HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::absolute(home);
  }
  const char* user_home = std::getenv("HOME");
  return std::filesystem::path(user_home != nullptr ? user_home : ".") / ".local/share/tocsin";
}

std::filesystem::path DeviceDir(const std::filesystem::path& data_dir) {
  return data_dir / "device";
}

std::filesystem::path ControlSocketPath(const std::filesystem::path& data_dir) {
  return data_dir / "control.sock";
}

Result<std::unique_ptr<Device>> OpenDevice(const GlobalOptions& options,
                                           const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(DeviceDir(data_dir), ec)) {
    return Status::NotFound("no device in " + data_dir.string() + " (run `tocsin init`)");
  }
  Result<Settings> settings = LoadSettings(data_dir);
  if (!settings.ok()) return settings.status();
  Result<Passphrase> passphrase = ReadPassphrase(options);
  if (!passphrase.ok()) return passphrase.status().Annotate("passphrase");
  Result<std::unique_ptr<Client>> client = Client::Open(DeviceDir(data_dir), *passphrase);
  if (!client.ok()) {
    const Status& s = client.status();
    if (s.code() == Code::kUnauthorized) return Status::Unauthorized("wrong passphrase");
    if (s.code() == Code::kUnavailable) {
      return Status::Unavailable("the device is open in another process: " + s.message());
    }
    return s;
  }
  auto device = std::make_unique<Device>();
  device->client = std::move(client).value();
  device->settings = std::move(settings).value();
  if (Status attached = AttachAlerts(*device); !attached.ok()) {
    return attached.Annotate("alert trees");
  }
  return device;
}

Session::Session(GlobalOptions options, std::istream& in, std::ostream& out, std::ostream& err,
                 Device* lent)
    : options_(std::move(options)),
      data_dir_(ResolveDataDir(options_.data_dir)),
      in_(in),
      out_(out),
      err_(err),
      lent_(lent) {}

Session::~Session() = default;

Result<Device*> Session::Open() {
  if (lent_ != nullptr) return lent_;
  if (owned_ == nullptr) {
    Result<std::unique_ptr<Device>> device = OpenDevice(options_, data_dir_);
    if (!device.ok()) {
      opening_failed_ = true;
      return device.status();
    }
    owned_ = std::move(device).value();
  }
  return owned_.get();
}

int Session::Fail(const Status& status, const std::string& context) {
  return Report(status, context, ExitCodeFor(status, opening_failed_));
}

int Session::FailOpening(const Status& status, const std::string& context) {
  return Report(status, context, ExitCodeFor(status, /*opening=*/true));
}

int Session::Report(const Status& status, const std::string& context, int code) {
  std::string message =
      status.message().empty() ? std::string(CodeName(status.code())) : status.message();
  if (!context.empty()) message = context + ": " + message;
  if (options_.json) {
    Json error;
    error.Set("error", message).Set("code", std::string(CodeName(status.code())));
    error.Set("exit_code", code);
    out_ << error.ToString() << "\n";
  }
  err_ << "tocsin: " << message << "\n";
  return code;
}

int Session::Fail(int exit_code, const std::string& message) {
  if (options_.json) {
    Json error;
    error.Set("error", message).Set("exit_code", exit_code);
    out_ << error.ToString() << "\n";
  }
  err_ << "tocsin: " << message << "\n";
  return exit_code;
}

int Session::Done(const Json& json, const std::string& text) {
  if (options_.json) {
    out_ << json.ToString() << "\n";
  } else if (!text.empty()) {
    out_ << text;
    if (text.back() != '\n') out_ << "\n";
  }
  return kExitOk;
}

}  // namespace tocsin::cli
