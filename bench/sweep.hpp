#pragma once
// Sweep expansion: a run's sweep keys and zip block are axes of a cartesian product of scenario overrides.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace qlab::bench {

// One override of a point: a scenario path (as --set takes it) and a YAML value, with where the suite file
// gave it, so a value the scenario loader rejects is blamed on the suite's line.
struct Param {
  std::string path;        // canonical, e.g. consumers[1].service.mean
  std::string value;       // YAML text: a scalar as written, a map or list in flow style
  std::string suite_path;  // the key path in the suite file, e.g. runs[0].sweep.consumers[1].service.mean
  YAML::Mark mark;         // where the suite file gave the key
};

// One axis of the product: a sweep key is an axis with one column; a zip block is one axis whose columns
// move together. rows[i][c] is the value of column c at step i.
struct Axis {
  std::vector<Param> columns;  // value unused
  std::vector<std::vector<std::string>> rows;
};

// Every combination of the axes' steps, the first axis slowest; each combination lists the columns of every
// axis in axis order. No axes: one empty combination.
std::vector<std::vector<Param>> expand(const std::vector<Axis>& axes);

// The YAML text of a value: a scalar's text, or the flow form of a map or list ({dist: exponential, mean: 1s}).
std::string yaml_text(const YAML::Node& node);

}  // namespace qlab::bench
