#include "store_test_util.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

namespace tocsin::relay::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tocsin-store-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

StoreOptions TestOptions(std::shared_ptr<TestClock> clock, std::uint64_t seed) {
  StoreOptions options;
  options.sweep_interval_ms = 0;
  options.now_ms = [clock] { return clock->now.load(); };
  auto rng = std::make_shared<std::mt19937_64>(seed);
  options.random = [rng](std::span<std::uint8_t> out) {  // writer thread only
    for (std::uint8_t& b : out) b = static_cast<std::uint8_t>((*rng)());
  };
  return options;
}

Token RandomToken(std::mt19937_64& rng) {
  Token token{};
  for (std::uint8_t& b : token) b = static_cast<std::uint8_t>(rng());
  return token;
}

AuthKey TestAuthKey(std::uint8_t fill) {
  AuthKey key{};
  key.fill(fill);
  return key;
}

std::string View(std::uint8_t fill) { return std::string(48, static_cast<char>(fill)); }

StoreFixture::StoreFixture(Backend backend, StoreOptions options)
    : options_(std::move(options)), backend_(backend), db_dir_(temp_.Sub("db")) {
  const StoreOptions defaults = TestOptions(clock_);
  if (!options_.now_ms) options_.now_ms = defaults.now_ms;
  if (!options_.random) options_.random = defaults.random;
  Open();
}

StoreFixture::~StoreFixture() { Close(); }

void StoreFixture::Open() {
  if (!base_) {
    if (backend_ == Backend::kMemory) {
      base_ = NewMemoryKv();
    } else {
      auto kv = OpenRocksKv(db_dir_);
      REQUIRE(kv.ok());
      base_ = std::move(kv).value();
    }
    faults_ = std::make_shared<FaultInjector>(base_);
  }
  auto store = MailboxStore::OpenOn(faults_->NewStore(), options_);
  REQUIRE(store.ok());
  store_ = std::move(store).value();
}

void StoreFixture::Close() {
  if (store_) store_->Close();
  store_.reset();
}

void StoreFixture::Reopen() {
  Close();
  if (backend_ == Backend::kRocks) {
    faults_.reset();
    base_.reset();
  }
  Open();
}

std::string StoreFixture::NewInvite(std::uint32_t uses, std::uint64_t expires_at_ms) {
  auto invite = Await<std::string>(
      [&](auto done) { store_->CreateInvite(uses, expires_at_ms, std::move(done)); });
  REQUIRE(invite.ok());
  return *invite;
}

MailboxId StoreFixture::NewMailbox() {
  const std::string invite = NewInvite();
  auto id = Await<MailboxId>(
      [&](auto done) { store_->CreateMailbox(invite, TestAuthKey(), std::move(done)); });
  REQUIRE(id.ok());
  return *id;
}

Token StoreFixture::AddToken(const MailboxId& mailbox, TokenClass c, std::uint32_t ttl_seconds) {
  const Token token = RandomToken(rng);
  auto n = Await<std::uint32_t>([&](auto done) {
    store_->SetTokens(mailbox, {TokenEntry{c, HashToken(token), ttl_seconds}}, std::move(done));
  });
  REQUIRE(n.ok());
  return token;
}

Result<std::uint64_t> StoreFixture::Send(const MailboxId& mailbox, const Token& token,
                                         std::string envelope, std::uint32_t ttl_seconds) {
  return Await<std::uint64_t>([&](auto done) {
    store_->Append(mailbox, token, std::move(envelope), ttl_seconds, std::move(done));
  });
}

Result<BlobHandle> StoreFixture::PutBlob(std::string blob, std::uint32_t ttl_seconds) {
  return Await<BlobHandle>(
      [&](auto done) { store_->PutBlob(std::move(blob), ttl_seconds, std::move(done)); });
}

Result<std::vector<Code>> StoreFixture::SendViews(const BlobHandle& handle,
                                                  std::vector<ViewRequest> views) {
  return Await<std::vector<Code>>(
      [&](auto done) { store_->AppendViews(handle, std::move(views), std::move(done)); });
}

Result<std::uint32_t> StoreFixture::Ack(const MailboxId& mailbox, std::vector<std::uint64_t> seqs) {
  return Await<std::uint32_t>(
      [&](auto done) { store_->Ack(mailbox, std::move(seqs), std::move(done)); });
}

std::vector<QueuedEntry> StoreFixture::Queue(const MailboxId& mailbox, std::uint64_t after) {
  std::vector<QueuedEntry> out;
  const Status s = store_->ReadQueue(mailbox, after, 1u << 20, &out);
  REQUIRE(s.ok());
  return out;
}

std::uint64_t StoreFixture::Sweep() {
  auto n = Await<std::uint64_t>([&](auto done) { store_->SweepExpired(std::move(done)); });
  REQUIRE(n.ok());
  return *n;
}

void StoreFixture::ExpectClean() {
  auto report = store_->Check();
  REQUIRE(report.ok());
  INFO("problems: " << (report->problems.empty() ? "" : report->problems.front()));
  CHECK(report->ok());
}

}  // namespace tocsin::relay::test
