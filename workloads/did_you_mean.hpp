#pragma once
// Suggestions for misspelt names: the closest candidate within edit distance 2, or one the word is a prefix of.
#include <string>
#include <string_view>
#include <vector>

namespace qlab::workloads {

// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The best candidate for `word`, or "" when none is close enough.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace qlab::workloads
