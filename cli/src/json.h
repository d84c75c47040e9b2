// JSON output for `--json`, built on protobuf's well-known Struct type and its JSON
// printer (so escaping and number formatting are the library's, not ours).
//
// Thread-safety: values.
#ifndef TOCSIN_CLI_JSON_H_
#define TOCSIN_CLI_JSON_H_

#include <google/protobuf/struct.pb.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::cli {

class Json {
 public:
  Json() = default;

  Json& Set(const std::string& key, std::string_view value);
  Json& Set(const std::string& key, const char* value);
  Json& Set(const std::string& key, bool value);
  Json& Set(const std::string& key, std::int64_t value);
  Json& Set(const std::string& key, std::uint64_t value);
  Json& Set(const std::string& key, int value);
  Json& Set(const std::string& key, double value);
  Json& Set(const std::string& key, const Json& value);
  Json& Set(const std::string& key, const std::vector<Json>& values);
  Json& Set(const std::string& key, const std::vector<std::string>& values);
  Json& SetNull(const std::string& key);

  // One line of JSON.
  std::string ToString() const;
  const google::protobuf::Struct& value() const { return value_; }

 private:
  google::protobuf::Struct value_;
};

}  // namespace tocsin::cli

#endif  // TOCSIN_CLI_JSON_H_
