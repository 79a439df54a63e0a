#include "bench/sweep.hpp"

namespace qlab::bench {

std::vector<std::vector<Param>> expand(const std::vector<Axis>& axes) {
  std::vector<std::vector<Param>> points{{}};
  for (const Axis& axis : axes) {
    std::vector<std::vector<Param>> next;
    next.reserve(points.size() * axis.rows.size());
    for (const std::vector<Param>& prefix : points) {
      for (const std::vector<std::string>& row : axis.rows) {
        std::vector<Param> point = prefix;
        for (std::size_t c = 0; c < axis.columns.size(); ++c) {
          Param param = axis.columns[c];
          param.value = row[c];
          point.push_back(std::move(param));
        }
        next.push_back(std::move(point));
      }
    }
    points = std::move(next);
  }
  return points;
}

std::string yaml_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  return out.c_str();
}

}  // namespace qlab::bench
