// Reading the `tocsin --json` output in tests: each line parsed by protobuf's JSON parser
// into a google.protobuf.Struct, and fields looked up by path ("info.texts").
#ifndef TOCSIN_TESTS_CLI_CLI_JSON_H_
#define TOCSIN_TESTS_CLI_CLI_JSON_H_

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace tocsin::testing {

using JsonObject = google::protobuf::Struct;

// One line of JSON as an object (REQUIREs that it parses).
inline JsonObject ParseObject(const std::string& line) {
  JsonObject object;
  INFO(line);
  REQUIRE(google::protobuf::util::JsonStringToMessage(line, &object).ok());
  return object;
}

// Every complete (newline-ended), non-empty line of `text`, each of which must be a JSON
// object. A last line still being written is left for the next read.
inline std::vector<JsonObject> JsonLines(const std::string& text) {
  std::vector<JsonObject> objects;
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos;
       start = end + 1, end = text.find('\n', start)) {
    if (end > start) objects.push_back(ParseObject(text.substr(start, end - start)));
  }
  return objects;
}

// The value at `path` (keys joined by '.'); nullptr when a key is missing.
inline const google::protobuf::Value* Field(const JsonObject& object, const std::string& path) {
  const JsonObject* at = &object;
  std::istringstream keys(path);
  const google::protobuf::Value* value = nullptr;
  for (std::string key; std::getline(keys, key, '.');) {
    if (at == nullptr) return nullptr;
    auto it = at->fields().find(key);
    if (it == at->fields().end()) return nullptr;
    value = &it->second;
    at = value->has_struct_value() ? &value->struct_value() : nullptr;
  }
  return value;
}

inline std::string Str(const JsonObject& object, const std::string& path) {
  const auto* value = Field(object, path);
  return value != nullptr && value->has_string_value() ? value->string_value() : "";
}

inline double Num(const JsonObject& object, const std::string& path) {
  const auto* value = Field(object, path);
  return value != nullptr && value->has_number_value() ? value->number_value() : -1;
}

inline bool Bool(const JsonObject& object, const std::string& path) {
  const auto* value = Field(object, path);
  return value != nullptr && value->has_bool_value() && value->bool_value();
}

// The list at `path` (empty when missing).
inline std::vector<google::protobuf::Value> List(const JsonObject& object,
                                                 const std::string& path) {
  const auto* value = Field(object, path);
  if (value == nullptr || !value->has_list_value()) return {};
  return {value->list_value().values().begin(), value->list_value().values().end()};
}

inline std::vector<std::string> Strings(const JsonObject& object, const std::string& path) {
  std::vector<std::string> out;
  for (const auto& value : List(object, path)) out.push_back(value.string_value());
  return out;
}

// The objects of `lines` whose "type" is `type` and that `match` accepts.
inline std::vector<JsonObject> Events(
    const std::string& text, const std::string& type,
    const std::function<bool(const JsonObject&)>& match = nullptr) {
  std::vector<JsonObject> out;
  for (auto& object : JsonLines(text)) {
    if (Str(object, "type") == type && (!match || match(object))) out.push_back(object);
  }
  return out;
}

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_CLI_CLI_JSON_H_
