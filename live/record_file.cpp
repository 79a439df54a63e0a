#include "live/record_file.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace qlab::live {

RecordFile::RecordFile(const std::string& path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
}

RecordFile::~RecordFile() { ::close(fd_); }

void RecordFile::write(const char* text, std::size_t size) {
  if (::write(fd_, text, size) != static_cast<ssize_t>(size)) {
    throw std::runtime_error(std::string("cannot write a record: ") + std::strerror(errno));
  }
}

}  // namespace qlab::live
