#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace qlab {

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)), partial_(path_) {
  partial_ += ".partial";
  fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("create");
}

AtomicFile::~AtomicFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(partial_.c_str());
}

void AtomicFile::write(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void AtomicFile::commit() {
  // On disk before the rename, so a crash never leaves an empty or partial file under the final name.
  if (::fsync(fd_) != 0) fail("sync");
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail_removing("close");
  std::error_code error;
  std::filesystem::rename(partial_, path_, error);
  if (error) {
    errno = error.value();
    fail_removing("rename");
  }
}

void AtomicFile::fail_removing(const char* what) const {
  const int cause = errno;
  ::unlink(partial_.c_str());
  errno = cause;
  fail(what);
}

void AtomicFile::fail(const char* what) const {
  throw std::runtime_error(path_.string() + ": cannot " + what + " " + partial_.string() + " (" + std::strerror(errno) + ")");
}

}  // namespace qlab
