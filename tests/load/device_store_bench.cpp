// tocsin_device_store_bench: what the encrypted device store costs, as medians of several runs
// on real RocksDB in a temporary folder. Prints a Markdown table for docs/PERFORMANCE.md.
//
//   tocsin_device_store_bench [runs]     (default 5)
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "store_test_util.h"

namespace {

using namespace tocsin::store;
using namespace tocsin::store::testing;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The median of `runs` timings of `body` (each given a fresh store folder).
double Median(int runs, const std::function<double(const TempDir&)>& body) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    TempDir dir;
    times.push_back(body(dir));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double TimeOpen(const TempDir& dir, KdfOptions kdf) {
  StoreOptions options;
  options.kdf = kdf;
  { auto created = DeviceStore::Create(dir.store(), Secret("bench"), options); }
  const auto start = Clock::now();
  auto store = DeviceStore::Open(dir.store(), Secret("bench"), options);
  const double seconds = Seconds(Clock::now() - start);
  if (!store.ok()) std::abort();
  return seconds;
}

std::string Value(std::size_t size) { return std::string(size, 'v'); }

// A receive: session record, alert content and seen id in one synced commit.
double TimeReceives(const TempDir& dir, int count) {
  auto store = CreateStore(dir.store());
  const std::string session = Value(1500), alert = Value(1024);
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    Transaction txn = store->Begin();
    (void)txn.Put(Column::kSessions, AsByteView("alice.1"), AsByteView(session));
    (void)txn.AppendAlert(19800, AsByteView(alert));
    (void)txn.Put(Column::kSeenIds, AsByteView("alice|" + std::to_string(i)), {});
    if (!txn.Commit().ok()) std::abort();
  }
  return Seconds(Clock::now() - start) / count;
}

std::unique_ptr<DeviceStore> Filled(const TempDir& dir, int rows) {
  auto store = CreateStore(dir.store());
  Transaction txn = store->Begin();
  for (int i = 0; i < rows; ++i) {
    (void)txn.Put(Column::kContacts, AsByteView("contact " + std::to_string(i)),
                  AsByteView(Value(512)));
  }
  if (!txn.Commit().ok()) std::abort();
  return store;
}

double TimeReads(const TempDir& dir, int rows) {
  auto store = Filled(dir, rows);
  const auto start = Clock::now();
  for (int i = 0; i < rows; ++i) {
    if (!store->Get(Column::kContacts, AsByteView("contact " + std::to_string(i))).ok()) {
      std::abort();
    }
  }
  return Seconds(Clock::now() - start) / rows;
}

double TimeScan(const TempDir& dir, int rows) {
  auto store = Filled(dir, rows);
  const auto start = Clock::now();
  int seen = 0;
  for (auto c = store->NewCursor(Column::kContacts); c->Valid(); c->Next()) ++seen;
  const double seconds = Seconds(Clock::now() - start);
  if (seen != rows) std::abort();
  return seconds;
}

double TimeRekey(const TempDir& dir, int rows) {
  auto store = Filled(dir, rows);
  const auto start = Clock::now();
  if (!store->ChangePassphrase(Secret("correct horse"), Secret("new"), kTestKdfOptions).ok()) {
    std::abort();
  }
  return Seconds(Clock::now() - start);
}

double TimePurge(const TempDir& dir, int alerts) {
  auto store = Filled(dir, 1000);
  Transaction txn = store->Begin();
  for (int i = 0; i < alerts; ++i) (void)txn.AppendAlert(19800 + i % 2, AsByteView(Value(1024)));
  if (!txn.Commit().ok()) std::abort();
  const auto start = Clock::now();
  if (!store->PurgeDay(19800).ok()) std::abort();
  return Seconds(Clock::now() - start);
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  std::printf("| operation (median of %d runs) | time |\n|---|---|\n", runs);
  auto row = [](const char* what, double seconds, const char* unit, double scale) {
    std::printf("| %s | %.2f %s |\n", what, seconds * scale, unit);
  };
  row("open, Argon2id MIN", Median(runs, [](auto& d) { return TimeOpen(d, kTestKdfOptions); }),
      "ms", 1e3);
  row("open, Argon2id INTERACTIVE (64 MiB)", Median(runs, [](auto& d) { return TimeOpen(d, {}); }),
      "ms", 1e3);
  row("open, Argon2id MODERATE (256 MiB)",
      Median(
          runs,
          [](auto& d) {
            return TimeOpen(d, {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE});
          }),
      "ms", 1e3);
  row("receive commit (session + alert + seen id, synced)",
      Median(runs, [](auto& d) { return TimeReceives(d, 200); }), "us", 1e6);
  row("get, 512-byte value, 10,000 rows", Median(runs, [](auto& d) { return TimeReads(d, 10000); }),
      "us", 1e6);
  row("scan 10,000 rows", Median(runs, [](auto& d) { return TimeScan(d, 10000); }), "ms", 1e3);
  row("change passphrase, 10,000 rows (MIN KDF)",
      Median(runs, [](auto& d) { return TimeRekey(d, 10000); }), "ms", 1e3);
  row("purge a day of 500 alerts (1,000 other rows)",
      Median(runs, [](auto& d) { return TimePurge(d, 1000); }), "ms", 1e3);
  return 0;
}
