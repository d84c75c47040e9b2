// Test support for the device store: temporary folders, passphrases, raw access to the
// RocksDB files behind the store's back, and byte searches over every file.
#ifndef TOCSIN_TESTS_STORE_TEST_UTIL_H_
#define TOCSIN_TESTS_STORE_TEST_UTIL_H_

#include <rocksdb/db.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/secure_buffer.h"
#include "store/columns.h"
#include "store/device_store.h"
#include "store/plaintext.h"

namespace tocsin::store::testing {

// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tocsin-store-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path store() const { return path_ / "store"; }

 private:
  std::filesystem::path path_;
};

inline crypto::SecretBytes Secret(std::string_view text) {
  return crypto::SecretBytes::CopyOf(AsByteView(text));
}

inline std::string Text(const Plaintext& bytes) { return std::string(bytes.begin(), bytes.end()); }

inline StoreOptions TestOptions() {
  StoreOptions options;
  options.kdf = kTestKdfOptions;
  return options;
}

inline std::unique_ptr<DeviceStore> CreateStore(const std::filesystem::path& dir,
                                                std::string_view passphrase = "correct horse") {
  auto store = DeviceStore::Create(dir, Secret(passphrase), TestOptions());
  if (!store.ok()) return nullptr;
  return std::move(*store);
}

inline std::unique_ptr<DeviceStore> OpenStore(const std::filesystem::path& dir,
                                              std::string_view passphrase = "correct horse") {
  auto store = DeviceStore::Open(dir, Secret(passphrase), TestOptions());
  if (!store.ok()) return nullptr;
  return std::move(*store);
}

// The value of a row as text, "<absent>", or the error's code name.
inline std::string GetText(const DeviceStore& store, Column column, std::string_view name) {
  auto value = store.Get(column, AsByteView(name));
  if (!value.ok()) return "error:" + std::string(CodeName(value.status().code()));
  if (!value->has_value()) return "<absent>";
  return Text(**value);
}

// True when `needle` occurs in any file under `dir`.
inline bool FilesContain(const std::filesystem::path& dir, std::string_view needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()) != bytes.end()) {
      return true;
    }
  }
  return false;
}

// The store's files opened directly with RocksDB, as someone holding the folder would.
// REQUIRES: the store is closed, or `secondary` names a scratch folder outside the
// store's (then the files are read beside the open store, its WAL included, read-only).
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& dir, const std::filesystem::path& secondary = {}) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : AllFamilyNames()) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* db = nullptr;
    rocksdb::DBOptions options;
    if (secondary.empty()) {
      status_ = rocksdb::DB::Open(options, dir.string(), families, &handles_, &db);
    } else {
      options.max_open_files = -1;
      status_ = rocksdb::DB::OpenAsSecondary(options, dir.string(), secondary.string(), families,
                                             &handles_, &db);
    }
    db_.reset(db);
  }
  ~RawDb() {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    if (db_) db_->Close().PermitUncheckedError();
  }
  bool ok() const { return status_.ok(); }

  // Every row of a family, stored key -> stored value.
  std::map<std::string, std::string> Rows(std::uint8_t family) {
    std::map<std::string, std::string> rows;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[family]));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      rows[it->key().ToString()] = it->value().ToString();
    return rows;
  }
  std::map<std::string, std::string> Rows(Column column) { return Rows(FamilyOf(column)); }

  bool Put(std::uint8_t family, const std::string& key, const std::string& value) {
    rocksdb::WriteOptions options;
    options.sync = true;
    return db_->Put(options, handles_[family], key, value).ok();
  }
  bool Delete(std::uint8_t family, const std::string& key) {
    rocksdb::WriteOptions options;
    options.sync = true;
    return db_->Delete(options, handles_[family], key).ok();
  }
  bool Put(Column column, const std::string& key, const std::string& value) {
    return Put(FamilyOf(column), key, value);
  }

 private:
  rocksdb::Status status_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace tocsin::store::testing

#endif  // TOCSIN_TESTS_STORE_TEST_UTIL_H_
