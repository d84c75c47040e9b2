#include "json.h"

#include <google/protobuf/util/json_util.h>

namespace tocsin::cli {

namespace {

google::protobuf::Value& Field(google::protobuf::Struct& object, const std::string& key) {
  return (*object.mutable_fields())[key];
}

}  // namespace

Json& Json::Set(const std::string& key, std::string_view value) {
  Field(value_, key).set_string_value(std::string(value));
  return *this;
}

Json& Json::Set(const std::string& key, const char* value) {
  return Set(key, std::string_view(value));
}

Json& Json::Set(const std::string& key, bool value) {
  Field(value_, key).set_bool_value(value);
  return *this;
}

Json& Json::Set(const std::string& key, std::int64_t value) {
  Field(value_, key).set_number_value(static_cast<double>(value));
  return *this;
}

Json& Json::Set(const std::string& key, std::uint64_t value) {
  Field(value_, key).set_number_value(static_cast<double>(value));
  return *this;
}

Json& Json::Set(const std::string& key, int value) {
  return Set(key, static_cast<std::int64_t>(value));
}

Json& Json::Set(const std::string& key, double value) {
  Field(value_, key).set_number_value(value);
  return *this;
}

Json& Json::Set(const std::string& key, const Json& value) {
  *Field(value_, key).mutable_struct_value() = value.value_;
  return *this;
}

Json& Json::Set(const std::string& key, const std::vector<Json>& values) {
  auto* list = Field(value_, key).mutable_list_value();
  list->Clear();
  for (const Json& v : values) *list->add_values()->mutable_struct_value() = v.value_;
  return *this;
}

Json& Json::Set(const std::string& key, const std::vector<std::string>& values) {
  auto* list = Field(value_, key).mutable_list_value();
  list->Clear();
  for (const std::string& v : values) list->add_values()->set_string_value(v);
  return *this;
}

Json& Json::SetNull(const std::string& key) {
  Field(value_, key).set_null_value(google::protobuf::NULL_VALUE);
  return *this;
}

std::string Json::ToString() const {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(value_, &text, options).ok()) return "{}";
  return text;
}

}  // namespace tocsin::cli
