// The developer's guide compiles: every C++ block of docs/client.md is found, line for
// line (indentation and blank lines aside), in client-lib/examples/guide.cpp, which the
// install test builds against the installed package with warnings as errors.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string Trim(const std::string& line) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return line.substr(first, line.find_last_not_of(" \t") - first + 1);
}

// The non-blank lines, trimmed, each ending with a newline.
std::string Normalized(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    const std::string trimmed = Trim(line);
    if (!trimmed.empty()) out += trimmed + "\n";
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = text.find('\n', at);
    lines.push_back(text.substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return lines;
}

// The ```cpp blocks of a Markdown text.
std::vector<std::vector<std::string>> CppBlocks(const std::string& markdown) {
  std::vector<std::vector<std::string>> blocks;
  bool inside = false;
  for (const auto& line : Lines(markdown)) {
    const std::string trimmed = Trim(line);
    if (!inside && trimmed == "```cpp") {
      inside = true;
      blocks.emplace_back();
    } else if (inside && trimmed == "```") {
      inside = false;
    } else if (inside) {
      blocks.back().push_back(line);
    }
  }
  REQUIRE_FALSE(inside);
  return blocks;
}

TEST_CASE("every C++ block of the client guide is in the compiled snippets", "[docs]") {
  const auto blocks = CppBlocks(Read(TOCSIN_SOURCE_DIR "/docs/client.md"));
  REQUIRE(blocks.size() >= 6);
  const std::string compiled =
      Normalized(Lines(Read(TOCSIN_SOURCE_DIR "/client-lib/examples/guide.cpp")));
  for (const auto& block : blocks) {
    const std::string snippet = Normalized(block);
    INFO(snippet);
    CHECK(compiled.find(snippet) != std::string::npos);
  }
}

TEST_CASE("the block finder sees blocks and their lines", "[docs]") {
  const auto blocks = CppBlocks("text\n```cpp\n  a();\n\n  b();\n```\n```sh\nls\n```\n");
  REQUIRE(blocks.size() == 1);
  CHECK(Normalized(blocks[0]) == "a();\nb();\n");
  // A changed line is not found.
  CHECK(std::string("a();\nb();\nc();\n").find(Normalized(blocks[0])) == 0);
  CHECK(std::string("a();\nc();\n").find(Normalized(blocks[0])) == std::string::npos);
}

}  // namespace
