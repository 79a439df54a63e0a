#pragma once
// The records files of a live run: whole lines appended with one write(2) each, so a SIGKILL never leaves a
// half line behind (a reader ignores at most a torn last line).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace qlab::live {

class RecordFile {
 public:
  explicit RecordFile(const std::string& path);
  ~RecordFile();
  RecordFile(const RecordFile&) = delete;
  RecordFile& operator=(const RecordFile&) = delete;

  template <typename... Args>
  void line(const char* format, Args... args) {
    char text[256];
    const int n = std::snprintf(text, sizeof text, format, args...);
    if (n > 0) write(text, static_cast<std::size_t>(n));
  }

 private:
  void write(const char* text, std::size_t size);
  int fd_ = -1;
};

}  // namespace qlab::live
