#include "workloads/yaml_document.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include <yaml-cpp/depthguard.h>  // YAML::DeepRecursion: yaml.h does not bring it

#include "workloads/scenario_error.hpp"
#include "workloads/scenario_limits.hpp"

namespace qlab::workloads {
namespace {

std::string place(const std::string& source_name, const YAML::Mark& mark) {
  return source_name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string too_deep(const std::string& source_name, const YAML::Mark& mark, const std::string& expected) {
  return place(source_name, mark) + ": nesting deeper than " + std::to_string(kMaxNesting) + " levels (expected " + expected + ")";
}

std::string not_utf8(const std::string& source_name, const YAML::Mark& mark, const std::string& expected) {
  return place(source_name, mark) + ": text that is not valid UTF-8 (expected " + expected + ")";
}

// Walks the tree without recursion; aliases are followed, so their expansion is what gets counted.
void check_shape(const YAML::Node& root, const std::string& source_name, const std::string& expected) {
  std::vector<std::pair<YAML::Node, int>> pending{{root, 0}};
  long values = 0;
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (++values > kMaxYamlValues) {
      throw ScenarioError(place(source_name, node.Mark()) + ": more than " + std::to_string(kMaxYamlValues) +
                          " values, counting each alias as often as it is used (expected " + expected + ")");
    }
    if (depth > kMaxNesting) throw ScenarioError(too_deep(source_name, node.Mark(), expected));
    if (node.IsScalar() && !is_utf8(node.Scalar())) throw ScenarioError(not_utf8(source_name, node.Mark(), expected));
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) pending.emplace_back(item, depth + 1);
    } else if (node.IsMap()) {
      for (const auto& entry : node) {
        pending.emplace_back(entry.first, depth + 1);
        pending.emplace_back(entry.second, depth + 1);
      }
    }
  }
}

}  // namespace

bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    // The sequence length and the smallest code point it may encode (overlong forms are invalid).
    const std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    std::uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = code << 6 | (next & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

std::string read_text_file(const std::string& file, const std::string& what) {
  std::error_code error;
  const auto type = std::filesystem::status(file, error).type();
  if (type == std::filesystem::file_type::directory) throw ScenarioError(file + ": is a folder (expected " + what + ")");
  // A pipe is fine (qlab run /dev/stdin); a device such as /dev/zero would never end.
  if (!error && type != std::filesystem::file_type::regular && type != std::filesystem::file_type::fifo) {
    throw ScenarioError(file + ": is not a regular file (expected " + what + ")");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ScenarioError(file + ": cannot open (" + std::strerror(errno) + ")");
  // Read in chunks, stopping just past the limit: a buffer of the whole limit would be zeroed for every
  // file (16 MiB, more than a small simulation costs).
  std::string text;
  std::array<char, 1 << 16> chunk;
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > static_cast<std::size_t>(kMaxYamlFileBytes)) {
      throw ScenarioError(file + ": larger than " + std::to_string(kMaxYamlFileBytes >> 20) + " MiB (expected " + what + ")");
    }
  }
  if (in.bad()) throw ScenarioError(file + ": cannot read (" + std::strerror(errno) + ")");
  return text;
}

YAML::Node parse_yaml(const std::string& text, const std::string& source_name, const std::string& expected) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw ScenarioError(too_deep(source_name, e.mark, expected));
  } catch (const YAML::Exception& e) {
    throw ScenarioError(place(source_name, e.mark) + ": invalid YAML: " + e.msg + " (expected " + expected + ")");
  }
  check_shape(root, source_name, expected);
  return root;
}

}  // namespace qlab::workloads
