#include "distribution.hpp"

#include <cmath>
#include <numbers>

#include "check.hpp"

namespace qlab {

Distribution::Distribution(Kind kind, double a, double b)
    : kind_(kind), a_(a), b_(b), constant_sample_(kind == Kind::constant && std::isfinite(a) ? to_sample(a) : -1) {}

Distribution Distribution::constant(double value) { return {Kind::constant, value, 0}; }
Distribution Distribution::exponential(double mean) { return {Kind::exponential, mean, 0}; }
Distribution Distribution::uniform(double min, double max) { return {Kind::uniform, min, max}; }
Distribution Distribution::lognormal(double mean, double cv) { return {Kind::lognormal, mean, cv}; }
Distribution Distribution::pareto(double mean, double shape) { return {Kind::pareto, mean, shape}; }
Distribution Distribution::erlang(std::uint32_t k, double mean) { return {Kind::erlang, mean, static_cast<double>(k)}; }

namespace {
double standard_normal(RandomStream& rng) {
  // Box-Muller with one of the pair discarded: simple, and identical on every platform.
  const double u1 = rng.next_open01();
  const double u2 = rng.next_open01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}
}  // namespace

std::int64_t Distribution::to_sample(double x) {
  QLAB_CHECK(std::isfinite(x), "distribution produced a non-finite sample");
  if (x <= 0) return 0;
  if (x >= static_cast<double>(kMaxSample)) return kMaxSample;
  return std::llround(x);
}

std::int64_t Distribution::draw(RandomStream& rng) const {
  double x = 0;
  switch (kind_) {
    case Kind::constant:
      x = a_;
      break;
    case Kind::exponential:
      x = -a_ * std::log(rng.next_open01());
      break;
    case Kind::uniform:
      x = a_ + (b_ - a_) * rng.next_open01();
      break;
    case Kind::lognormal: {
      const double sigma2 = std::log1p(b_ * b_);
      const double mu = std::log(a_) - sigma2 / 2;
      x = std::exp(mu + std::sqrt(sigma2) * standard_normal(rng));
      break;
    }
    case Kind::pareto: {
      const double scale = a_ * (b_ - 1) / b_;
      x = scale / std::pow(rng.next_open01(), 1.0 / b_);
      break;
    }
    case Kind::erlang: {
      const auto k = static_cast<std::uint32_t>(b_);
      double sum = 0;
      for (std::uint32_t i = 0; i < k; ++i) sum -= std::log(rng.next_open01());
      x = sum * a_ / b_;
      break;
    }
  }
  return to_sample(x);
}

double Distribution::mean() const {
  return kind_ == Kind::uniform ? (a_ + b_) / 2 : a_;
}

double Distribution::scv() const {
  switch (kind_) {
    case Kind::constant:
      return 0;
    case Kind::exponential:
      return 1;
    case Kind::uniform: {
      const double width = b_ - a_;
      const double m = mean();
      return m == 0 ? 0 : width * width / 12 / (m * m);
    }
    case Kind::lognormal:
      return b_ * b_;
    case Kind::pareto:
      return b_ <= 2 ? INFINITY : 1 / (b_ * (b_ - 2));
    case Kind::erlang:
      return 1 / b_;
  }
  return 0;
}

Distribution Distribution::scaled(double factor) const {
  switch (kind_) {
    case Kind::uniform:
      return {kind_, a_ * factor, b_ * factor};
    case Kind::constant:
    case Kind::exponential:
    case Kind::lognormal:
    case Kind::pareto:
    case Kind::erlang:
      return {kind_, a_ * factor, b_};
  }
  return *this;
}

const char* Distribution::kind_name(Kind kind) {
  switch (kind) {
    case Kind::constant: return "constant";
    case Kind::exponential: return "exponential";
    case Kind::uniform: return "uniform";
    case Kind::lognormal: return "lognormal";
    case Kind::pareto: return "pareto";
    case Kind::erlang: return "erlang";
  }
  return "?";
}

}  // namespace qlab
