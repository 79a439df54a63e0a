#pragma once
// An allocator for large arrays that every step reads at scattered places (the records of 100,000
// consumers, a design's entries for 90,000 messages in flight): an allocation of 2 MiB or more is mapped
// on a 2 MiB boundary and the kernel is asked to back it with transparent huge pages (madvise
// MADV_HUGEPAGE: in the THP mode "madvise", this machine's, only memory so marked gets them). A huge page
// is one page fault instead of 512 and one TLB entry instead of 512: 100,000 consumers' records take 10
// faults instead of 4,700. Where the kernel declines, the mapping keeps ordinary pages and works the same.
// Smaller allocations, and all of them under AddressSanitizer (which must see every allocation), use
// operator new.
#include <cstddef>
#include <new>

#include "sanitizers.hpp"

namespace qlab {

namespace huge_pages {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

// Whether an allocation of `bytes` is mapped (and advised) rather than taken from operator new.
constexpr bool mapped(std::size_t bytes) { return !kUnderAddressSanitizer && bytes >= kHugePage; }
// A mapping of at least `bytes` starting on a huge-page boundary; throws std::bad_alloc when none is left.
void* map(std::size_t bytes);
// Returns a mapping of map(bytes).
void unmap(void* p, std::size_t bytes) noexcept;

}  // namespace huge_pages

template <class T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>& /*other*/) {}  // NOLINT: converting, as std::allocator

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (huge_pages::mapped(bytes)) return static_cast<T*>(huge_pages::map(bytes));
    return static_cast<T*>(::operator new(bytes, std::align_val_t{alignof(T)}));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (huge_pages::mapped(bytes)) {
      huge_pages::unmap(p, bytes);
    } else {
      // Unsized: clang declares the sized form only with -fsized-deallocation.
      ::operator delete(p, std::align_val_t{alignof(T)});
    }
  }
  template <class U>
  bool operator==(const HugePageAllocator<U>& /*other*/) const {
    return true;
  }
};

}  // namespace qlab
