// A relay whose disk fills up: its store lives on a small tmpfs (mounted for the test,
// which needs root or CAP_SYS_ADMIN, as CI has), a ballast file takes the space, and
// senders keep sending. Sends must be refused with a typed error, nothing already
// stored may be damaged, and the relay must take sends again once space comes back,
// without a restart.
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "server_test_util.h"

namespace tocsin::testing {
namespace {

constexpr std::uint64_t kFilesystemBytes = 48ull << 20;

// A size-limited tmpfs mounted on `path` for the life of the object.
class SmallFilesystem {
 public:
  explicit SmallFilesystem(std::filesystem::path path) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    const std::string options = "size=" + std::to_string(kFilesystemBytes) + ",mode=0700";
    if (::mount("tocsin-test", path_.c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~SmallFilesystem() { Unmount(); }
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  void Unmount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    mounted_ = false;
  }
  std::uint64_t FreeBytes() const {
    struct statvfs s {};
    ::statvfs(path_.c_str(), &s);
    return static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize;
  }
  // Takes all but `leave` bytes of the free space with a file.
  void Fill(std::uint64_t leave) {
    std::ofstream out(path_ / "ballast", std::ios::binary | std::ios::app);
    const std::string chunk(64 << 10, 'b');
    while (FreeBytes() > leave + chunk.size()) out.write(chunk.data(), chunk.size());
    out.flush();
  }
  void Drain() { std::filesystem::remove(path_ / "ballast"); }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
  std::string error_;
};

ConfigOverrides Roomy(std::uint64_t min_free_disk_bytes) {
  return {{"limits.min_free_disk_bytes", std::to_string(min_free_disk_bytes)},
          {"tokens.contact.max_queued_messages", "0"},
          {"tokens.contact.max_queued_bytes", "0"},
          {"rate_limits.connection_requests_per_second", "100000"},
          {"rate_limits.connection_burst", "100000"},
          {"rate_limits.token_envelopes_per_second", "100000"},
          {"rate_limits.token_burst", "100000"},
          {"rate_limits.mailbox_total_envelopes_per_second", "100000"},
          {"rate_limits.mailbox_total_burst", "100000"}};
}

// Sends `envelope`s until one is refused; returns the refusal, and counts the stored ones.
Status SendUntilRefused(TestClient& sender, const Owner& owner, int* stored, int limit) {
  const std::string envelope(32 << 10, 'e');
  for (int i = 0; i < limit; ++i) {
    Status s = sender.Send(owner.mailbox, owner.token, envelope + std::to_string(*stored));
    if (!s.ok()) return s;
    ++*stored;
  }
  return Status::Ok();
}

// Receives and acks everything queued; returns how many came.
int DrainMailbox(const RelayProcess& relay, const Owner& owner) {
  auto reader = Connect(relay, wire::OWNER);
  REQUIRE(reader->Authenticate(owner.mailbox, owner.key).ok());
  REQUIRE(reader->Subscribe(owner.mailbox, 256).ok());
  int count = 0;
  std::vector<std::uint64_t> seqs;
  while (!reader->NoDeliveryWithin(std::chrono::milliseconds(500))) {
    auto delivery = reader->NextDelivery();
    REQUIRE(delivery.ok());
    seqs.push_back(delivery->seq());
    ++count;
    if (seqs.size() == 64) {
      REQUIRE(reader->Ack(owner.mailbox, seqs).ok());
      seqs.clear();
    }
  }
  if (!seqs.empty()) REQUIRE(reader->Ack(owner.mailbox, seqs).ok());
  return count;
}

double Metric(const RelayProcess& relay, const std::string& name) {
  const double value =
      MetricValue(HttpGet(relay.metrics_port(), "/metrics"), "tocsin_relay_" + name);
  INFO(name);
  REQUIRE(value >= 0);
  return value;
}

// What the refusal was: the reserve (nothing failed underneath) or a failed write of
// the store itself, reopened once space came back.
enum class Refusal { kReserve, kFailedWrite };

// Fills the disk to `leave` free bytes while a sender sends; then frees it.
void FillRefuseRecover(std::uint64_t min_free_disk_bytes, std::uint64_t leave, Refusal how) {
  RelayProcess relay(Roomy(min_free_disk_bytes));
  REQUIRE(relay.init_status().ok());
  SmallFilesystem disk(std::filesystem::path(relay.data_dir()) / "store");
  INFO("mounting a tmpfs needs root or CAP_SYS_ADMIN: " << disk.error());
  REQUIRE(disk.mounted());
  REQUIRE(relay.Start().ok());

  Owner owner = NewOwner(relay);
  auto sender = Connect(relay, wire::SEND);
  int stored = 0;
  REQUIRE(SendUntilRefused(*sender, owner, &stored, 20).ok());

  disk.Fill(leave);
  const Status refused = SendUntilRefused(*sender, owner, &stored, 4000);
  INFO(refused.ToString());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Code::kUnavailable);
  // The refusal holds while the disk is full, and the relay keeps serving.
  CHECK(sender->Send(owner.mailbox, owner.token, "still full").code() == Code::kUnavailable);
  CHECK(sender->Ping().ok());
  if (how == Refusal::kReserve) {
    CHECK(Metric(relay, "disk_full_refusals_total") >= 2);
    CHECK(Metric(relay, "commit_failures_total") == 0);
    CHECK(Metric(relay, "store_writable") == 1);
  } else {
    CHECK(Metric(relay, "commit_failures_total") >= 1);
    CHECK(Metric(relay, "store_writable") == 0);
  }

  disk.Drain();
  Status resumed = Status::Unavailable("not tried");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!resumed.ok() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    resumed = sender->Send(owner.mailbox, owner.token, "after space came back");
  }
  INFO("after the ballast went: " << resumed.ToString());
  const std::string log = resumed.ok() ? "" : relay.Log();
  INFO("the relay's log:\n" << log);
  REQUIRE(resumed.ok());
  ++stored;
  CHECK(Metric(relay, "store_writable") == 1);
  CHECK(Metric(relay, "store_recoveries_total") == (how == Refusal::kReserve ? 0 : 1));
  // Everything answered Stored is there, once.
  CHECK(DrainMailbox(relay, owner) == stored);

  // And the store is whole across a restart.
  REQUIRE(relay.Terminate() == 0);
  REQUIRE(relay.Start().ok());
  RequireCheckPasses(relay);
  REQUIRE(relay.Terminate() == 0);
  disk.Unmount();
}

TEST_CASE("a disk short of the free-space reserve refuses sends, and takes them when space returns",
          "[faults][relay][disk]") {
  FillRefuseRecover(/*min_free_disk_bytes=*/8u << 20, /*leave=*/4u << 20, Refusal::kReserve);
}

TEST_CASE("a disk that runs out under the store refuses sends, keeps what was stored, recovers",
          "[faults][relay][disk]") {
  // No reserve: RocksDB itself meets the full disk, fails a write, and takes no more
  // until the relay reopens it.
  FillRefuseRecover(/*min_free_disk_bytes=*/0, /*leave=*/1u << 20, Refusal::kFailedWrite);
}

}  // namespace
}  // namespace tocsin::testing
