#include "workloads/node_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/units.hpp"
#include "workloads/did_you_mean.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_limits.hpp"
#include "workloads/yaml_document.hpp"

namespace qlab::workloads {
namespace {

std::string describe_mark(const YAML::Mark& mark) {
  return std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

bool has_mark(const YAML::Mark& mark) { return mark.line >= 0 && mark.column >= 0; }

// "(did you mean 'x'? expected one of a, b)" or "(expected one of a, b)".
std::string expected_one_of(const std::string& given, const std::vector<std::string>& known) {
  const std::string hint = closest_match(given, known);
  return (hint.empty() ? "" : "did you mean '" + hint + "'? ") + "expected one of " + join(known);
}

template <typename T>
bool parse_whole(const std::string& text, T& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string expected_integer(std::int64_t min, std::int64_t max) {
  if (max == std::numeric_limits<std::int64_t>::max()) return "a whole number >= " + std::to_string(min);
  return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
}

const std::vector<std::string>& distribution_kinds() {
  static const std::vector<std::string> kinds{"constant", "exponential", "uniform", "lognormal", "pareto", "erlang"};
  return kinds;
}

// `parse(text)`, with a UnitError's message (it says what was expected) placed at `f`.
template <typename Parse>
auto parse_with_unit(const Source& source, const Field& f, const std::string& text, Parse parse) {
  try {
    return parse(text);
  } catch (const UnitError& e) {
    source.fail(f.mark, f.path, e.what());
  }
}

}  // namespace

Source::Source(std::string file, std::vector<Override> overrides) : file_(std::move(file)), overrides_(std::move(overrides)) {
  for (Override& o : overrides_) o.path = format_path(parse_path(o.path));
}

const Override* Source::override_for(const std::string& path) const {
  // The last override that wrote this path or a map/list containing it is where the value came from.
  for (auto it = overrides_.rbegin(); it != overrides_.rend(); ++it) {
    if (path_is_within(path, it->path)) return &*it;
  }
  return nullptr;
}

bool Source::from_override(const std::string& path) const { return override_for(path) != nullptr; }

void Source::fail(const YAML::Mark& mark, const std::string& path, const std::string& message) const {
  std::string place;
  if (const Override* o = override_for(path)) {
    place = override_place(*o);
  } else {
    place = file_ + ":" + describe_mark(has_mark(mark) ? mark : YAML::Mark{});
  }
  throw ScenarioError(place + ": " + (path.empty() ? "" : path + ": ") + message);
}

MapView::MapView(const Source& source, Field self) : source_(source), self_(std::move(self)) {
  for (const auto& entry : self_.node) {
    const YAML::Node key = entry.first;  // copies: the iterator hands out temporaries
    const YAML::Node value = entry.second;
    if (!key.IsScalar()) {
      source_.fail(key.Mark(), self_.path, "a key is not a plain name (expected keys such as name or count)");
    }
    const std::string name = key.Scalar();
    for (const auto& [seen, field] : entries_) {
      if (seen == name) {
        source_.fail(key.Mark(), child_path(name),
                     "duplicate key, first given at " + describe_mark(field.key_mark) + " (expected each key once)");
      }
    }
    const bool empty = !value.IsDefined() || value.IsNull() || !has_mark(value.Mark());
    entries_.emplace_back(name, Field{value, child_path(name), empty ? key.Mark() : value.Mark(), key.Mark()});
  }
}

std::string MapView::child_path(const std::string& key) const { return self_.path.empty() ? key : self_.path + "." + key; }

void MapView::check_known(const std::vector<std::string>& known, const std::string& what) const {
  for (const auto& [key, field] : entries_) {
    if (std::find(known.begin(), known.end(), key) == known.end()) fail_unknown(field, known, what);
  }
}

void MapView::fail_unknown(const Field& entry, const std::vector<std::string>& known, const std::string& what) const {
  const std::string key = entry.path.substr(entry.path.rfind('.') + 1);
  source_.fail(entry.key_mark, entry.path, "unknown key in " + what + " (" + expected_one_of(key, known) + ")");
}

std::optional<Field> MapView::get(const std::string& key) const {
  for (const auto& [name, field] : entries_) {
    if (name == key) return field;
  }
  return std::nullopt;
}

Field MapView::require(const std::string& key, const std::string& expected) const {
  if (auto field = get(key)) return *field;
  fail_missing(key, "missing required key", expected);
}

void MapView::fail_missing(const std::string& key, const std::string& what, const std::string& expected) const {
  source_.fail(self_.mark, child_path(key), what + " (expected " + expected + ")");
}

void NodeReader::fail(const Field& f, const std::string& what, const std::string& expected) const {
  source_.fail(f.mark, f.path, what + " (expected " + expected + ")");
}

std::string NodeReader::scalar(const Field& f, const std::string& expected) const {
  if (!f.node.IsDefined() || f.node.IsNull()) fail(f, "missing value", expected);
  if (f.node.IsMap()) fail(f, "got a map", expected);
  if (f.node.IsSequence()) fail(f, "got a list", expected);
  if (!is_utf8(f.node.Scalar())) fail(f, "text that is not valid UTF-8", expected);  // a --set value; files are checked whole
  return f.node.Scalar();
}

MapView NodeReader::map(const Field& f, const std::string& expected) const {
  if (!f.node.IsMap()) {
    if (f.node.IsSequence()) fail(f, "got a list", expected);
    if (!f.node.IsDefined() || f.node.IsNull()) fail(f, "missing value", expected);
    fail(f, "got '" + f.node.Scalar() + "'", expected);
  }
  return MapView(source_, f);
}

std::vector<Field> NodeReader::list(const Field& f, const std::string& expected) const {
  if (!f.node.IsSequence()) {
    if (f.node.IsMap()) fail(f, "got a map", expected);
    if (!f.node.IsDefined() || f.node.IsNull()) fail(f, "missing value", expected);
    fail(f, "got '" + f.node.Scalar() + "'", expected);
  }
  std::vector<Field> items;
  for (std::size_t i = 0; i < f.node.size(); ++i) {
    const YAML::Node item = f.node[i];
    const bool marked = has_mark(item.Mark()) && !item.IsNull();
    items.push_back(Field{item, f.path + "[" + std::to_string(i) + "]", marked ? item.Mark() : f.mark, f.mark});
  }
  return items;
}

std::string NodeReader::string(const Field& f, const std::string& expected) const { return scalar(f, expected); }

std::string NodeReader::name(const Field& f) const {
  const std::string expected = "letters, digits, '-' and '_', e.g. hetero-pull";
  const std::string text = scalar(f, expected);
  const bool valid = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (!valid) fail(f, "'" + text + "' is not a valid name", expected);
  return text;
}

std::string NodeReader::choice(const Field& f, const std::vector<std::string>& choices, const std::string& what) const {
  const std::string text = scalar(f, "one of " + join(choices));
  if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
    source_.fail(f.mark, f.path, "unknown " + what + " '" + text + "' (" + expected_one_of(text, choices) + ")");
  }
  return text;
}

std::int64_t NodeReader::integer(const Field& f, std::int64_t min, std::int64_t max) const {
  const std::string expected = expected_integer(min, max);
  const std::string text = scalar(f, expected);
  std::int64_t value = 0;
  if (!parse_whole(text, value)) {
    const bool numeric = !text.empty() && text.find_first_not_of("+-0123456789") == std::string::npos;
    fail(f, "'" + text + (numeric ? "' is out of range" : "' is not a whole number"), expected);
  }
  if (value < min || value > max) fail(f, "'" + text + "' is out of range", expected);
  return value;
}

std::uint64_t NodeReader::unsigned_integer(const Field& f) const {
  const std::string expected = "a whole number from 0 to 18446744073709551615";
  const std::string text = scalar(f, expected);
  std::uint64_t value = 0;
  if (!parse_whole(text, value)) fail(f, "'" + text + "' is not a whole number in range", expected);
  return value;
}

double NodeReader::number(const Field& f) const {
  const std::string expected = "a number such as 0.5";
  const std::string text = scalar(f, expected);
  double value = 0;
  if (!parse_whole(text, value) || !std::isfinite(value)) fail(f, "'" + text + "' is not a number", expected);
  return value;
}

bool NodeReader::flag(const Field& f) const {
  const std::string text = scalar(f, "true or false");
  bool value = false;
  if (!YAML::convert<bool>::decode(f.node, value)) fail(f, "'" + text + "' is not true or false", "true or false");
  return value;
}

Time NodeReader::duration(const Field& f, Time min) const {
  const std::string text = scalar(f, "a duration such as 250ms, 1.5s or 2m");
  const Time value = parse_with_unit(source_, f, text, parse_duration);
  if (value < min) {
    fail(f, "'" + text + "' is out of range", min <= 1 ? "a duration > 0" : "a duration of at least " + format_duration(min));
  }
  return value;
}

double NodeReader::rate(const Field& f) const {
  const std::string text = scalar(f, "a rate such as 7.2/s, 300/m or 10/h");
  const double value = parse_with_unit(source_, f, text, parse_rate);
  if (!(value > 0)) fail(f, "'" + text + "' is out of range", "a rate > 0, e.g. 10/s");
  if (value > kMaxRate) {
    fail(f, "'" + text + "' is out of range: arrivals would be closer than the clock's 1ns apart",
         "a rate of at most " + format_rate(kMaxRate));
  }
  if (value < kMinRate) {
    fail(f, "'" + text + "' is out of range", "a rate of at least " + format_rate(kMinRate) + ", one message in about 31.7 years");
  }
  return value;
}

std::int64_t NodeReader::size(const Field& f) const {
  const std::string text = scalar(f, "a size such as 100B, 4KiB or 1MB");
  const std::int64_t value = parse_with_unit(source_, f, text, parse_size);
  if (value > kMaxMessageSize) fail(f, "'" + text + "' is out of range", "a size below 4GiB (message sizes are 32-bit)");
  return value;
}

double NodeReader::quantity(const Field& f, Quantity quantity) const {
  return static_cast<double>(quantity == Quantity::duration ? duration(f) : size(f));
}

Distribution NodeReader::distribution(const Field& f, Quantity quantity, bool positive) const {
  const std::string example = quantity == Quantity::duration ? "1s" : "1KiB";
  const std::string expected = "a " + std::string(quantity == Quantity::duration ? "duration" : "size") + " such as " +
                               example + " or a distribution such as {dist: exponential, mean: " + example + "}";
  if (f.node.IsSequence()) fail(f, "got a list", expected);
  if (!f.node.IsMap()) {
    const double value = this->quantity(f, quantity);
    if (positive && value <= 0) fail(f, "'" + f.node.Scalar() + "' is out of range", "a value > 0");
    return Distribution::constant(value);
  }
  const MapView m(source_, f);
  const std::string kind = choice(m.require("dist", "dist: one of " + join(distribution_kinds())), distribution_kinds(),
                                  "distribution");
  // Reads a parameter that must be above zero (a mean, or a constant that must be positive).
  const auto positive_param = [&](const std::string& key) {
    const Field p = m.require(key, key + ": a value > 0, e.g. " + example);
    const double value = this->quantity(p, quantity);
    if (value <= 0) fail(p, "'" + p.node.Scalar() + "' is out of range", key + " > 0");
    return value;
  };
  const auto known = [&](std::vector<std::string> keys) {
    keys.insert(keys.begin(), "dist");
    m.check_known(keys, "a " + kind + " distribution");
  };
  if (kind == "constant") {
    known({"value"});
    if (positive) return Distribution::constant(positive_param("value"));
    return Distribution::constant(this->quantity(m.require("value", "value: e.g. " + example), quantity));
  }
  if (kind == "exponential") {
    known({"mean"});
    return Distribution::exponential(positive_param("mean"));
  }
  if (kind == "uniform") {
    known({"min", "max"});
    const double min = this->quantity(m.require("min", "min: e.g. " + example), quantity);
    const Field max_field = m.require("max", "max: e.g. " + example);
    const double max = this->quantity(max_field, quantity);
    if (min > max) {
      fail(max_field, "max '" + max_field.node.Scalar() + "' is below min '" + m.get("min")->node.Scalar() + "'", "min <= max");
    }
    if (positive && max <= 0) fail(max_field, "'" + max_field.node.Scalar() + "' is out of range", "max > 0");
    return Distribution::uniform(min, max);
  }
  // Reads a plain number (cv, shape) up to `highest` that must be above `lowest`, or equal to it when `inclusive`.
  const auto number_param = [&](const std::string& key, double lowest, bool inclusive, double highest, const std::string& wanted) {
    const Field p = m.require(key, key + ": " + wanted);
    const double value = number(p);
    if (value < lowest || (!inclusive && value == lowest) || value > highest) {
      fail(p, "'" + p.node.Scalar() + "' is out of range", wanted);
    }
    return value;
  };
  if (kind == "lognormal") {
    known({"mean", "cv"});
    const double mean = positive_param("mean");
    return Distribution::lognormal(mean, number_param("cv", 0, true, kMaxCv, "cv from 0 to 1000: the standard deviation / mean"));
  }
  if (kind == "pareto") {
    known({"mean", "shape"});
    const double mean = positive_param("mean");
    return Distribution::pareto(
        mean, number_param("shape", 1, false, kMaxShape, "shape > 1 (the mean is infinite otherwise) and at most 1000000"));
  }
  known({"k", "mean"});
  constexpr std::int64_t kMaxErlangK = 10'000;  // each sample sums k exponentials
  const auto k = integer(m.require("k", "k: a whole number >= 1, e.g. 4"), 1, kMaxErlangK);
  return Distribution::erlang(static_cast<std::uint32_t>(k), positive_param("mean"));
}

}  // namespace qlab::workloads
