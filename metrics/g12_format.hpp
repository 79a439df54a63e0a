#pragma once
// A double as printf's "%.12g", the results files' format, several times faster than std::to_chars with a
// precision (which costs about 1,000 instructions a value; 100,000 consumers write 400,000 values): for
// 1e-5 <= |value| < 1e15, which holds nearly every figure written, the 12 digits are computed exactly in
// 128-bit integers; other values take std::to_chars. The characters are exactly std::to_chars(general, 12)'s.
namespace qlab {

// Writes `value` as "%.12g" from `first`, which has room for 32 characters, and returns the end of the text
// (at most 19 characters: "-1.23456789012e-308"). Characters after the end, up to first + 32, may be
// overwritten.
char* format_g12(char* first, double value);

}  // namespace qlab
