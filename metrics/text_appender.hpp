#pragma once
// Builds a results file's text, whole or a piece at a time: the same characters as an std::ostream with
// precision(12) writes (doubles as printf's %.12g, by format_g12; integers in decimal, by std::to_chars),
// several times faster. Values are written straight into a buffer that grows by doubling: each append costs
// one comparison with the room left, not a std::string append's call.
#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include "core/check.hpp"
#include "g12_format.hpp"

namespace qlab {

class TextAppender {
 public:
  TextAppender() = default;
  TextAppender(const TextAppender&) = delete;
  TextAppender& operator=(const TextAppender&) = delete;

  // A double as %.12g: shortest of fixed and scientific, trailing zeros dropped, "-0" for negative zero,
  // "inf" and "nan" (with their sign) for the non-finite values.
  TextAppender& operator<<(double value) {
    make_room(32);  // format_g12's room
    end_ = format_g12(end_, value);
    return *this;
  }
  // An integer in decimal. One-byte types (char, bool, int8_t) are characters or words to an ostream, so they
  // are not numbers here: a char has its own overload, the others do not compile.
  template <std::integral T>
    requires(sizeof(T) > 1)
  TextAppender& operator<<(T value) {
    constexpr std::size_t kRoom = 24;  // an int64 needs at most 20 characters
    make_room(kRoom);
    const std::to_chars_result result = std::to_chars(end_, end_ + kRoom, value);
    QLAB_CHECK(result.ec == std::errc{}, "the room holds any integer");
    end_ = result.ptr;
    return *this;
  }
  TextAppender& operator<<(char c) {
    make_room(1);
    *end_++ = c;
    return *this;
  }
  TextAppender& operator<<(std::string_view s) {
    make_room(s.size());
    if (!s.empty()) std::memcpy(end_, s.data(), s.size());
    end_ += s.size();
    return *this;
  }

  // The text built so far, to write out before clear(), which keeps the memory for what comes next.
  std::string_view text() const { return {buffer_.get(), static_cast<std::size_t>(end_ - buffer_.get())}; }
  void clear() { end_ = buffer_.get(); }

 private:
  void make_room(std::size_t n) {
    if (static_cast<std::size_t>(limit_ - end_) < n) grow(n);
  }
  void grow(std::size_t n) {
    const std::size_t size = static_cast<std::size_t>(end_ - buffer_.get());
    const std::size_t capacity = std::max({std::size_t{256}, 2 * static_cast<std::size_t>(limit_ - buffer_.get()), size + n});
    std::unique_ptr<char[]> bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size > 0) std::memcpy(bigger.get(), buffer_.get(), size);
    buffer_ = std::move(bigger);
    end_ = buffer_.get() + size;
    limit_ = buffer_.get() + capacity;
  }

  std::unique_ptr<char[]> buffer_;
  char* end_ = nullptr;    // the text is [buffer_, end_)
  char* limit_ = nullptr;  // the buffer's end
};

}  // namespace qlab
