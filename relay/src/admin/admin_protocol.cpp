#include "admin/admin_protocol.h"

#include <charconv>
#include <chrono>
#include <filesystem>
#include <future>
#include <sstream>
#include <vector>

#include "net/identity.h"
#include "tocsin/relay_address.h"

namespace tocsin::relay {
namespace {

namespace fs = std::filesystem;

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  while (!line.empty()) {
    const std::size_t space = line.find(' ');
    if (space != 0) words.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return words;
}

bool ParseUint(std::string_view text, std::uint64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::uint64_t NowMs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

Result<std::string> Invite(MailboxStore& store, std::uint64_t uses, std::uint64_t expires) {
  if (uses == 0 || uses > UINT32_MAX) return Status::InvalidArgument("uses must be 1 or more");
  std::promise<Result<std::string>> done;
  store.CreateInvite(static_cast<std::uint32_t>(uses), expires,
                     [&done](Result<std::string> r) { done.set_value(std::move(r)); });
  Result<std::string> invite = done.get_future().get();
  if (!invite.ok()) return invite.status();
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(invite->data());
  return Base32Encode({bytes, invite->size()}) + "\n";
}

Result<std::string> Stats(const MailboxStore& store) {
  Result<StoreStats> stats = store.Stats();
  if (!stats.ok()) return stats.status();
  const StoreStats& s = *stats;
  std::ostringstream out;
  out << "mailboxes: " << s.mailboxes << "\nqueued envelopes: " << s.queued_entries
      << "\nqueued bytes: " << s.queued_bytes << "\nblobs: " << s.blobs
      << "\nblob bytes: " << s.blob_bytes << "\none-time pre-keys: " << s.one_time_prekeys
      << "\ninvites: " << s.invites << "\noldest entry age seconds: "
      << (s.oldest_entry_ms == 0 || s.oldest_entry_ms > NowMs()
              ? 0
              : (NowMs() - s.oldest_entry_ms) / 1000)
      << "\nstore memtable bytes: " << s.memory.memtables
      << "\nstore block cache bytes: " << s.memory.block_cache
      << "\nstore table reader bytes: " << s.memory.table_readers << "\n";
  return out.str();
}

Result<std::string> Check(const MailboxStore& store) {
  Result<CheckReport> report = store.Check();
  if (!report.ok()) return report.status();
  std::string out = "entries checked: " + std::to_string(report->entries_checked) + "\n";
  for (const std::string& p : report->problems) out += "problem: " + p + "\n";
  if (!report->ok()) {
    return Status::Corruption(out + "check failed: " + std::to_string(report->problems.size()) +
                              " problem(s)");
  }
  return out + "check passed\n";
}

Result<std::string> Backup(const MailboxStore& store, const Config& config,
                           const std::string& dir) {
  if (!fs::path(dir).is_absolute())
    return Status::InvalidArgument("backup folder must be absolute");
  std::error_code ec;
  if (fs::exists(dir, ec)) return Status::InvalidArgument(dir + " already exists");
  if (!fs::create_directories(dir, ec)) return Status::IoError("cannot create " + dir);
  fs::permissions(dir, fs::perms::owner_all, ec);
  TOCSIN_RETURN_IF_ERROR(store.Checkpoint((fs::path(dir) / "store").string()));
  TOCSIN_RETURN_IF_ERROR(CopyIdentityFiles(config, dir));
  return "backup written to " + dir + "\n";
}

}  // namespace

Status CopyIdentityFiles(const Config& config, const std::string& dir) {
  for (const char* name : {kKeyFile, kCertFile, "relay.toml"}) {
    const fs::path from = fs::path(config.data_dir) / name;
    std::error_code ec;
    if (!fs::exists(from, ec)) continue;
    fs::copy_file(from, fs::path(dir) / name, ec);
    if (ec) return Status::IoError("cannot copy " + from.string() + ": " + ec.message());
  }
  return Status::Ok();
}

Result<std::string> RunAdminCommand(MailboxStore& store, const Config& config,
                                    std::string_view line) {
  const std::vector<std::string_view> w = SplitWords(line);
  if (w.empty()) return Status::InvalidArgument("empty command");
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (w[0] == "invite" && w.size() == 3 && ParseUint(w[1], &a) && ParseUint(w[2], &b)) {
    return Invite(store, a, b);
  }
  if (w[0] == "stats" && w.size() == 1) return Stats(store);
  if (w[0] == "check" && w.size() == 1) return Check(store);
  if (w[0] == "backup" && w.size() >= 2) {
    // The folder is the rest of the line, spaces and all.
    return Backup(store, config,
                  std::string(line.substr(static_cast<std::size_t>(w[1].data() - line.data()))));
  }
  return Status::InvalidArgument("unknown admin command: " + std::string(w[0]));
}

std::string EncodeAdminReply(const Result<std::string>& result) {
  std::string reply;
  const std::string& text = result.ok() ? *result : result.status().message();
  std::string_view rest = text;
  if (!result.ok()) {
    // Errors travel on one line; earlier lines of a multi-line message are printed.
    const std::size_t last = rest.rfind('\n');
    if (last != std::string_view::npos) {
      std::string_view head = rest.substr(0, last + 1);
      rest.remove_prefix(last + 1);
      while (!head.empty()) {
        const std::size_t nl = head.find('\n');
        reply += "| " + std::string(head.substr(0, nl)) + "\n";
        head.remove_prefix(nl + 1);
      }
    }
    return reply + "error " + std::string(rest) + "\n";
  }
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    reply += "| " + std::string(rest.substr(0, nl)) + "\n";
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return reply + "ok\n";
}

Result<std::string> DecodeAdminReply(std::string_view reply) {
  std::string out;
  while (!reply.empty()) {
    const std::size_t nl = reply.find('\n');
    if (nl == std::string_view::npos) break;
    const std::string_view line = reply.substr(0, nl);
    reply.remove_prefix(nl + 1);
    if (line.rfind("| ", 0) == 0) {
      out += std::string(line.substr(2)) + "\n";
    } else if (line == "ok") {
      return out;
    } else if (line.rfind("error ", 0) == 0) {
      return Status::Unavailable(out + std::string(line.substr(6)));
    }
  }
  return Status::Unavailable("the relay's admin reply was cut short");
}

}  // namespace tocsin::relay
