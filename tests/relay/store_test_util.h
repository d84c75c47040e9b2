// Helpers for the store tests: a controllable clock, deterministic randomness, a
// temporary folder, synchronous wrappers around the store's callbacks and a fixture
// that opens a store (RocksDB in a temporary folder, or in memory).
#ifndef TOCSIN_TESTS_RELAY_STORE_TEST_UTIL_H_
#define TOCSIN_TESTS_RELAY_STORE_TEST_UTIL_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "store/kv_faults.h"
#include "store/kv_store.h"
#include "store/mailbox_store.h"

namespace tocsin::relay::test {

inline constexpr std::uint64_t kStartMs = 1'700'000'000'000;

struct TestClock {
  std::atomic<std::uint64_t> now{kStartMs};
  void Advance(std::uint64_t ms) { now += ms; }
};

// A folder under the system temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Options for tests: the clock, a seeded generator, no background sweeper.
StoreOptions TestOptions(std::shared_ptr<TestClock> clock, std::uint64_t seed = 1);

// Calls `start` with a callback and waits for its answer.
template <typename T, typename F>
Result<T> Await(F&& start) {
  std::promise<Result<T>> answer;
  auto future = answer.get_future();
  start([&answer](Result<T> r) { answer.set_value(std::move(r)); });
  return future.get();
}

template <typename F>
Status AwaitStatus(F&& start) {
  std::promise<Status> answer;
  auto future = answer.get_future();
  start([&answer](Status s) { answer.set_value(std::move(s)); });
  return future.get();
}

Token RandomToken(std::mt19937_64& rng);
AuthKey TestAuthKey(std::uint8_t fill = 7);
std::string View(std::uint8_t fill);  // 48 bytes

// A store plus the usual steps of a test.
class StoreFixture {
 public:
  enum class Backend { kRocks, kMemory };
  explicit StoreFixture(Backend backend = Backend::kRocks, StoreOptions options = {});
  ~StoreFixture();

  MailboxStore& store() { return *store_; }
  // Every write goes through it; it injects nothing until told to.
  FaultInjector& faults() { return *faults_; }
  KvStore& kv() { return *base_; }  // the data under the store, behind its back
  TestClock& clock() { return *clock_; }
  StoreOptions& options() { return options_; }
  const std::string& dir() const { return db_dir_; }

  // Closes and opens the same data again (RocksDB: the database is closed too).
  void Reopen();
  void Close();

  std::string NewInvite(std::uint32_t uses = 1, std::uint64_t expires_at_ms = 0);
  MailboxId NewMailbox();
  Token AddToken(const MailboxId& mailbox, TokenClass c, std::uint32_t ttl_seconds = 0);
  Result<std::uint64_t> Send(const MailboxId& mailbox, const Token& token, std::string envelope,
                             std::uint32_t ttl_seconds = 3600);
  Result<BlobHandle> PutBlob(std::string blob, std::uint32_t ttl_seconds = 3600);
  Result<std::vector<Code>> SendViews(const BlobHandle& handle, std::vector<ViewRequest> views);
  Result<std::uint32_t> Ack(const MailboxId& mailbox, std::vector<std::uint64_t> seqs);
  std::vector<QueuedEntry> Queue(const MailboxId& mailbox, std::uint64_t after = 0);
  std::uint64_t Sweep();
  // REQUIRES (checked): Check() answers and finds nothing wrong.
  void ExpectClean();

  std::mt19937_64 rng{42};

 private:
  void Open();

  std::shared_ptr<TestClock> clock_ = std::make_shared<TestClock>();
  StoreOptions options_;
  Backend backend_;
  TempDir temp_;
  std::string db_dir_;
  std::shared_ptr<KvStore> base_;
  std::shared_ptr<FaultInjector> faults_;
  std::unique_ptr<MailboxStore> store_;
};

}  // namespace tocsin::relay::test

#endif  // TOCSIN_TESTS_RELAY_STORE_TEST_UTIL_H_
