#pragma once
// The distributions of the scenario format (workloads/README.md). Parameters are in the quantity's base
// unit (nanoseconds for durations, bytes for sizes); samples are rounded to whole units and never negative.
#include <cstdint>
#include <limits>
#include <string>

#include "random_stream.hpp"

namespace qlab {

// The largest sample (about 146 years in ns, 4 EiB in bytes).
inline constexpr std::int64_t kMaxSample = (std::int64_t{1} << 62) - 1;
static_assert(kMaxSample <= std::numeric_limits<std::int64_t>::max() - kMaxSample, "a time on the horizon plus a sample fits");

class Distribution {
 public:
  enum class Kind { constant, exponential, uniform, lognormal, pareto, erlang };

  Distribution() = default;  // constant 0
  static Distribution constant(double value);
  static Distribution exponential(double mean);
  static Distribution uniform(double min, double max);
  static Distribution lognormal(double mean, double cv);
  static Distribution pareto(double mean, double shape);  // shape > 1
  static Distribution erlang(std::uint32_t k, double mean);

  // At most kMaxSample: a heavy tail's sample added to any time within the run's horizon (2^62 ns) cannot
  // overflow the clock.
  // Inline for a constant (a message size, usually), whose sample is rounded once, at construction.
  std::int64_t sample(RandomStream& rng) const { return constant_sample_ >= 0 ? constant_sample_ : draw(rng); }
  double mean() const;
  // Squared coefficient of variation (variance / mean^2), as queueing formulas use it.
  double scv() const;
  Kind kind() const { return kind_; }
  bool is_constant() const { return kind_ == Kind::constant; }
  // The parameters, named as in workloads/README.md (min/max for uniform, cv for lognormal, ...).
  double a() const { return a_; }
  double b() const { return b_; }
  // Same distribution with every value multiplied by `factor` (used by time scaling and `slow`).
  Distribution scaled(double factor) const;
  static const char* kind_name(Kind kind);

 private:
  Distribution(Kind kind, double a, double b);
  // A draw rounded to a sample: checked finite, clamped to [0, kMaxSample], rounded half away from zero.
  static std::int64_t to_sample(double x);
  std::int64_t draw(RandomStream& rng) const;
  Kind kind_ = Kind::constant;
  double a_ = 0;  // constant: value; exponential/lognormal/pareto/erlang: mean; uniform: min
  double b_ = 0;  // uniform: max; lognormal: cv; pareto: shape; erlang: k
  std::int64_t constant_sample_ = 0;  // a finite constant's sample; -1 for every other distribution
};

}  // namespace qlab
