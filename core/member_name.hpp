#pragma once
// The name of a group's member, as results, traces and live records call producers and consumers:
// GROUP[index]. One definition for the simulator and live mode, so that their results name members alike.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

namespace qlab {

// "group[index]", written in place: one allocation at most (none when it fits in the string itself). The
// simulator names up to 100,000 consumers this way.
inline std::string member_name(const std::string& group, std::uint32_t index) {
  char digits[10];  // 2^32 has 10 decimal digits
  const char* const digits_end = std::to_chars(digits, digits + sizeof digits, index).ptr;
  std::string name(group.size() + static_cast<std::size_t>(digits_end - digits) + 2, '[');
  char* const bracket = std::copy(group.begin(), group.end(), name.data());  // the '[' the fill left there
  *std::copy(static_cast<const char*>(digits), digits_end, bracket + 1) = ']';
  return name;
}

}  // namespace qlab
