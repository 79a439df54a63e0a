#pragma once
// Typed reads of YAML nodes that fail with a located ScenarioError: the validation vocabulary of the loader.
// Every read knows its key path (`consumers[1].service.mean`) and where the value came from: a place in the
// file, or the `--set` override that last wrote that path.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/distribution.hpp"
#include "core/time.hpp"
#include "workloads/quantity.hpp"
#include "workloads/scenario_override.hpp"

namespace qlab::workloads {

// A value to read, with its key path and the mark to blame (the key's when the value is empty).
struct Field {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
  YAML::Mark key_mark;
};

// Where the text came from: the file name and the overrides applied to it.
class Source {
 public:
  Source(std::string file, std::vector<Override> overrides);
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& path, const std::string& message) const;
  // True when the value at `path` was written by an override.
  bool from_override(const std::string& path) const;
  const std::string& file() const { return file_; }

 private:
  const Override* override_for(const std::string& path) const;
  std::string file_;
  std::vector<Override> overrides_;  // paths canonical
};

// A map's entries, checked for duplicate and non-scalar keys.
class MapView {
 public:
  MapView(const Source& source, Field self);
  // Rejects keys not in `known` with a "did you mean" hint; `what` names the map ("a consumer group").
  void check_known(const std::vector<std::string>& known, const std::string& what) const;
  [[noreturn]] void fail_unknown(const Field& entry, const std::vector<std::string>& known, const std::string& what) const;
  std::optional<Field> get(const std::string& key) const;
  // The entry, or an error at this map: `PATH.key: missing required key (expected ...)`.
  Field require(const std::string& key, const std::string& expected) const;
  [[noreturn]] void fail_missing(const std::string& key, const std::string& what, const std::string& expected) const;
  const Field& self() const { return self_; }
  const std::vector<std::pair<std::string, Field>>& entries() const { return entries_; }
  std::string child_path(const std::string& key) const;

 private:
  const Source& source_;
  Field self_;
  std::vector<std::pair<std::string, Field>> entries_;
};

class NodeReader {
 public:
  explicit NodeReader(const Source& source) : source_(source) {}

  [[noreturn]] void fail(const Field& f, const std::string& what, const std::string& expected) const;
  MapView map(const Field& f, const std::string& expected) const;
  // The entries of a list; `expected` names it for the type error ("a list of consumer groups").
  std::vector<Field> list(const Field& f, const std::string& expected) const;

  std::string string(const Field& f, const std::string& expected) const;
  // A name of letters, digits, '-' and '_'.
  std::string name(const Field& f) const;
  std::string choice(const Field& f, const std::vector<std::string>& choices, const std::string& what) const;
  std::int64_t integer(const Field& f, std::int64_t min, std::int64_t max) const;
  std::uint64_t unsigned_integer(const Field& f) const;
  double number(const Field& f) const;
  bool flag(const Field& f) const;
  Time duration(const Field& f, Time min = 0) const;
  double rate(const Field& f) const;  // > 0, per second
  std::int64_t size(const Field& f) const;

  // A bare duration/size (constant) or a {dist: ...} map; `positive` demands a mean above zero.
  Distribution distribution(const Field& f, Quantity quantity, bool positive = false) const;

  const Source& source() const { return source_; }

 private:
  // The scalar text, or a type error naming `expected`.
  std::string scalar(const Field& f, const std::string& expected) const;
  double quantity(const Field& f, Quantity quantity) const;
  const Source& source_;
};

}  // namespace qlab::workloads
