#pragma once
// A results file written aside and renamed into place: `path` appears only on commit(), whole and synced to
// disk, so an interrupted run never leaves a half-written file under its name. Text can be written in
// pieces, so that a large file (a row per consumer) never has to be held in memory whole.
#include <filesystem>
#include <string_view>

namespace qlab {

class AtomicFile {
 public:
  // Creates `path` + ".partial"; throws std::runtime_error naming both when it cannot.
  explicit AtomicFile(std::filesystem::path path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // Uncommitted (an error while writing): removes the partial file.
  ~AtomicFile();

  void write(std::string_view text);
  // Syncs the partial file and renames it to `path`. Once only.
  void commit();

 private:
  // Throws std::runtime_error saying `what` failed on the partial file, with errno's reason.
  [[noreturn]] void fail(const char* what) const;
  // fail() once the file is closed: the partial file is removed first.
  [[noreturn]] void fail_removing(const char* what) const;

  std::filesystem::path path_;
  std::filesystem::path partial_;
  int fd_ = -1;
};

}  // namespace qlab
