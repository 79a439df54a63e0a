#pragma once
// Builds a results file's text in a std::string (whole, or a piece at a time): the same characters as an std::ostream with precision(12)
// writes (doubles as printf's %.12g, by format_g12; integers in decimal, by std::to_chars), several times faster.
#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <system_error>

#include "core/check.hpp"
#include "g12_format.hpp"

namespace qlab {

class TextAppender {
 public:
  // A double as %.12g: shortest of fixed and scientific, trailing zeros dropped, "-0" for negative zero,
  // "inf" and "nan" (with their sign) for the non-finite values.
  TextAppender& operator<<(double value) {
    char buffer[32];
    text_.append(buffer, format_g12(buffer, value));
    return *this;
  }
  // An integer in decimal. One-byte types (char, bool, int8_t) are characters or words to an ostream, so they
  // are not numbers here: a char has its own overload, the others do not compile.
  template <std::integral T>
    requires(sizeof(T) > 1)
  TextAppender& operator<<(T value) {
    char buffer[24];  // an int64 needs at most 20 characters
    const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof buffer, value);
    QLAB_CHECK(result.ec == std::errc{}, "the buffer holds any integer");
    text_.append(buffer, result.ptr);
    return *this;
  }
  TextAppender& operator<<(char c) {
    text_ += c;
    return *this;
  }
  TextAppender& operator<<(std::string_view s) {
    text_ += s;
    return *this;
  }

  // The text built so far, to write out before clear(), which keeps the memory for what comes next.
  std::string_view text() const { return text_; }
  void clear() { text_.clear(); }

 private:
  std::string text_;
};

}  // namespace qlab
