// Reads a test vector file of proto/vectors/ (SPEC.md section 10.6's block format):
// `# comments`, a `[section]` line opening a case, then `key = value` lines, hex unless
// the key ends in `_text` (ASCII text).
#ifndef TOCSIN_TESTS_COMMON_VECTOR_FILE_H_
#define TOCSIN_TESTS_COMMON_VECTOR_FILE_H_

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "test_bytes.h"

namespace tocsin::testing {

struct VectorBlock {
  std::string section;
  std::vector<std::pair<std::string, Bytes>> fields;

  // Throws when the block has no such field.
  const Bytes& Get(const std::string& key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return v;
    }
    throw std::out_of_range("no field " + key + " in [" + section + "]");
  }
  // Every value of a key that repeats in the block (recipient_private, view), in order.
  std::vector<Bytes> All(const std::string& key) const {
    std::vector<Bytes> out;
    for (const auto& [k, v] : fields) {
      if (k == key) out.push_back(v);
    }
    return out;
  }
  // The value's bytes in a std::string (protobuf's bytes fields, keys, nonces).
  std::string Raw(const std::string& key) const { return ToText(Get(key)); }
  // Throws unless the value is printable ASCII, as the file format promises.
  std::string Text(const std::string& key) const {
    const Bytes& bytes = Get(key);
    for (std::uint8_t b : bytes) {
      if (b < 0x20 || b > 0x7e) throw std::invalid_argument(key + " is not printable ASCII");
    }
    return ToText(bytes);
  }
};

// Every block of `path`, in order, optionally only those of `section`.
inline std::vector<VectorBlock> ReadVectorFile(const std::string& path,
                                               const std::string& section = "") {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<VectorBlock> blocks;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      blocks.push_back({line.substr(1, line.find(']') - 1), {}});
      continue;
    }
    const auto eq = line.find(" =");  // `key =` alone: an empty value
    if (eq == std::string::npos || blocks.empty()) throw std::runtime_error("bad line: " + line);
    const std::string key = line.substr(0, eq);
    const std::string value = line.size() > eq + 3 ? line.substr(eq + 3) : "";
    blocks.back().fields.emplace_back(key,
                                      key.ends_with("_text") ? ToBytes(value) : FromHex(value));
  }
  if (section.empty()) return blocks;
  std::vector<VectorBlock> selected;
  for (auto& block : blocks) {
    if (block.section == section) selected.push_back(std::move(block));
  }
  return selected;
}

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_COMMON_VECTOR_FILE_H_
