#include "huge_page_allocator.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace qlab::huge_pages {
namespace {

std::size_t whole_pages(std::size_t bytes) {
  constexpr std::size_t kPage = 4096;
  return (bytes + kPage - 1) / kPage * kPage;
}

}  // namespace

void* map(std::size_t bytes) {
  // Map a huge page more than asked, then give back what lies before the first boundary and after the end.
  const std::size_t length = whole_pages(bytes);
  void* const mapping = mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(mapping);
  const std::uintptr_t aligned = (start + kHugePage - 1) & ~(std::uintptr_t{kHugePage} - 1);
  if (aligned > start) munmap(mapping, aligned - start);
  if (const std::size_t after = start + kHugePage - aligned; after > 0) {
    munmap(reinterpret_cast<void*>(aligned + length), after);
  }
  void* const p = reinterpret_cast<void*>(aligned);
  madvise(p, length, MADV_HUGEPAGE);  // a request: where it is declined, ordinary pages serve as well
  return p;
}

void unmap(void* p, std::size_t bytes) noexcept { munmap(p, whole_pages(bytes)); }

}  // namespace qlab::huge_pages
