#pragma once
// Builds a results file's text in a std::string, formatting numbers with std::to_chars: the same characters as
// an std::ostream with precision(12) writes (doubles as printf's %.12g, integers in decimal), several times faster.
#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "core/check.hpp"

namespace qlab {

class TextAppender {
 public:
  // A double as %.12g: shortest of fixed and scientific, trailing zeros dropped, "-0" for negative zero,
  // "inf" and "nan" (with their sign) for the non-finite values.
  TextAppender& operator<<(double value) {
    return append_number([value](char* first, char* last) {
      return std::to_chars(first, last, value, std::chars_format::general, 12);
    });
  }
  // An integer in decimal. One-byte types (char, bool, int8_t) are characters or words to an ostream, so they
  // are not numbers here: a char has its own overload, the others do not compile.
  template <std::integral T>
    requires(sizeof(T) > 1)
  TextAppender& operator<<(T value) {
    return append_number([value](char* first, char* last) { return std::to_chars(first, last, value); });
  }
  TextAppender& operator<<(char c) {
    text_ += c;
    return *this;
  }
  TextAppender& operator<<(std::string_view s) {
    text_ += s;
    return *this;
  }

  // The text built so far, leaving this appender empty.
  std::string take() { return std::move(text_); }

 private:
  template <class ToChars>
  TextAppender& append_number(ToChars to_chars) {
    char buffer[32];  // %.12g needs at most 19 characters ("-1.23456789012e-308"), an int64 20
    const std::to_chars_result result = to_chars(buffer, buffer + sizeof buffer);
    QLAB_CHECK(result.ec == std::errc{}, "the buffer holds any number");
    text_.append(buffer, result.ptr);
    return *this;
  }

  std::string text_;
};

}  // namespace qlab
